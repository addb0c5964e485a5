//! What the benchmarks share besides their plots: the facts about the
//! machine printed at the top of each run, the cache of generated trees, and
//! the generator of TypeScript documents of the `edit` and `protocol`
//! benches.
//!
//! Shared by the benches through `#[path = "support.rs"] mod support;`; each
//! bench uses a subset, hence the `#[allow(dead_code)]` on the items not all
//! of them use. The workspace generator (`server/examples/gen_workspace.rs`)
//! is included here, as [`generator`], for [`ensure_workspace`]: the benches
//! that need it use `support::generator`.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[path = "../examples/gen_workspace.rs"]
pub mod generator;

// ---------------------------------------------------------------------------
// A timed child.

/// A child's wall time and peak RSS.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub wall: std::time::Duration,
    pub maxrss_kb: u64,
}

/// Runs `cmd` with stdin, stdout and stderr on /dev/null and times it;
/// waits with `wait4` so that the peak RSS is this child's own. Exit
/// statuses in `ok` are success (tagls exits 1 when the gate blocks,
/// ripgrep when nothing matched); any other, or a signal, panics.
#[allow(dead_code)]
pub fn timed(mut cmd: Command, ok: &[i32]) -> Run {
    use std::process::Stdio;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let t0 = Instant::now();
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero `rusage` is a valid value of that plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our unwaited child; `status` and `usage` are valid,
    // writable and outlive the call.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = t0.elapsed();
    assert_eq!(rc, pid, "wait4 failed: {}", std::io::Error::last_os_error());
    // The child is reaped; `Child` does not wait on drop.
    drop(child);
    assert!(libc::WIFEXITED(status), "child killed by a signal");
    let code = libc::WEXITSTATUS(status);
    assert!(ok.contains(&code), "child exited with status {code}");
    Run {
        wall,
        maxrss_kb: usage.ru_maxrss as u64,
    }
}

// ---------------------------------------------------------------------------
// The machine.

/// The number of CPUs this process may run on.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

/// A field of the first CPU in /proc/cpuinfo, such as `model name`.
fn cpuinfo(name: &str) -> Option<String> {
    std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    })
}

/// The model of the CPU.
pub fn cpu_model() -> String {
    cpuinfo("model name").unwrap_or_else(|| "unknown CPU".to_owned())
}

/// ` @ N MHz`, the clock of the first CPU, or nothing when it is not known.
#[allow(dead_code)]
pub fn cpu_mhz() -> String {
    cpuinfo("cpu MHz")
        .map(|m| format!(" @ {m} MHz"))
        .unwrap_or_default()
}

/// The first line of `program --version`, or `missing` when it does not run.
pub fn version(program: &str, missing: &str) -> String {
    Command::new(program)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(|l| l.trim().to_owned()))
        .unwrap_or_else(|| missing.to_owned())
}

/// The first `n` load averages (1, 5 and 15 minutes), or `?`.
pub fn load(n: usize) -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(n).collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "?".to_owned())
}

// ---------------------------------------------------------------------------
// The generated trees, cached under `target/bench-workspaces/` for the
// `workspace`, `check` and `protocol` benches.

#[allow(dead_code)]
fn workspace_dir(n: usize) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("bench-workspaces");
    std::fs::create_dir_all(&base).expect("create target/bench-workspaces");
    let base = base.canonicalize().expect("canonical path");
    base.join(format!(
        "ws-{n}-{:x}-v{}",
        generator::DEFAULT_SEED,
        generator::VERSION
    ))
}

/// The tree of `n` files of the default seed, generated unless a complete
/// one is there (a marker file beside it says so), with a note: `reused; …`
/// or `new; …` and what the tree holds. Its plan is
/// `generator::plan(n, generator::DEFAULT_SEED)`.
#[allow(dead_code)]
pub fn ensure_workspace(n: usize) -> (PathBuf, String) {
    let dir = workspace_dir(n);
    let marker = dir.with_extension("done");
    if marker.exists() && dir.is_dir() {
        let note = std::fs::read_to_string(&marker).unwrap_or_default();
        return (dir, format!("reused; {}", note.trim()));
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("remove a partial workspace");
    }
    eprintln!("generating {n} files under {} ...", dir.display());
    let plan = generator::plan(n, generator::DEFAULT_SEED);
    let t0 = Instant::now();
    let s = generator::write(&dir, &plan).expect("generate the workspace");
    let note = format!(
        "{} files, {:.1} MB, {} tags, generated in {:.1} s",
        s.files,
        s.bytes as f64 / 1e6,
        s.tags,
        t0.elapsed().as_secs_f64()
    );
    std::fs::write(&marker, &note).expect("write the marker");
    (dir, format!("new; {note}"))
}

