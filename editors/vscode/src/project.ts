// The whole-project view: the gate's verdict in the status bar, and every tag of the
// workspace in a tree (the gate's findings first, then families, files and tags).
//
// Everything shown comes from the server's `tagls.gate` command, which answers what
// `tagls check` decides for the files on disk; nothing here judges a tag or a verdict.

import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient } from 'vscode-languageclient/node';

/** The server's query for the gate's answer (docs/ARCHITECTURE.md, "The whole-project view"). */
const GATE_COMMAND = 'tagls.gate';
export const VIEW_ID = 'tagls.tags';
export const REFRESH_COMMAND = 'tagls.refreshTags';
export const SHOW_GATE_COMMAND = 'tagls.showGate';
/** How long the workspace must be quiet before the gate is asked again. */
const DEBOUNCE_MS = 400;

interface Position {
  line: number;
  character: number;
}
interface Range {
  start: Position;
  end: Position;
}
interface GateFinding {
  uri: string;
  path: string;
  range: Range;
  code: string;
  severity: string;
  gate: string | null;
  message: string;
  tag: string | null;
}
interface GateTag {
  uri: string;
  path: string;
  range: Range;
  tag: string;
  family: string | null;
  payload: string;
}
interface GateRoot {
  root: string | null;
  verdict: string;
  reason: string;
  log: string;
  summary: { findings: number; blocking: number; conditional: number; tagged_files: number; tags: number };
  findings: GateFinding[];
  tags: GateTag[];
}

type Node =
  | { kind: 'root'; root: GateRoot }
  | { kind: 'gate'; root: GateRoot; parent: Node | undefined }
  | { kind: 'finding'; finding: GateFinding; parent: Node }
  | { kind: 'family'; root: GateRoot; family: string; tags: GateTag[]; parent: Node | undefined }
  | { kind: 'file'; path: string; uri: string; tags: GateTag[]; parent: Node }
  | { kind: 'tag'; tag: GateTag; parent: Node };

/** The families in the order the method introduces them; a tag the registry does not know comes last. */
const FAMILY_ORDER = ['assumption', 'pattern', 'suggestion', 'decision', 'claim', 'verdict'];
const UNKNOWN = 'unknown';

