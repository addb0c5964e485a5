// The tagls extension: starts the tagls language server (a separate binary, found
// through `tagls.server.path`) for TypeScript, JavaScript, Go, Python and Markdown (the
// implementation log, wherever the `log` setting puts it), passes the user's `tagls.*`
// settings through to it, and adds three commands (restart the server, open the
// implementation log, show the output).
//
// Everything the user sees in the editor (diagnostics, hover, semantic tokens,
// inlay hints, code actions) comes from the server; this file only wires it up.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  type ConfigurationParams,
  DidChangeConfigurationNotification,
  type DocumentSelector,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';

/** The client id: vscode-languageclient reads `tagls.trace.server` through it. */
const CLIENT_ID = 'tagls';
const CLIENT_NAME = 'tagls';
/** Settings of the extension itself, never sent to the server. */
const EXTENSION_ONLY_KEYS = ['server', 'trace'];
/** The server's query for where the implementation log is. */
const LOG_PATH_COMMAND = 'tagls.logPath';
/**
 * The documents tagls serves: code in six languages, and Markdown. Which Markdown file
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
  'markdown',
].map((language) => ({ scheme: 'file', language }));

let client: LanguageClient | undefined;
/** Set as soon as a restart is due, so that nothing more is sent to the old server. */
let restartPending = false;
let outputChannel: vscode.LogOutputChannel;
/** Serialises start/stop/restart so that two restarts never race. */
let lifecycle: Promise<void> = Promise.resolve();

export function activate(context: vscode.ExtensionContext): void {
  outputChannel = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  context.subscriptions.push(
    outputChannel,
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
  client = undefined;
  if (running) {
    try {
      await running.stop(5000);
    } catch (error) {
      outputChannel.error(`stopping the server: ${String(error)}`);
    }
    await running.dispose();
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

  const serverOptions: ServerOptions = {
    command: command.path,
    // vscode-languageclient appends `--stdio`; tagls accepts and ignores it.
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel,
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

  const languageClient = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  client = languageClient;
  try {
    await languageClient.start();
  } catch (error) {
    outputChannel.error(`the server did not start: ${String(error)}`);
    // Not awaited: a notification left open must not hold up a restart.
    void vscode.window
      .showErrorMessage(
        `tagls: the language server (${command.path}) did not start: ${String(error)}`,
        'Show Output',
      )
      .then((choice) => {
        if (choice === 'Show Output') {
          outputChannel.show(true);
        }
      });
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
    await vscode.commands.executeCommand('workbench.action.openSettings', 'tagls.server.path');
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