// ---------------------------------------------------------------------------
// Generated TypeScript documents (the `edit` and `protocol` benches).

/// The workspace generator's xorshift64*, with the constructors and the
/// `pick` the document generators use: [`Rng::from_state`] starts from the
/// state as given, [`Rng::new`] from a mixed seed.
#[allow(dead_code)]
pub struct Rng(generator::Rng);

#[allow(dead_code)]
impl Rng {
    /// Starts from `state` as given.
    pub fn from_state(state: u64) -> Rng {
        Rng(generator::Rng::from_state(state))
    }

    /// Spreads the seed over the bits (so that nearby seeds differ) and
    /// makes the state odd (never zero).
    pub fn new(seed: u64) -> Rng {
        Rng::from_state(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0.below(n)
    }

    /// True with probability `percent` percent.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.0.chance(percent)
    }

    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.0.below(items.len())]
    }
}

/// Tag names the built-in registry knows; `COMPLETION_DRIVE` is the most
/// common.
#[allow(dead_code)]
const KNOWN_TAGS: &[&str] = &[
    "COMPLETION_DRIVE",
    "COMPLETION_DRIVE",
    "COMPLETION_DRIVE",
    "COMPLETION_DRIVE_INTEGRATION",
    "CONTEXT_DEGRADED",
    "CARGO_CULT",
    "PATTERN_MOMENTUM",
    "SUGGEST_ERROR_HANDLING",
    "SUGGEST_VERIFY",
    "PATH_DECISION",
    "PATH_RATIONALE",
    "VERIFIED",
    "CANNOT_VERIFY_WITHOUT_RUNTIME",
];
/// Typos (reported with a suggestion) and team tags (unknown, no suggestion).
#[allow(dead_code)]
const OTHER_TAGS: &[&str] = &[
    "COMPLETION_DIRVE",
    "SUGEST_VERIFY",
    "QUESTION_SUPPRESSION",
    "LCL",
];
#[allow(dead_code)]
const PROSE: &[&str] = &[
    "Returns the cached value when it is still fresh.",
    "Normalises the input before it reaches the store.",
    "Handles the retry budget; see the design notes.",
    "Übersetzt Fehlercodes in Nachrichten für den Benutzer.",
    "Keeps the ordering stable across pages (issue #123).",
    "Computes a colour like #FFFFFF for the badge.",
    "The caller owns the returned buffer.",
    "キャッシュを無効化する",
];
#[allow(dead_code)]
const NOUNS: &[&str] = &[
    "user", "order", "session", "token", "invoice", "cart", "payment", "report", "account",
    "event", "queue", "cache", "profile", "ticket", "metric",
];
#[allow(dead_code)]
const TYPES: &[&str] = &[
    "string",
    "number",
    "boolean",
    "Date",
    "string[]",
    "Record<string, number>",
];

/// The words a document is made of; each list is drawn from uniformly, so
/// a word listed twice comes twice as often.
#[allow(dead_code)]
pub struct Words {
    pub known_tags: Vec<&'static str>,
    pub other_tags: Vec<&'static str>,
    /// What follows `#NAME: `.
    pub payloads: Vec<&'static str>,
    /// The lines below a tag that continue it.
    pub continuations: Vec<&'static str>,
    /// Lines of comments.
    pub prose: Vec<&'static str>,
    /// Identifiers are made of two of these and a number.
    pub nouns: Vec<&'static str>,
    pub types: Vec<&'static str>,
}

