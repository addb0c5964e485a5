// End-to-end test of the tagls extension in the real VS Code (code-server, VS Code in a
// browser, driven by headless Debian chromium through playwright-core). Run by
// tests/vscode.rs with the Node 24 that tests/install-vscode.sh installed; usable by hand:
//
//   node tests/vscode/e2e.mjs      (with the TAGLS_* variables below set)
//
// It starts code-server on 127.0.0.1 (a free port, no auth, a fresh user data and
// extensions dir), installs the .vsix, points tagls.server.path at the built binary,
// opens a COPY of examples/demo, and proves in the editor that:
//   1. tagls's diagnostic appears in the Problems panel, with the severity that the
//      user's `tagls.checks` setting gives it (so the server's settings reach it),
//   2. hovering a tag shows tagls's hover,
//   2b. the status bar shows the gate's verdict (BLOCKED (1)); clicking it shows the
//      "tagls Tags" view with the blocking finding, the families with their counts and,
//      under a family, its files; a tag there opens its place; once the missing file is
//      created on disk, the status bar says CONDITIONAL (the demo's other findings for the
//      gate),
//   3. "Log #FILE_CREATED for src/services/user.service.ts", applied from the Source
//      Action menu, writes that entry into the copy's implementation log on disk,
//   4. the command "tagls: Open Implementation Log" opens the log, and the claim tag in it
//      has the extension's default semantic-token colour; its false line count has the
//      quick fix "Correct to 26 lines", which corrects it (4a); once `.tagls.toml` moves
//      the log (`log = "docs/impl-log.md"`), the same command opens that file (4b),
//   5. "tagls: Restart Server" starts the server again and "tagls: Show Output" shows it,
//   5b. in a Swift, a Rust and a Java file, tagls's diagnostic is in the Problems panel on
//      the tag's line and column,
//   6. with tagls.server.path naming nothing, the extension says so, and the message's
//      "Install Instructions" button opens the extension's README,
//   7. with tagls.server.path naming a program that is not the server (`/bin/true`, a
//      script that writes something else), the extension says so in one sentence, starts
//      it once, and the message's "Open Settings" opens the Remote settings on
//      tagls.server.path,
//   8. the Settings editor edits each of the server's settings in place (a text box, a
//      list or a choice), not only through "Edit in settings.json".
// A screenshot of each step goes to $TAGLS_SCREENSHOTS. Every wait has a timeout; the
// script always exits, and kills code-server (its whole process group) and chromium.
//
// Environment:
//   TAGLS_BIN                 the tagls binary
//   TAGLS_VSCODE_CODE_SERVER  code-server's out/node/entry.js
//   TAGLS_VSCODE_PLAYWRIGHT   the playwright-core package folder
//   TAGLS_VSCODE_CHROMIUM     the chromium binary (default /usr/bin/chromium)
//   TAGLS_VSCODE_VSIX         the extension package
//   TAGLS_DEMO                the demo workspace to copy (examples/demo)
//   TAGLS_SCREENSHOTS         where the screenshots go (emptied first)
//   TAGLS_WORK                a scratch folder (optional; a temp dir otherwise)
//   TAGLS_E2E_TIMEOUT_MS      the whole run's deadline (default 240000)
// Output: one line per step on stdout, `RESULT: ok` at the end, exit status 0; on a
// failure `RESULT: failed: <why>` and exit status 1.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const env = (name, fallback) => {
  const value = process.env[name]?.trim() || fallback;
  if (!value) {
    fail(`${name} is not set`);
  }
  return value;
};

const started = Date.now();
const TOTAL_TIMEOUT_MS = Number(process.env.TAGLS_E2E_TIMEOUT_MS || 240_000);
const UI_TIMEOUT_MS = 30_000;

const TAGLS_BIN = env('TAGLS_BIN');
const CODE_SERVER = env('TAGLS_VSCODE_CODE_SERVER');
const PLAYWRIGHT = env('TAGLS_VSCODE_PLAYWRIGHT');
const CHROMIUM = env('TAGLS_VSCODE_CHROMIUM', '/usr/bin/chromium');
const VSIX = env('TAGLS_VSCODE_VSIX');
const DEMO = env('TAGLS_DEMO');
const SCREENSHOTS = env('TAGLS_SCREENSHOTS');