export class ProjectView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly status: vscode.StatusBarItem;
  private readonly view: vscode.TreeView<Node>;
  private readonly disposables: vscode.Disposable[] = [];
  private roots: GateRoot[] = [];
  private top: Node[] = [];
  private client: LanguageClient | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = false;
  private again = false;

  constructor(private readonly output: vscode.LogOutputChannel) {
    this.status = vscode.window.createStatusBarItem('tagls.gate', vscode.StatusBarAlignment.Left, 0);
    this.status.name = 'tagls gate';
    this.status.command = SHOW_GATE_COMMAND;
    this.view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: this, showCollapseAll: true });
    const watcher = vscode.workspace.createFileSystemWatcher('**/*');
    const later = () => this.refreshSoon();
    this.disposables.push(
      this.status,
      this.view,
      this.changed,
      watcher,
      watcher.onDidCreate(later),
      watcher.onDidChange(later),
      watcher.onDidDelete(later),
      vscode.workspace.onDidSaveTextDocument(later),
      vscode.languages.onDidChangeDiagnostics(later),
      vscode.window.onDidChangeActiveTextEditor(() => this.showStatus()),
    );
  }

  dispose(): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    for (const d of this.disposables) {
      d.dispose();
    }
  }

  /** The running client to ask, or none (the server is stopped or missing). */
  setClient(client: LanguageClient | undefined): void {
    this.client = client;
    if (client) {
      this.refreshSoon(0);
    } else {
      this.roots = [];
      this.top = [];
      this.status.hide();
      this.view.message = 'The tagls language server is not running.';
      this.view.description = undefined;
      this.changed.fire(undefined);
    }
  }

  /** Asks the gate again once the workspace has been quiet for a moment. */
  refreshSoon(delay = DEBOUNCE_MS): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delay);
  }

  /** One request at a time: a refresh asked for meanwhile runs once this one is answered. */
  async refresh(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const client = this.client;
    if (!client?.isRunning()) {
      return;
    }
    this.inFlight = true;
    try {
      const answer = (await client.sendRequest(ExecuteCommandRequest.type, {
        command: GATE_COMMAND,
        arguments: [],
      })) as { roots?: GateRoot[] } | null;
      if (client === this.client) {
        this.show(Array.isArray(answer?.roots) ? answer.roots : []);
      }
    } catch (error) {
      if (client === this.client && client.isRunning()) {
        this.output.warn(`asking the server for the gate's answer: ${String(error)}`);
      }
    } finally {
      this.inFlight = false;
      if (this.again) {
        this.again = false;
        this.refreshSoon(0);
      }
    }
  }

  /** Reveals the gate's findings in the tree (the status bar item's click). */
  async showGate(): Promise<void> {
    const root = this.activeRoot();
    const node = this.top.find(
      (n) => (n.kind === 'gate' && n.root === root) || (n.kind === 'root' && n.root === root),
    );
    const target = node?.kind === 'root' ? this.children(node).find((n) => n.kind === 'gate') : node;
    await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
    if (target) {
      await this.view.reveal(target, { select: true, focus: true, expand: true });
    }
  }

  private show(roots: GateRoot[]): void {
    this.roots = roots;
    this.top =
      roots.length === 1
        ? this.rootChildren(roots[0], undefined)
        : roots.map((root) => ({ kind: 'root', root }) as Node);
    this.view.message = roots.length === 0 ? 'Open a folder to see its tags.' : undefined;
    const tags = roots.reduce((n, r) => n + r.summary.tags, 0);
    this.view.description = `${tags} ${tags === 1 ? 'tag' : 'tags'}`;
    this.changed.fire(undefined);
    this.showStatus();
  }

  /** The root of the active editor's file, else the first. */
  private activeRoot(): GateRoot | undefined {
    const active = vscode.window.activeTextEditor?.document.uri.toString();
    const holding = active
      ? this.roots
          .filter((r) => r.root && (active === r.root || active.startsWith(`${r.root.replace(/\/$/, '')}/`)))
          .sort((a, b) => (b.root?.length ?? 0) - (a.root?.length ?? 0))[0]
      : undefined;
    return holding ?? this.roots[0];
  }

  private showStatus(): void {
    const root = this.activeRoot();
    if (!root) {
      this.status.hide();
      return;
    }
    const icon =
      root.verdict === 'PASSED' ? '$(check)' : root.verdict === 'BLOCKED' ? '$(error)' : '$(warning)';
    const count =
      root.verdict === 'BLOCKED'
        ? root.summary.blocking
        : root.verdict === 'CONDITIONAL'
          ? root.summary.conditional
          : 0;
    this.status.text = `${icon} tagls: ${root.verdict}${count ? ` (${count})` : ''}`;
    const tooltip = new vscode.MarkdownString(undefined, true);
    for (const r of this.roots) {
      const name = r.root ? vscode.Uri.parse(r.root).fsPath : '';
      tooltip.appendMarkdown(`**${r.verdict}**${r.reason ? `: ${escape(r.reason)}` : ''}`);
      tooltip.appendMarkdown(this.roots.length > 1 ? ` — ${escape(name)}\n\n` : '\n\n');
    }
    tooltip.appendMarkdown('What `tagls check` decides for the files on disk. Click to see the findings.');
    this.status.tooltip = tooltip;
    this.status.backgroundColor =
      root.verdict === 'BLOCKED' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.status.show();
  }

  private rootChildren(root: GateRoot, parent: Node | undefined): Node[] {
    const gate: Node = { kind: 'gate', root, parent };
    const byFamily = new Map<string, GateTag[]>();
    for (const tag of root.tags) {
      const family = tag.family ?? UNKNOWN;
      byFamily.set(family, [...(byFamily.get(family) ?? []), tag]);
    }
    const rank = (f: string) => {
      const i = FAMILY_ORDER.indexOf(f);
      return i < 0 ? FAMILY_ORDER.length : i;
    };
    const families = [...byFamily.entries()]
      .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
      .map(([family, tags]) => ({ kind: 'family', root, family, tags, parent }) as Node);
    return [gate, ...families];
  }

  getParent(node: Node): Node | undefined {
    return node.kind === 'root' ? undefined : node.parent;
  }

  getChildren(node?: Node): Node[] {
    return node ? this.children(node) : this.top;
  }

  private children(node: Node): Node[] {
    switch (node.kind) {
      case 'root':
        return this.rootChildren(node.root, node);
      case 'gate':
        return node.root.findings
          .filter((f) => f.gate)
          .map((finding) => ({ kind: 'finding', finding, parent: node }) as Node);
      case 'family': {
        const byFile = new Map<string, GateTag[]>();
        for (const tag of node.tags) {
          byFile.set(tag.uri, [...(byFile.get(tag.uri) ?? []), tag]);
        }
        return [...byFile.values()].map(
          (tags) => ({ kind: 'file', path: tags[0].path, uri: tags[0].uri, tags, parent: node }) as Node,
        );
      }
      case 'file':
        return node.tags.map((tag) => ({ kind: 'tag', tag, parent: node }) as Node);
      default:
        return [];
    }
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const collapsed = vscode.TreeItemCollapsibleState.Collapsed;
    switch (node.kind) {
      case 'root': {
        const item = new vscode.TreeItem(
          node.root.root ? vscode.Uri.parse(node.root.root).path.split('/').pop() || node.root.root : '?',
          vscode.TreeItemCollapsibleState.Expanded,
        );
        item.description = node.root.verdict;
        item.id = `root:${node.root.root}`;
        item.iconPath = new vscode.ThemeIcon('root-folder');
        return item;
      }
      case 'gate': {
        const n = node.root.findings.filter((f) => f.gate).length;
        const item = new vscode.TreeItem(
          `${node.root.verdict}${node.root.reason ? `: ${node.root.reason}` : ''}`,
          n ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
        );
        item.id = `gate:${node.root.root}`;
        item.description = `${n} ${n === 1 ? 'finding' : 'findings'} for the gate`;
        item.tooltip = `The gate's verdict, as tagls check gives it for the files on disk: ${node.root.verdict}`;
        item.iconPath = verdictIcon(node.root.verdict);
        item.contextValue = 'gate';
        return item;
      }
      case 'finding': {
        const f = node.finding;
        const item = new vscode.TreeItem(f.message, vscode.TreeItemCollapsibleState.None);
        item.description = `${f.path}:${f.range.start.line + 1}`;
        item.tooltip = `${f.gate}: ${f.message} (${f.code})`;
        item.iconPath = verdictIcon(f.gate ?? '');
        item.command = openAt(f.uri, f.range);
        return item;
      }
      case 'family': {
        const item = new vscode.TreeItem(`${node.family} (${node.tags.length})`, collapsed);
        item.id = `family:${node.root.root}:${node.family}`;
        item.iconPath = new vscode.ThemeIcon(node.family === UNKNOWN ? 'question' : 'tag');
        return item;
      }
      case 'file': {
        const item = new vscode.TreeItem(`${node.path} (${node.tags.length})`, collapsed);
        item.resourceUri = vscode.Uri.parse(node.uri);
        item.label = `${node.path} (${node.tags.length})`;
        item.iconPath = vscode.ThemeIcon.File;
        return item;
      }
      case 'tag': {
        const t = node.tag;
        const item = new vscode.TreeItem(`#${t.tag}`, vscode.TreeItemCollapsibleState.None);
        item.description = t.payload;
        item.tooltip = `#${t.tag}: ${t.payload} (${t.path}:${t.range.start.line + 1})`;
        item.command = openAt(t.uri, t.range);
        return item;
      }
    }
  }
}

function verdictIcon(verdict: string): vscode.ThemeIcon {
  switch (verdict) {
    case 'PASSED':
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'BLOCKED':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    default:
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('editorWarning.foreground'));
  }
}

function openAt(uri: string, range: Range): vscode.Command {
  const selection = new vscode.Range(
    range.start.line,
    range.start.character,
    range.end.line,
    range.end.character,
  );
  return {
    title: 'Open',
    command: 'vscode.open',
    arguments: [vscode.Uri.parse(uri), { selection } satisfies vscode.TextDocumentShowOptions],
  };
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