#[allow(dead_code)]
impl Words {
    /// The shared lists, with the bench's own payloads and continuations.
    pub fn new(payloads: &[&'static str], continuations: &[&'static str]) -> Words {
        Words {
            known_tags: KNOWN_TAGS.to_vec(),
            other_tags: OTHER_TAGS.to_vec(),
            payloads: payloads.to_vec(),
            continuations: continuations.to_vec(),
            prose: PROSE.to_vec(),
            nouns: NOUNS.to_vec(),
            types: TYPES.to_vec(),
        }
    }

    /// The same lists without `words` (in any of them); the order of the
    /// others is kept.
    pub fn without(mut self, words: &[&str]) -> Words {
        for list in [
            &mut self.known_tags,
            &mut self.other_tags,
            &mut self.payloads,
            &mut self.continuations,
            &mut self.prose,
            &mut self.nouns,
            &mut self.types,
        ] {
            list.retain(|w| !words.contains(w));
        }
        self
    }
}

/// Where tags go: a tag in line comments is due once enough lines have
/// passed since the last one.
#[allow(dead_code)]
pub enum Spacing {
    /// After each tag, the lines to the next are drawn from `gap` (`first`
    /// before the first).
    Drawn { first: usize, gap: Range<usize> },
    /// The lines are drawn from the range anew at each place a tag may go.
    Jittered(Range<usize>),
}

/// A kind of statement, with `a` and `b` two identifiers and `n` a number
/// below 1000 drawn for each statement.
#[allow(dead_code)]
#[derive(Clone, Copy)]
pub enum Stmt {
    /// `const a = await this.b.load(…);`
    Load,
    /// `if (!a) throw new Error(…);`
    Throw,
    /// `const a: string = '#colour';` and a comment after it: the colour is
    /// the `n % len`-th of the list.
    Colour(&'static [&'static str], &'static str),
    /// `// prose`
    LineComment,
    /// A `for` loop over `b.items`.
    Loop,
    /// A string holding `#COMPLETION_DRIVE: ` and these words.
    TagInString(&'static str),
    /// `try { … } catch (err) { … }`
    TryCatch,
    /// `const a = b.filter(…).map(…);`
    FilterMap,
    /// `this.a = { ...this.a, …, tag: '#n' };`
    Spread,
    /// A template string with `#${b.id}` and a `// see #456` comment.
    IssueRef,
    /// `/* prose */` and `a.emit(…);`
    BlockComment,
    /// `const a = process.env.JWT_SECRET ?? 'n';`
    Env,
    /// `return a ?? b;`
    Return,
}

/// How the documents of a bench are built, besides their words.
#[allow(dead_code)]
pub struct Style {
    pub spacing: Spacing,
    /// A tag in line comments has fewer continuation lines than this.
    pub continuations: usize,
    /// Whether a tag that is due may go in a JSDoc comment (half the time,
    /// with one continuation line).
    pub tags_in_jsdoc: bool,
    /// Whether each statement draws a line of prose (before its number),
    /// rather than only the comments that use one.
    pub prose_each_statement: bool,
    /// The statements, drawn uniformly.
    pub statements: &'static [Stmt],
    pub class: ClassShape,
    /// Statements in each function.
    pub function: Range<usize>,
}

/// The shape of a class: the counts are drawn from the ranges.
#[allow(dead_code)]
#[derive(Clone)]
pub struct ClassShape {
    pub fields: Range<usize>,
    /// Whether a blank line follows the fields.
    pub blank_after_fields: bool,
    pub methods: Range<usize>,
    /// Statements in each method.
    pub statements: Range<usize>,
}

/// A TypeScript document being written, line by line, with tags in its
/// comments.
#[allow(dead_code)]
pub struct Gen {
    pub rng: Rng,
    pub words: Words,
    pub style: Style,
    pub out: String,
    /// Lines written so far.
    pub lines: usize,
    /// Lines written since the last tag.
    pub since_tag: usize,
    /// With [`Spacing::Drawn`], the lines from the last tag to the next.
    pub tag_every: usize,
    /// Tags written so far.
    pub tags: usize,
}

#[allow(dead_code)]
impl Gen {
    pub fn new(rng: Rng, words: Words, style: Style, capacity: usize) -> Gen {
        let tag_every = match style.spacing {
            Spacing::Drawn { first, .. } => first,
            Spacing::Jittered(_) => 0,
        };
        Gen {
            rng,
            words,
            style,
            out: String::with_capacity(capacity),
            lines: 0,
            since_tag: 0,
            tag_every,
            tags: 0,
        }
    }