const DIAGNOSTIC_TEXT = 'src/config/rate-limit.ts does not exist in the workspace';
const HOVER_TEXT = 'assumption family';
const ACTION_TITLE = 'Log #FILE_CREATED for src/services/user.service.ts';
const LOG_REL = '.orchestration/implementation-log.md';
/** Where the workspace file moves the log in step 4b. */
const MOVED_LOG_REL = 'docs/impl-log.md';
const ENTRY_RE = /^#FILE_CREATED: src\/services\/user\.service\.ts \((\d+) lines\)$/m;
/** The extension's default colour for tagClaim (package.json configurationDefaults). */
const CLAIM_COLOUR = 'rgb(26, 163, 163)';

let codeServer;
let context;
let finished = false;

function log(message) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`[${seconds.padStart(5)}s] ${message}\n`);
}

function fail(message) {
  throw new Error(message);
}

function killCodeServer(signal) {
  if (codeServer?.pid) {
    try {
      process.kill(-codeServer.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

// Whatever happens, code-server's process group (with the extension host and tagls)
// goes; playwright kills the chromium it launched on exit.
process.on('exit', () => killCodeServer('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    log(`got ${signal}`);
    killCodeServer('SIGKILL');
    process.exit(1);
  });
}

const deadline = setTimeout(() => {
  log(`RESULT: failed: the whole run took longer than ${TOTAL_TIMEOUT_MS} ms`);
  killCodeServer('SIGKILL');
  process.exit(1);
}, TOTAL_TIMEOUT_MS);

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what, timeoutMs, probe, intervalMs = 200) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) {
        return value;
      }
    } catch (error) {
      last = error;
    }
    if (Date.now() > until) {
      fail(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

let shot = 0;
async function screenshot(page, name) {
  shot += 1;
  const file = path.join(SCREENSHOTS, `${String(shot).padStart(2, '0')}-${name}.png`);
  try {
    await page.screenshot({ path: file, timeout: 10_000 });
    log(`screenshot ${file}`);
  } catch (error) {
    log(`screenshot ${file} failed: ${error.message}`);
  }
}

/** Runs a command from the command palette (F1), by its label. */
async function runCommand(page, label) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input[type="text"]');
  await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await input.fill(`>${label}`);
  // Pick the entry whose label is exactly `label`, not merely the best fuzzy match.
  const row = page
    .locator('.quick-input-widget .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(label)}$`) }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await row.click();
  await input.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
}

/** Opens a workspace file through Quick Open (Ctrl+P), as a user would. */
async function openFile(page, relative) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input[type="text"]');
  await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await input.fill(relative);
  const name = path.basename(relative);
  const row = page
    .locator('.quick-input-widget .monaco-list-row')
    .filter({ hasText: name })
    .first();
  await row.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await page.keyboard.press('Enter');
  await page
    .locator(`.tabs-container .tab.active[data-resource-name="${name}"]`)
    .waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  // Quick Open leaves the focus in the editor's text, where a user would type.
  await page
    .locator('.editor-group-container.active .monaco-editor.focused')
    .first()
    .waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
}

function escapeRe(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function main() {
  fs.rmSync(SCREENSHOTS, { recursive: true, force: true });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const work = process.env.TAGLS_WORK?.trim() || fs.mkdtempSync(path.join(os.tmpdir(), 'tagls-vscode-'));
  fs.mkdirSync(work, { recursive: true });
  const dirs = {
    userData: path.join(work, 'user-data'),
    extensions: path.join(work, 'extensions'),
    chromium: path.join(work, 'chromium-profile'),
    xdgConfig: path.join(work, 'xdg-config'),
    xdgData: path.join(work, 'xdg-data'),
    workspace: path.join(work, 'demo'),
  };
  for (const dir of Object.values(dirs)) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  }
  // The test edits the log: work on a copy, never on the repository.
  fs.cpSync(DEMO, dirs.workspace, { recursive: true });
  const logFile = path.join(dirs.workspace, LOG_REL);
  const logBefore = fs.readFileSync(logFile, 'utf8');
  if (ENTRY_RE.test(logBefore)) {
    fail(`the demo log already has the entry this test expects to be written:\n${logBefore}`);
  }
  log(`workspace copy: ${dirs.workspace}`);

  const childEnv = {
    ...process.env,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    RUST_LOG: process.env.RUST_LOG || 'warn',
  };
  const config = path.join(work, 'code-server.yaml');
  fs.writeFileSync(config, 'auth: none\ncert: false\n');
  const common = [
    CODE_SERVER,
    '--config', config,
    '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions,
  ];

  // ------------------------------------------------------------ install the .vsix
  const install = spawnSync(process.execPath, [...common, '--install-extension', VSIX], {
    env: childEnv,
    encoding: 'utf8',
    timeout: 90_000,
  });
  const installOutput = `${install.stdout}\n${install.stderr}`.trim();
  if (install.status !== 0 || !/successfully installed/i.test(installOutput)) {
    fail(`code-server --install-extension ${VSIX} failed (status ${install.status}, ${install.error ?? ''}):\n${installOutput}`);
  }
  log(`installed the extension: ${installOutput.split('\n').pop()}`);

  // ------------------------------------------------------------ user settings
  // tagls.server.path is machine-scoped: in a remote window (code-server is one) VS Code
  // takes it from the remote machine's settings (user-data/Machine/settings.json, the
  // "Remote" tab of the settings editor), not from the browser user's.
  const machineSettings = { 'tagls.server.path': TAGLS_BIN };
  const settings = {
    // One of the server's own settings, to prove they reach it: tagls reports a missing
    // path as a warning by default.
    'tagls.checks': { 'missing-path': 'error' },
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'chat.disableAIFeatures': true,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'git.enabled': false,
    'git.openRepositoryInParentFolders': 'never',
    'editor.hover.delay': 200,
    'editor.minimap.enabled': false,
    'files.autoSave': 'off',
  };
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  fs.mkdirSync(path.join(dirs.userData, 'Machine'), { recursive: true });
  fs.writeFileSync(path.join(dirs.userData, 'Machine', 'settings.json'), JSON.stringify(machineSettings, null, 2));

  // ------------------------------------------------------------ start code-server
  const port = await freePort();
  const csLog = path.join(work, 'code-server.log');
  const csOut = fs.openSync(csLog, 'w');
  codeServer = spawn(
    process.execPath,
    [
      ...common,
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      dirs.workspace,
    ],
    { env: childEnv, detached: true, stdio: ['ignore', csOut, csOut] },
  );
  fs.writeFileSync(path.join(work, 'code-server.pid'), String(codeServer.pid));
  codeServer.on('exit', (code, signal) => {
    if (!finished) {
      log(`code-server exited early (${code ?? signal}); its log: ${csLog}`);
    }
  });
  const url = `http://127.0.0.1:${port}/`;
  await waitFor(`code-server to answer on ${url}healthz`, 60_000, async () => {
    if (codeServer.exitCode !== null) {
      fail(`code-server exited with ${codeServer.exitCode}:\n${fs.readFileSync(csLog, 'utf8')}`);
    }
    const response = await fetch(`${url}healthz`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  }, 300);
  log(`code-server ${codeServer.pid} listens on ${url}`);

  // ------------------------------------------------------------ chromium
  const require = createRequire(path.join(PLAYWRIGHT, 'package.json'));
  const { chromium } = require(PLAYWRIGHT);
  context = await chromium.launchPersistentContext(dirs.chromium, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    viewport: { width: 1600, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') {
      consoleErrors.push(m.text());
    }
  });
  await page.goto(`${url}?folder=${encodeURIComponent(dirs.workspace)}`, { timeout: 60_000 });
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  // The explorer shows the workspace once the remote extension host is up.
  await page
    .locator('.explorer-folders-view .monaco-list-row', { hasText: 'src' })
    .first()
    .waitFor({ state: 'visible', timeout: 60_000 });
  log('the workbench is up');
  await screenshot(page, 'workbench');

  try {
    await steps(page, logFile, logBefore, dirs.userData);
  } catch (error) {
    await screenshot(page, 'failure');
    const output = await readOutput(page).catch(() => '');
    if (output) {
      log(`the tagls output channel:\n${output}`);
    }
    if (consoleErrors.length) {
      log(`browser console errors (last 10):\n${consoleErrors.slice(-10).join('\n')}`);
    }
    log(`code-server log: ${csLog}`);
    throw error;
  }
}

async function steps(page, logFile, logBefore, userData) {
  // ------------------------------------------------------------ 1. diagnostic
  await openFile(page, 'src/api/routes/auth.ts');
  await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)').catch(async () => {
    await page.keyboard.press('Control+Shift+M');
  });
  // Filter the panel to tagls's text, as a user would: TypeScript's own problems (the
  // demo has no node_modules) and tagls's other findings could push the row out of view.
  const filter = page.locator('.part.panel input[placeholder^="Filter"]').first();
  await filter.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await filter.fill('does not exist in the workspace');
  const problem = page.locator('.markers-panel .monaco-list-row', { hasText: DIAGNOSTIC_TEXT }).first();
  await problem.waitFor({ state: 'visible', timeout: 60_000 });
  const problemText = (await problem.innerText()).replace(/\s+/g, ' ').trim();
  if (!problemText.includes('tagls')) {
    fail(`the problem's source is not tagls: ${problemText}`);
  }
  // An error, not the default warning: the tagls.checks setting reached the server.
  const severity = await waitFor('the problem to be an error (tagls.checks)', 10_000, async () =>
    (await problem.locator('.codicon-error').count()) > 0 && 'error');
  log(`1. the Problems panel shows (${severity}): ${problemText}`);
  await screenshot(page, 'problems-panel');
  await filter.fill('');

  // ------------------------------------------------------------ 2. hover
  // Put the cursor inside `#COMPLETION_DRIVE:` on line 3 and ask for the hover, as
  // Ctrl+K Ctrl+I would (the mouse lands wherever the layout puts it).
  await openFile(page, 'src/api/routes/auth.ts');
  const input = page.locator('.quick-input-widget input[type="text"]');
  await page.keyboard.press('Control+G');
  await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await input.fill(':3:8');
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
  const hover = page.locator('.monaco-hover .hover-contents', { hasText: HOVER_TEXT }).first();
  await waitFor('tagls hover', 20_000, async () => {
    if (await hover.isVisible()) {
      return true;
    }
    await runCommand(page, 'Show or Focus Hover');
    return hover.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true);
  }, 500);
  const hoverText = (await hover.innerText()).replace(/\s+/g, ' ').trim();
  log(`2. the hover shows: ${hoverText.slice(0, 200)}`);
  if (!hoverText.includes('#COMPLETION_DRIVE')) {
    fail(`the hover does not name the tag: ${hoverText}`);
  }
  await screenshot(page, 'hover');
  await page.keyboard.press('Escape');

  // ------------------------------------------------------------ 2b. the gate
  const workspaceDir = path.dirname(path.dirname(logFile));
  const blocked = page.locator('.statusbar-item', { hasText: 'tagls: BLOCKED (1)' }).first();
  await blocked.waitFor({ state: 'visible', timeout: 60_000 });
  await blocked.click();
  // Room for the tags view: fold the Explorer's folder section, as a user would.
  const folders = page.locator('.pane-header[aria-expanded="true"]', { hasText: path.basename(workspaceDir) }).first();
  if (await folders.isVisible()) {
    await folders.click();
  }
  const tree = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'tagls Tags' }) }).first();
  const row = (text) => tree.locator('.monaco-list-row', { hasText: text }).first();
  await row('BLOCKED: 1 missing path(s)').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await row(DIAGNOSTIC_TEXT).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  for (const family of ['assumption (6)', 'pattern (2)', 'claim (3)', 'unknown (1)']) {
    await row(family).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  }
  await row('assumption (6)').click();
  await row('src/api/routes/auth.ts (4)').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await row('worker/main.go (1)').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await screenshot(page, 'gate-and-tags');
  await row('worker/main.go (1)').click();
  await row('Assuming DATABASE_URL').click();
  await page
    .locator('.tabs-container .tab.active[data-resource-name="main.go"]')
    .waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  const treeRows = (await tree.locator('.monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  if ((await blocked.locator('.codicon-error').count()) === 0) {
    fail('the BLOCKED status bar item has no error icon');
  }
  log(`2b. the status bar shows "${(await blocked.innerText()).trim()}" with the error icon; the tags view lists: ${treeRows.join(' | ')}`);
  // Fix the blocking finding on disk: the verdict follows.
  fs.mkdirSync(path.join(workspaceDir, 'src/config'), { recursive: true });
  fs.writeFileSync(path.join(workspaceDir, 'src/config/rate-limit.ts'), 'export const limit = 10;\n');
  const conditional = page.locator('.statusbar-item', { hasText: 'tagls: CONDITIONAL' }).first();
  await conditional.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  log(`2b. with src/config/rate-limit.ts created, the status bar shows "${(await conditional.innerText()).trim()}"`);
  await screenshot(page, 'gate-conditional');

  // ------------------------------------------------------------ 3. source action
  await openFile(page, 'src/services/user.service.ts');
  const action = page
    .locator('.action-widget .monaco-list-row', { hasText: ACTION_TITLE })
    .first();
  await waitFor(`"${ACTION_TITLE}" in the Source Action menu`, 45_000, async () => {
    await runCommand(page, 'Source Action...');
    return action.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true);
  }, 500);
  await screenshot(page, 'source-action-menu');
  await action.click();
  const entry = await waitFor('the entry in the log on disk', 20_000, () => {
    const text = fs.readFileSync(logFile, 'utf8');
    return ENTRY_RE.exec(text) && text;
  });
  const count = Number(ENTRY_RE.exec(entry)[1]);
  const expected = fs.readFileSync(path.join(path.dirname(path.dirname(logFile)), 'src/services/user.service.ts'), 'utf8')
    .split('\n').length - 1;
  if (Math.abs(count - expected) > 1) {
    fail(`the entry says ${count} lines; the file has ${expected}`);
  }
  // Nothing that was there is lost.
  for (const line of logBefore.split('\n').filter((l) => l.trim())) {
    if (!entry.includes(line)) {
      fail(`the log lost the line ${JSON.stringify(line)}:\n${entry}`);
    }
  }
  const added = entry.split('\n').length - logBefore.split('\n').length;
  log(`3. the log on disk now has "#FILE_CREATED: src/services/user.service.ts (${count} lines)" (+${added} lines)`);
  await screenshot(page, 'source-action-applied');

  // A false count for the quick fix of 4a: auth.ts has 26 lines.
  fs.writeFileSync(logFile, fs.readFileSync(logFile, 'utf8').replace(
    'src/api/routes/auth.ts (26 lines)',
    'src/api/routes/auth.ts (156 lines)',
  ));

  // ------------------------------------------------------------ 4. open the log
  await runCommand(page, 'tagls: Open Implementation Log');
  await page
    .locator('.tabs-container .tab.active[data-resource-name="implementation-log.md"]')
    .waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  const claimLine = page
    .locator('.editor-group-container.active .view-line', { hasText: '#FILE_CREATED: src/services/user.service.ts' })
    .first();
  await claimLine.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  // Semantic tokens arrive after the text: wait for the tag's own span and its colour.
  const colour = await waitFor('the #FILE_CREATED: token in its default colour', 20_000, async () => {
    const spans = await claimLine.locator('span > span').all();
    for (const span of spans) {
      if ((await span.innerText()).trim() === '#FILE_CREATED:') {
        const c = await span.evaluate((el) => getComputedStyle(el).color);
        return c === CLAIM_COLOUR ? c : undefined;
      }
    }
    return undefined;
  }, 300);
  log(`4. "tagls: Open Implementation Log" opened the log; #FILE_CREATED: is ${colour}`);
  await screenshot(page, 'implementation-log');

  // ------------------------------------------------------------ 4a. correct a count
  const falseLine = fs.readFileSync(logFile, 'utf8').split('\n')
    .findIndex((l) => l.includes('src/api/routes/auth.ts (156 lines)')) + 1;
  if (falseLine < 1) {
    fail('the log lost the false count written for this step');
  }
  const fixTitle = 'Correct to 26 lines';
  const fixRow = page.locator('.action-widget .monaco-list-row', { hasText: fixTitle }).first();
  await waitFor(`"${fixTitle}" in the quick fix menu`, 45_000, async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+G');
    await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await input.fill(`:${falseLine}:40`);
    await page.keyboard.press('Enter');
    await input.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    await runCommand(page, 'Quick Fix...');
    return fixRow.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true);
  }, 500);
  await screenshot(page, 'quick-fix-count');
  await fixRow.click();
  await page
    .locator('.editor-group-container.active .view-line', { hasText: 'src/api/routes/auth.ts (26 lines)' })
    .first()
    .waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await runCommand(page, 'File: Save');
  await waitFor('the corrected count on disk', UI_TIMEOUT_MS, () =>
    fs.readFileSync(logFile, 'utf8').includes('#FILE_CREATED: src/api/routes/auth.ts (26 lines)'));
  log(`4a. "${fixTitle}" corrected "(156 lines)" in the log, saved to disk`);

  // ------------------------------------------------------------ 4b. a log elsewhere
  // The workspace file moves the log; the command asks the server, which reads the file
  // again when it changes on disk.
  const workspace = path.dirname(path.dirname(logFile));
  fs.mkdirSync(path.join(workspace, path.dirname(MOVED_LOG_REL)), { recursive: true });
  fs.writeFileSync(
    path.join(workspace, MOVED_LOG_REL),
    '# Implementation Log\n\n## Files Created\n#FILE_CREATED: src/api/routes/auth.ts (26 lines)\n',
  );
  fs.writeFileSync(path.join(workspace, '.tagls.toml'), `log = "${MOVED_LOG_REL}"\n`);
  const movedTab = page.locator(
    `.tabs-container .tab.active[data-resource-name="${path.basename(MOVED_LOG_REL)}"]`,
  );
  await waitFor(`"tagls: Open Implementation Log" to open ${MOVED_LOG_REL}`, 30_000, async () => {
    await runCommand(page, 'tagls: Open Implementation Log');
    return movedTab.waitFor({ state: 'visible', timeout: 2_000 }).then(() => true);
  }, 500);
  log(`4b. with log = "${MOVED_LOG_REL}" in .tagls.toml, "tagls: Open Implementation Log" opened ${MOVED_LOG_REL}`);
  await screenshot(page, 'moved-log');

  // ------------------------------------------------------------ 5. restart, output
  const starts = () => (extensionLog(userData).match(/\] starting /g) ?? []).length;
  const before = starts();
  await runCommand(page, 'tagls: Restart Server');
  await waitFor('the server to start again', 20_000, () => starts() > before);
  await runCommand(page, 'tagls: Show Output');
  const channel = await waitFor('the Output panel on the tagls channel', UI_TIMEOUT_MS, async () => {
    const select = page.locator('.part.panel select.monaco-select-box').first();
    const name = await select.evaluate((el) => el.options[el.selectedIndex]?.text ?? '', null, { timeout: 1_000 });
    return name === 'tagls' && name;
  }, 300);
  log(`5. "tagls: Restart Server" started the server again (${starts()} starts); "tagls: Show Output" shows the ${channel} channel`);
  await screenshot(page, 'restart-and-output');

  // ------------------------------------------------------------ 5b. other languages
  // A Swift, a Rust and a Java file (tests/fixtures/editors/), new on disk: VS Code names
  // their language, the extension serves it, and tagls's diagnostic stands on the tag's
  // line and column, in a comment only that language's grammar reads as one; the same
  // text in a string is no problem.
  const fixtures = fileURLToPath(new URL('../fixtures/editors/', import.meta.url));
  const languages = ['Cart.swift', 'lib.rs', 'Orders.java'];
  fs.mkdirSync(path.join(workspaceDir, 'src/languages'), { recursive: true });
  for (const name of languages) {
    fs.copyFileSync(path.join(fixtures, name), path.join(workspaceDir, 'src/languages', name));
  }
  const seen = [];
  for (const name of languages) {
    const lines = fs.readFileSync(path.join(fixtures, name), 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes('#COMPLETION_DRIVE:'));
    // JavaScript strings count UTF-16 units, as VS Code's columns do.
    const col = lines[line].indexOf('#COMPLETION_DRIVE:');
    const payload = lines[line].split('#COMPLETION_DRIVE: ')[1].replace(/\*\/\s*$/, '').trim();
    await openFile(page, `src/languages/${name}`);
    await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)').catch(async () => {
      await page.keyboard.press('Control+Shift+M');
    });
    const problems = page.locator('.part.panel input[placeholder^="Filter"]').first();
    await problems.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await problems.fill(payload);
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: payload }).first();
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    const rowText = (await row.innerText()).replace(/\s+/g, ' ').trim();
    const where = `[Ln ${line + 1}, Col ${col + 1}]`;
    if (!rowText.includes('tagls') || !rowText.includes(where)) {
      fail(`${name}: the problem is not tagls's at ${where}: ${rowText}`);
    }
    await problems.fill('a string, not a tag');
    await row.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS }); // the filter applied
    const decoys = await page.locator('.markers-panel .monaco-list-row', { hasText: 'a string, not a tag' }).count();
    if (decoys > 0) {
      fail(`${name}: the tag's text in a string is reported as a problem`);
    }
    await screenshot(page, `language-${name}`);
    seen.push(`${name} ${where}`);
    await problems.fill('');
  }
  log(`5b. the Problems panel shows tagls's diagnostic in ${seen.join(', ')}`);

  // ------------------------------------------------------------ 6. no server
  // Point tagls.server.path at nothing: the extension restarts, says what is missing,
  // and its button opens the install instructions.
  const missing = '/nonexistent/tagls';
  fs.writeFileSync(path.join(userData, 'Machine', 'settings.json'), JSON.stringify({ 'tagls.server.path': missing }));
  const toast = page
    .locator('.notification-toast', { hasText: `The tagls language server was not found at ${missing}` })
    .first();
  await toast.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await page.waitForTimeout(500); // the toast fades in
  await screenshot(page, 'server-missing');
  await toast.locator('a.monaco-button, .monaco-button', { hasText: 'Install Instructions' }).first().click();
  const readme = page.locator('.tabs-container .tab.active', { hasText: 'README' }).first();
  await readme.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  const readmeTab = (await readme.innerText()).trim();
  // The preview is a webview: an iframe in an iframe.
  await page
    .frameLocator('iframe.webview.ready')
    .first()
    .frameLocator('iframe')
    .first()
    .locator('code', { hasText: 'cargo install --locked --path server' })
    .first()
    .waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  // No other error surfaced on the way (a settings notification sent to a stopping
  // server would show one).
  const errors = await page.locator('.notification-toast', { hasText: /failed/i }).allInnerTexts();
  if (errors.length) {
    fail(`error notifications: ${errors.join(' | ')}`);
  }
  log(`6. with no server at ${missing} the extension says so; "Install Instructions" opened "${readmeTab}" with the install command`);
  await screenshot(page, 'install-instructions');

  // ------------------------------------------------------------ 7. not the server
  const work = path.dirname(userData);
  const garbage = path.join(work, 'not-a-server.sh');
  fs.writeFileSync(garbage, '#!/bin/sh\nprintf \'hello\\r\\n\\r\\n\'\nexec sleep 120\n', { mode: 0o755 });
  for (const [program, why] of [
    ['/bin/true', 'it exited with status 0 before answering initialize'],
    [garbage, 'it did not answer initialize'],
  ]) {
    const startsOf = () => extensionLog(userData).split('\n').filter((l) => l.includes(`] starting ${program}`)).length;
    fs.writeFileSync(path.join(userData, 'Machine', 'settings.json'), JSON.stringify({ 'tagls.server.path': program }));
    const sentence = `tagls.server.path points to ${program}, which is not the tagls language server: ${why}`;
    const notServer = page.locator('.notification-toast', { hasText: sentence }).first();
    await notServer.waitFor({ state: 'visible', timeout: 45_000 });
    await page.waitForTimeout(500); // the toast fades in
    await screenshot(page, `not-a-server-${path.basename(program)}`);
    const shown = (await notServer.innerText()).replace(/\s+/g, ' ').trim();
    const raw = await page.locator('.notification-toast', { hasText: /EPIPE|crashed|connection to server/i }).allInnerTexts();
    if (raw.length) {
      fail(`raw connection errors shown: ${raw.join(' | ')}`);
    }
    if (startsOf() !== 1) {
      fail(`${program} was started ${startsOf()} times:\n${extensionLog(userData)}`);
    }
    log(`7. with tagls.server.path = ${program}: "${shown.slice(0, 200)}" (started once)`);
    if (program === garbage) {
      await notServer.locator('.monaco-button', { hasText: 'Open Settings' }).first().click();
    } else {
      await notServer.locator('.codicon-notifications-clear').first().click().catch(() => {});
    }
  }
  // The setting is machine-overridable: the Remote tab holds it.
  const search = page.locator('.settings-editor .suggest-input-container .view-line').first();
  await waitFor('the settings editor searching tagls.server.path', UI_TIMEOUT_MS, async () =>
    (await search.innerText()).includes('tagls.server.path'));
  const tab = page.locator('.settings-editor .settings-tabs-widget .action-label.checked').first();
  const tabName = (await tab.innerText()).trim();
  if (!/remote/i.test(tabName)) {
    fail(`"Open Settings" opened the ${tabName} tab, not Remote`);
  }
  await page
    .locator('.settings-editor .setting-item-contents', { hasText: 'Server: Path' })
    .first()
    .waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  log(`7. "Open Settings" opened the ${tabName} tab on tagls.server.path`);
  await screenshot(page, 'remote-settings');

  // ------------------------------------------------------------ 8. settings forms
  // Each server setting is edited in the form, not only in settings.json.
  const forms = [
    ['tagls.log', 'The implementation log, relative to', 'input'],
    ['tagls.git-base', 'The git revision the log', 'input'],
    ['tagls.max-file-size', 'Files larger than this many bytes', 'input'],
    ['tagls.env-files', 'Env files at the workspace root', '.setting-list-widget'],
    ['tagls.ignore', 'Files tagls does not look at', '.setting-list-widget'],
    ['tagls.ui-files', 'Globs of files whose change is visual work', '.setting-list-widget'],
    ['tagls.env-in-code', 'Whether environment variables that the code reads', 'select'],
  ];
  const editable = [];
  for (const [key, description, control] of forms) {
    await page.locator('.settings-editor .suggest-input-container').first().click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type(key);
    const item = page.locator('.settings-editor .setting-item-contents', { hasText: description }).first();
    await item.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    if ((await item.locator('.edit-in-settings-button, a', { hasText: 'Edit in settings.json' }).count()) > 0) {
      fail(`${key} offers only "Edit in settings.json"`);
    }
    await item.locator(control).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    editable.push(key);
  }
  log(`8. the Settings editor edits ${editable.join(', ')} in place`);
  await screenshot(page, 'settings-forms');
}

