// The tagls extension: starts the tagls language server (a separate binary, found
// through `tagls.server.path`) for TypeScript, JavaScript, Go, Python and Markdown (the
// implementation log, wherever the `log` setting puts it), passes the user's `tagls.*`
// settings through to it, and adds three commands (restart the server, open the
// implementation log, show the output) and the whole-project view (project.ts: the gate's
// verdict in the status bar, every tag in a tree).
//
// Everything the user sees in the editor (diagnostics, hover, semantic tokens,
// inlay hints, code actions, the verdict) comes from the server; this file only wires it up.

import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CloseAction,
  type ConfigurationParams,
  DidChangeConfigurationNotification,
  type DocumentSelector,
  ErrorAction,
  type ErrorHandler,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { ProjectView, REFRESH_COMMAND, SHOW_GATE_COMMAND } from './project';

/** The client id: vscode-languageclient reads `tagls.trace.server` through it. */
const CLIENT_ID = 'tagls';
const CLIENT_NAME = 'tagls';
/** Settings of the extension itself, never sent to the server. */
const EXTENSION_ONLY_KEYS = ['server', 'trace'];
/** The server's query for where the implementation log is. */
const LOG_PATH_COMMAND = 'tagls.logPath';
/** The name the tagls server gives in its answer to `initialize`. */
const SERVER_NAME = 'tagls';
/** How long a server has to answer `initialize`; tagls answers at once. */
const INITIALIZE_TIMEOUT_MS = 20_000;
const SERVER_PATH_SETTING = 'tagls.server.path';
/**
 * The documents tagls serves: code (docs/LANGUAGES.md lists its languages), and Markdown. Which Markdown file
 * is the implementation log is the server's to say (the `log` setting, from `tagls.log`
 * or `.tagls.toml`); it stays silent on the others.
 */
const DOCUMENT_SELECTOR: DocumentSelector = [
  'typescript',
  'typescriptreact',
  'javascript',
  'javascriptreact',
  'go',
  'python',
  'swift',
  'rust',
  'java',
  'kotlin',
  'csharp',
  'c',
  'cpp',
  'ruby',
  'php',
  'shellscript',
  'css',
  'scss',
  'less',
  'lua',
  'yaml',
  'toml',
  'html',
  'vue',
  'svelte',
  'markdown',
  // The phase state (`.claude/orchestration/phase_state.json`, or where `phase-state` says).
  'json',
].flatMap((language) => [
  { scheme: 'file', language },
  // The cells of a Jupyter notebook: the server syncs them as the notebook's
  // (notebookDocumentSync), and answers on each cell.
  { scheme: 'vscode-notebook-cell', language },
]);

/**
 * The client, quiet while the server starts: until the server has answered `initialize`
 * as tagls, the client's own error notifications ("couldn't create connection to server",
 * "write EPIPE") go to the output only, and one sentence says what is wrong.
 */
class TaglsClient extends LanguageClient {
  quiet = true;

  override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    super.error(message, data, this.quiet ? false : showNotification);
  }
}

let client: TaglsClient | undefined;
/** The server process of `client`. */
let serverProcess: ChildProcess | undefined;
/** Set as soon as a restart is due, so that nothing more is sent to the old server. */
let restartPending = false;
let outputChannel: vscode.LogOutputChannel;
let project: ProjectView | undefined;
/** Serialises start/stop/restart so that two restarts never race. */
let lifecycle: Promise<void> = Promise.resolve();

export function activate(context: vscode.ExtensionContext): void {
  outputChannel = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  const view = new ProjectView(outputChannel);
  project = view;
  context.subscriptions.push(
    outputChannel,
    view,
    vscode.commands.registerCommand(REFRESH_COMMAND, () => view.refresh()),
    vscode.commands.registerCommand(SHOW_GATE_COMMAND, () => view.showGate()),
    vscode.commands.registerCommand('tagls.restartServer', () => enqueue(() => restart(context))),
    vscode.commands.registerCommand('tagls.openLog', () => openLog()),
    vscode.commands.registerCommand('tagls.showOutput', () => outputChannel.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // A new binary needs a new process; the other settings reach the running server
      // through workspace/didChangeConfiguration (synchronize.configurationSection).
      if (event.affectsConfiguration('tagls.server')) {
        restartPending = true;
        void enqueue(() => restart(context));
      }
    }),
  );
  void enqueue(() => start(context));
}