    /// A number drawn from `r`.
    pub fn count(&mut self, r: Range<usize>) -> usize {
        r.start + self.rng.below(r.len())
    }

    pub fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
        self.lines += 1;
        self.since_tag += 1;
    }

    /// An identifier such as `userOrder42`.
    pub fn ident(&mut self) -> String {
        let a = self.rng.pick(&self.words.nouns);
        let mut b = self.rng.pick(&self.words.nouns).to_owned();
        b[..1].make_ascii_uppercase();
        format!("{a}{b}{}", self.rng.below(100))
    }

    /// A type name such as `UserOrder42`.
    pub fn type_name(&mut self) -> String {
        let mut s = self.ident();
        s[..1].make_ascii_uppercase();
        s
    }

    fn tag_due(&mut self) -> bool {
        match &self.style.spacing {
            Spacing::Drawn { .. } => self.since_tag >= self.tag_every,
            Spacing::Jittered(r) => {
                let r = r.clone();
                self.since_tag >= self.count(r)
            }
        }
    }

    /// Counts a new tag and draws its name and payload.
    fn next_tag(&mut self) -> (&'static str, &'static str) {
        self.since_tag = 0;
        if let Spacing::Drawn { gap, .. } = &self.style.spacing {
            let gap = gap.clone();
            self.tag_every = self.count(gap);
        }
        self.tags += 1;
        let name = if self.rng.chance(8) {
            self.rng.pick(&self.words.other_tags)
        } else {
            self.rng.pick(&self.words.known_tags)
        };
        (name, self.rng.pick(&self.words.payloads))
    }

    /// A tag in line comments, with its continuation lines, when one is due.
    pub fn maybe_tag(&mut self, indent: usize) {
        if !self.tag_due() {
            return;
        }
        let (name, payload) = self.next_tag();
        self.line(indent, &format!("// #{name}: {payload}"));
        for _ in 0..self.rng.below(self.style.continuations) {
            let c = self.rng.pick(&self.words.continuations);
            self.line(indent, &format!("//   {c}"));
        }
    }

    pub fn jsdoc(&mut self, indent: usize, params: &[String]) {
        self.line(indent, "/**");
        let p = self.rng.pick(&self.words.prose);
        self.line(indent, &format!(" * {p}"));
        if self.style.tags_in_jsdoc && self.tag_due() && self.rng.chance(50) {
            let (name, payload) = self.next_tag();
            self.line(indent, &format!(" * #{name}: {payload}"));
            let c = self.rng.pick(&self.words.continuations);
            self.line(indent, &format!(" *   {c}"));
        }
        for p in params {
            self.line(indent, &format!(" * @param {p} the {p} to use"));
        }
        self.line(indent, " */");
    }