/** The extension's output channel as VS Code writes it to disk. */
function extensionLog(userData) {
  let text = '';
  const logs = path.join(userData, 'logs');
  for (const session of fs.existsSync(logs) ? fs.readdirSync(logs) : []) {
    for (const host of fs.readdirSync(path.join(logs, session))) {
      const file = path.join(logs, session, host, 'tagls.tagls', 'tagls.log');
      if (fs.existsSync(file)) {
        text += fs.readFileSync(file, 'utf8');
      }
    }
  }
  return text;
}

/** The text of the tagls output channel, through "tagls: Show Output". */
async function readOutput(page) {
  await runCommand(page, 'tagls: Show Output');
  await page.waitForTimeout(1000);
  return page.locator('.part.panel .monaco-editor .view-lines').first().innerText({ timeout: 5_000 });
}

async function shutdown() {
  finished = true;
  if (context) {
    await Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
  }
  if (codeServer && codeServer.exitCode === null) {
    killCodeServer('SIGTERM');
    const gone = await Promise.race([
      new Promise((r) => codeServer.once('exit', () => r(true))),
      new Promise((r) => setTimeout(() => r(false), 5_000)),
    ]);
    if (!gone) {
      killCodeServer('SIGKILL');
    }
  }
  // The group may outlive its leader (the extension host, tagls).
  killCodeServer('SIGKILL');
}

let status = 0;
try {
  await main();
  log('RESULT: ok');
} catch (error) {
  status = 1;
  log(`RESULT: failed: ${error?.stack ?? error}`);
} finally {
  await shutdown();
  clearTimeout(deadline);
  process.exit(status);
}