export function deactivate(): Thenable<void> | undefined {
  return enqueue(() => stop());
}

function enqueue(step: () => Promise<void>): Promise<void> {
  lifecycle = lifecycle.then(step, step).catch((error: unknown) => {
    outputChannel.error(`${String(error)}`);
  });
  return lifecycle;
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await stop();
  await start(context);
}

async function stop(): Promise<void> {
  const running = client;
  const proc = serverProcess;
  client = undefined;
  serverProcess = undefined;
  project?.setClient(undefined);
  if (running) {
    try {
      await running.stop(5000);
    } catch (error) {
      outputChannel.error(`stopping the server: ${String(error)}`);
    }
    await running.dispose();
  }
  if (proc) {
    await end(proc);
  }
}

/** Whether a process has exited. */
function hasExited(proc: ChildProcess): boolean {
  return proc.exitCode !== null || proc.signalCode !== null;
}

/** Waits up to `ms` for a process to exit. */
function exitWithin(proc: ChildProcess, ms: number): Promise<void> {
  if (hasExited(proc)) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Ends a server process that did not exit after `exit`, as vscode-languageclient does. */
async function end(proc: ChildProcess): Promise<void> {
  await exitWithin(proc, 2000);
  if (!hasExited(proc)) {
    proc.kill();
  }
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  restartPending = false;
  const command = resolveServerPath();
  if (!command.found) {
    void reportMissingServer(context, command);
    return;
  }
  outputChannel.info(`starting ${command.path}`);

  // Until the server has answered `initialize` as tagls, a failure means the binary is
  // not the tagls language server (`/bin/cat`, a script): it is said once, in one
  // sentence, and the server is not started again. Once it runs, a crash restarts it as
  // vscode-languageclient always does.
  let initialized = false;
  let failure: string | undefined;
  /** How the process ended before it answered `initialize`, when it did. */
  let exited: string | undefined;
  let givenUp = false;
  let proc: ChildProcess | undefined;
  const serverOptions: ServerOptions = async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    // `--stdio`, as vscode-languageclient passes it; tagls accepts and ignores it.
    const spawned = spawn(command.path, ['--stdio'], {
      cwd: folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined,
      stdio: 'pipe',
    });
    proc = spawned;
    if (initialized) {
      // Restarted by vscode-languageclient after a crash.
      serverProcess = spawned;
    }
    spawned.on('error', (error) => {
      if (!initialized && !givenUp) {
        exited ??= `it could not be run (${error.message})`;
        fail(exited);
      }
    });
    spawned.on('exit', (code, signal) => {
      if (!initialized && !givenUp) {
        exited ??=
          code !== null
            ? `it exited with status ${code} before answering initialize`
            : `it was ended by ${signal} before answering initialize`;
        fail(exited);
      }
    });
    return spawned;
  };
  let failed: () => void = () => {};
  const failedEarly = new Promise<void>((resolve) => {
    failed = resolve;
  });
  const fail = (why: string) => {
    failure ??= why;
    failed();
  };
  let defaultHandler: ErrorHandler | undefined;
  const errorHandler: ErrorHandler = {
    error: (error, message, count) => {
      if (!initialized) {
        fail(`it did not answer initialize (${error.message})`);
        return { action: ErrorAction.Shutdown, handled: true };
      }
      defaultHandler ??= languageClient.createDefaultErrorHandler();
      return defaultHandler.error(error, message, count);
    },
    closed: () => {
      if (!initialized) {
        fail('it exited before answering initialize');
        return { action: CloseAction.DoNotRestart, handled: true };
      }
      defaultHandler ??= languageClient.createDefaultErrorHandler();
      return defaultHandler.closed();
    },
  };

  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel,
    errorHandler,
    initializationFailedHandler: (error: unknown) => {
      fail(`it did not answer initialize (${error instanceof Error ? error.message : String(error)})`);
      return false;
    },
    initializationOptions: serverSettings(vscode.workspace.getConfiguration().get('tagls')),
    synchronize: { configurationSection: 'tagls' },
    middleware: {
      workspace: {
        // vscode-languageclient sends (synchronize.configurationSection) and answers
        // (workspace/configuration) the whole `tagls` section; the server must not see
        // the extension's own settings, so both go through serverSettings().
        didChangeConfiguration: async (sections, next) => {
          if (restartPending || client !== languageClient || !languageClient.isRunning()) {
            // The server is on its way out; the next one gets the settings at start.
            return;
          }
          if (!sections?.includes('tagls')) {
            return next(sections);
          }
          const tagls = serverSettings(vscode.workspace.getConfiguration().get('tagls'));
          try {
            await languageClient.sendNotification(DidChangeConfigurationNotification.type, {
              settings: { tagls },
            });
          } catch (error) {
            outputChannel.warn(`sending the settings to the server: ${String(error)}`);
          }
        },
        configuration: async (params: ConfigurationParams, token, next) => {
          const result = await next(params, token);
          if (!Array.isArray(result)) {
            return result;
          }
          return result.map((value, i) =>
            params.items[i]?.section === 'tagls' ? serverSettings(value) : value,
          );
        },
      },
    },
  };

  const languageClient = new TaglsClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  client = languageClient;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      fail(`it did not answer initialize within ${INITIALIZE_TIMEOUT_MS / 1000} seconds`);
      resolve();
    }, INITIALIZE_TIMEOUT_MS);
  });
  const started = languageClient.start();
  // Raced below: a start that fails after the race is over is reported through `fail`.
  started.catch(() => {});
  try {
    await Promise.race([started, failedEarly, timedOut]);
    const name = languageClient.initializeResult?.serverInfo?.name;
    if (failure === undefined && name !== SERVER_NAME) {
      fail(name ? `it answered initialize as ${name}` : 'it answered initialize without its name');
    }
  } catch (error) {
    fail(`it did not answer initialize (${error instanceof Error ? error.message : String(error)})`);
  } finally {
    clearTimeout(timer);
  }
  if (failure === undefined) {
    initialized = true;
    languageClient.quiet = false;
    serverProcess = proc;
    project?.setClient(languageClient);
    return;
  }
  // Not the tagls server: stop it, and do not start it again until the setting changes
  // or the user restarts. A program that exits on its own is given a moment to, so that
  // the message says so.
  if (client === languageClient) {
    client = undefined;
  }
  if (proc) {
    await exitWithin(proc, 1000);
  }
  givenUp = true;
  try {
    await languageClient.dispose(2000);
  } catch {
    // It is gone either way.
  }
  if (proc && !hasExited(proc)) {
    proc.kill();
  }
  void reportNotServer(command, exited ?? failure);
}