    pub fn statement(&mut self, indent: usize) {
        self.maybe_tag(indent);
        let a = self.ident();
        let b = self.ident();
        let eager = if self.style.prose_each_statement {
            Some(self.rng.pick(&self.words.prose))
        } else {
            None
        };
        let n = self.rng.below(1000);
        let kinds = self.style.statements;
        match kinds[self.rng.below(kinds.len())] {
            Stmt::Load => self.line(
                indent,
                &format!("const {a} = await this.{b}.load(id, {{ retries: 3 }});"),
            ),
            Stmt::Throw => self.line(
                indent,
                &format!("if (!{a}) throw new Error(`missing {a}: ${{id}}`);"),
            ),
            Stmt::Colour(colours, note) => {
                let colour = colours[n % colours.len()];
                self.line(indent, &format!("const {a}: string = '#{colour}';{note}"));
            }
            Stmt::LineComment => {
                let p = eager.unwrap_or_else(|| self.rng.pick(&self.words.prose));
                self.line(indent, &format!("// {p}"));
            }
            Stmt::Loop => {
                self.line(indent, &format!("for (const {a} of {b}.items) {{"));
                self.line(indent + 1, &format!("total += {a}.amount * {};", n % 10));
                self.line(indent, "}");
            }
            Stmt::TagInString(rest) => self.line(
                indent,
                &format!("let {a} = \"Grüße, {b} — #COMPLETION_DRIVE: {rest}\";"),
            ),
            Stmt::TryCatch => {
                self.line(indent, "try {");
                self.line(indent + 1, &format!("await {a}.save({b});"));
                self.line(indent, "} catch (err) {");
                self.line(
                    indent + 1,
                    &format!("logger.warn(`save failed for ${{{b}}}`, err);"),
                );
                self.line(indent, "}");
            }
            Stmt::FilterMap => self.line(
                indent,
                &format!("const {a} = {b}.filter((x) => x.id !== id).map((x) => x.name);"),
            ),
            Stmt::Spread => self.line(
                indent,
                &format!("this.{a} = {{ ...this.{a}, updatedAt: new Date(), tag: '#{n}' }};"),
            ),
            Stmt::IssueRef => self.line(
                indent,
                &format!("const {a} = `issue #${{{b}.id}}: ${{{b}.title}}`; // see #456"),
            ),
            Stmt::BlockComment => {
                let p = eager.unwrap_or_else(|| self.rng.pick(&self.words.prose));
                self.line(indent, &format!("/* {p} */"));
                self.line(indent, &format!("{a}.emit('changed', {b});"));
            }
            Stmt::Env => self.line(
                indent,
                &format!("const {a} = process.env.JWT_SECRET ?? '{n}';"),
            ),
            Stmt::Return => self.line(indent, &format!("return {a} ?? {b};")),
        }
    }

    /// An async method with a JSDoc comment more often than not.
    pub fn method(&mut self, indent: usize, statements: Range<usize>) {
        let name = self.ident();
        let p = self.ident();
        let t = self.rng.pick(&self.words.types);
        if self.rng.chance(60) {
            self.jsdoc(indent, std::slice::from_ref(&p));
        }
        self.maybe_tag(indent);
        self.line(
            indent,
            &format!("async {name}({p}: {t}, id: string): Promise<{t}> {{"),
        );
        for _ in 0..self.count(statements) {
            self.statement(indent + 1);
        }
        self.line(indent, "}");
        self.line(0, "");
    }

    pub fn class(&mut self) {
        let shape = self.style.class.clone();
        let name = self.type_name();
        self.jsdoc(0, &[]);
        self.maybe_tag(0);
        self.line(0, &format!("export class {name} extends BaseService {{"));
        for _ in 0..self.count(shape.fields) {
            let f = self.ident();
            let t = self.rng.pick(&self.words.types);
            self.line(1, &format!("private {f}: {t} | undefined;"));
        }
        if shape.blank_after_fields {
            self.line(0, "");
        }
        self.line(1, "constructor(private readonly deps: Deps) {");
        self.line(2, "super(deps);");
        self.line(1, "}");
        self.line(0, "");
        for _ in 0..self.count(shape.methods) {
            self.method(1, shape.statements.clone());
        }
        self.line(0, "}");
        self.line(0, "");
    }

    pub fn function(&mut self) {
        let statements = self.style.function.clone();
        let name = self.ident();
        let p = self.ident();
        let t = self.rng.pick(&self.words.types);
        self.jsdoc(0, std::slice::from_ref(&p));
        self.maybe_tag(0);
        self.line(
            0,
            &format!("export function {name}({p}: {t}, id: string): {t} {{"),
        );
        self.line(1, "let total = 0;");
        for _ in 0..self.count(statements) {
            self.statement(1);
        }
        self.line(0, "}");
        self.line(0, "");
    }
}

// ---------------------------------------------------------------------------
// Statistics of durations (the `edit` and `workspace` benches).

/// A duration in µs.
#[allow(dead_code)]
pub fn us(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Nearest-rank percentile, in µs.
#[allow(dead_code)]
pub fn pct(v: &[std::time::Duration], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_unstable();
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    us(v[rank.clamp(1, v.len()) - 1])
}

/// The largest, in µs.
#[allow(dead_code)]
pub fn max(v: &[std::time::Duration]) -> f64 {
    us(v.iter().copied().max().unwrap_or_default())
}