/** One sentence for a `tagls.server.path` that is not the tagls language server. */
async function reportNotServer(command: ServerCommand, why: string): Promise<void> {
  const message = `tagls.server.path points to ${command.path}, which is not the tagls language server: ${why}.`;
  outputChannel.error(message);
  const settings = 'Open Settings';
  const output = 'Show Output';
  const choice = await vscode.window.showErrorMessage(message, settings, output);
  if (choice === settings) {
    await openServerPathSetting();
  } else if (choice === output) {
    outputChannel.show(true);
  }
}

/**
 * Opens the settings editor on `tagls.server.path`, in the scope that holds it: the
 * setting is machine-overridable, so in a remote window (SSH, a container, code-server)
 * it lives under the Remote tab, and the User tab would show nothing to change.
 */
async function openServerPathSetting(): Promise<void> {
  if (vscode.env.remoteName) {
    await vscode.commands.executeCommand('workbench.action.openRemoteSettings', {
      query: SERVER_PATH_SETTING,
    });
  } else {
    await vscode.commands.executeCommand('workbench.action.openSettings', SERVER_PATH_SETTING);
  }
}

/**
 * The `tagls` settings object as the server reads it: without the extension's own
 * keys (`server`, `trace`) and without unset (null) values, so that the server's
 * `.tagls.toml` and defaults apply wherever the user set nothing.
 */
export function serverSettings(section: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (section === null || typeof section !== 'object' || Array.isArray(section)) {
    return out;
  }
  for (const [key, value] of Object.entries(section as Record<string, unknown>)) {
    if (EXTENSION_ONLY_KEYS.includes(key) || value === null || value === undefined) {
      continue;
    }
    out[key] = value;
  }
  return out;
}

interface ServerCommand {
  found: boolean;
  /** The configured value, for messages. */
  configured: string;
  /** The absolute path of the binary, when found. */
  path: string;
}

/** Finds the binary that `tagls.server.path` names: a path, or a name on PATH. */
function resolveServerPath(): ServerCommand {
  const configured =
    vscode.workspace.getConfiguration('tagls').get<string>('server.path')?.trim() || 'tagls';
  let candidate = configured;
  if (candidate === '~' || candidate.startsWith('~/')) {
    candidate = path.join(os.homedir(), candidate.slice(1));
  }
  const isPath = candidate.includes('/') || candidate.includes('\\');
  if (isPath) {
    if (!path.isAbsolute(candidate)) {
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (folder?.uri.scheme === 'file') {
        candidate = path.join(folder.uri.fsPath, candidate);
      }
    }
    return { found: isExecutableFile(candidate), configured, path: candidate };
  }
  const extensions =
    process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) {
      continue;
    }
    for (const ext of extensions) {
      const full = path.join(dir, candidate + ext);
      if (isExecutableFile(full)) {
        return { found: true, configured, path: full };
      }
    }
  }
  return { found: false, configured, path: candidate };
}

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    if (process.platform !== 'win32') {
      fs.accessSync(file, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

async function reportMissingServer(
  context: vscode.ExtensionContext,
  command: ServerCommand,
): Promise<void> {
  const where =
    command.configured === 'tagls'
      ? 'The tagls language server (`tagls`) was not found on PATH.'
      : `The tagls language server was not found at ${command.path} (setting tagls.server.path).`;
  const message = `${where} Install it with \`cargo install --locked --path server\` from the tagls repository, or set tagls.server.path to the binary.`;
  outputChannel.error(message);
  const install = 'Install Instructions';
  const settings = 'Open Settings';
  const choice = await vscode.window.showErrorMessage(message, install, settings);
  if (choice === install) {
    // The extension's README holds the install instructions, and works offline. (vsce
    // packs it as readme.md; a development checkout has README.md.)
    const name =
      ['readme.md', 'README.md'].find((n) => fs.existsSync(path.join(context.extensionPath, n))) ??
      'README.md';
    const readme = vscode.Uri.joinPath(context.extensionUri, name);
    try {
      await vscode.commands.executeCommand('markdown.showPreview', readme);
    } catch {
      await vscode.window.showTextDocument(readme);
    }
  } else if (choice === settings) {
    await openServerPathSetting();
  }
}

/**
 * Opens the implementation log of the active editor's workspace root (else of the first
 * root), where the server says it is. Creates nothing.
 */
async function openLog(): Promise<void> {
  const running = client;
  if (!running?.isRunning()) {
    void vscode.window.showInformationMessage(
      'tagls: the language server is not running; open a file of the project, or run "tagls: Restart Server".',
    );
    return;
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  const args = active?.scheme === 'file' ? [{ file: active.toString() }] : [];
  let answer: unknown;
  try {
    answer = await running.sendRequest(ExecuteCommandRequest.type, {
      command: LOG_PATH_COMMAND,
      arguments: args,
    });
  } catch (error) {
    outputChannel.error(`asking the server where the log is: ${String(error)}`);
    void vscode.window.showErrorMessage(`tagls: the server could not say where the log is: ${String(error)}`);
    return;
  }
  const logPath = (answer as { path?: unknown } | null)?.path;
  if (typeof logPath !== 'string') {
    void vscode.window.showInformationMessage(
      'tagls: open a folder first; the implementation log lives in a workspace.',
    );
    return;
  }
  const log = vscode.Uri.file(logPath);
  try {
    const stat = await vscode.workspace.fs.stat(log);
    if (stat.type & vscode.FileType.File) {
      await vscode.window.showTextDocument(log, { preview: false });
      return;
    }
  } catch {
    // Not there: said below.
  }
  void vscode.window.showInformationMessage(
    `tagls: there is no implementation log at ${log.fsPath}. The quick fix "Create the implementation log" on a tag writes one.`,
  );
}
