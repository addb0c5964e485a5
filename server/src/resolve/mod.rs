//! Resolution: what the references in tags (and env uses in code) point to
//! in the workspace.

pub mod refs;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use smol_str::SmolStr;

use crate::syntax::Language;
use crate::workspace::envindex::EnvDef;
use crate::workspace::fs::FileKind;
use crate::workspace::model::{Lookup, Workspace};
use crate::workspace::paths::{display_rel, normalize};

pub use refs::{RefKind, Reference};

/// Where a reference leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    Exists {
        path: PathBuf,
        kind: FileKind,
    },
    /// Nothing there; the candidates that were looked for, first the one
    /// that was written.
    Missing {
        tried: Vec<PathBuf>,
    },
    Ambiguous {
        candidates: Vec<PathBuf>,
    },
    /// Leaves the workspace roots: never looked at.
    Outside {
        path: PathBuf,
    },
    EnvDefined(Vec<EnvDef>),
    /// In none of the env files (listed by name; empty when there are none).
    EnvMissing {
        files: Vec<String>,
    },
}

impl Resolution {
    pub fn is_resolved(&self) -> bool {
        matches!(self, Resolution::Exists { .. } | Resolution::EnvDefined(_))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub reference: Reference,
    /// Shared with the cache and with every other reference to the same name.
    pub resolution: Arc<Resolution>,
    /// The root the answer is relative to, for messages.
    pub root: Option<Arc<Path>>,
}

impl Resolved {
    /// A path as the user reads it: relative to its root.
    pub fn show(&self, path: &Path) -> String {
        match &self.root {
            Some(root) => display_rel(path, root),
            None => path.display().to_string(),
        }
    }
}

/// Answers already computed, until the workspace changes: a keystroke
/// resolves only what it has not seen since the last change on disk, and
/// finds the references of a payload it has seen before without looking.
#[derive(Debug, Default)]
pub struct Cache {
    generation: u64,
    /// Answers by the folder of the document (relative paths depend on it,
    /// not on the document, and so does whether a path's first segment is
    /// a folder next to it) and its language. An unconfirmed candidate (a
    /// bare file name, a `read/write/delete` with no `read/` folder) is kept
    /// as `None` until the workspace changes, like any other answer.
    answers: HashMap<(PathBuf, Option<Language>), Answers>,
    /// Answers that depend on the root alone (env variables, Python
    /// modules), by root.
    root_answers: HashMap<PathBuf, Answers>,
    /// The references of tag payloads, by root (its path aliases decide
    /// what a word is), then by their text, at offset 0.
    refs: HashMap<PathBuf, PayloadAnswers>,
    /// How many answers and payloads it holds.
    size: usize,
}

/// The answers for the documents of one folder and language; `None` for an
/// unconfirmed candidate. Each says whether the disk gave it
/// ([`Workspace::probed`]).
type Answers = HashMap<RefKind, (Option<Arc<Resolution>>, bool)>;

/// The references of the payloads seen under one root.
type PayloadAnswers = HashMap<(SmolStr, Option<Language>), Arc<[Reference]>>;

/// How many answers and payloads a cache keeps before it starts again.
const CACHE_LIMIT: usize = 100_000;

impl Cache {
    /// Forgets everything once the workspace has changed (aliases and files
    /// come with the workspace), or when it has grown too large.
    fn sync(&mut self, ws: &Workspace) {
        if self.generation != ws.generation() || self.size > CACHE_LIMIT {
            self.answers.clear();
            self.root_answers.clear();
            self.refs.clear();
            self.size = 0;
            self.generation = ws.generation();
        }
    }

    /// Finds the references in the tag payloads of documents under `root`
    /// (empty for none), remembering them by payload text.
    pub fn payload_refs(&mut self, ws: &Workspace, root: &Path) -> PayloadRefs<'_> {
        self.sync(ws);
        PayloadRefs {
            found: self.refs.entry(root.to_path_buf()).or_default(),
            size: &mut self.size,
        }
    }
}

/// The references in tag payloads under one root, from [`Cache::payload_refs`].
pub struct PayloadRefs<'a> {
    found: &'a mut PayloadAnswers,
    size: &'a mut usize,
}

impl PayloadRefs<'_> {
    /// The references in a tag payload `text` at byte `offset` of its
    /// document, as [`refs::find`] finds them with the root's aliases.
    pub fn find(
        &mut self,
        text: &SmolStr,
        offset: usize,
        lang: Option<Language>,
        is_alias: &dyn Fn(&str) -> bool,
    ) -> impl Iterator<Item = Reference> + use<> {
        let size = &mut *self.size;
        let found = self.found.entry((text.clone(), lang)).or_insert_with(|| {
            *size += 1;
            refs::find(text, 0, lang, is_alias).into()
        });
        let found = Arc::clone(found);
        (0..found.len()).map(move |i| {
            let r = &found[i];
            Reference {
                kind: r.kind.clone(),
                range: crate::text::TextRange::new(r.range.start + offset, r.range.end + offset),
            }
        })
    }
}

/// [`resolve_all`], reusing and keeping answers in `cache`.
pub fn resolve_all_cached(
    ws: &mut Workspace,
    cache: &mut Cache,
    doc: &Path,
    lang: Option<Language>,
    refs: Vec<Reference>,
) -> Vec<Resolved> {
    cache.sync(ws);
    let root: Option<Arc<Path>> = ws.root_for(doc).map(|r| Arc::from(r.path.as_path()));
    let dir = doc.parent().unwrap_or(doc);
    let Cache {
        answers,
        root_answers,
        size,
        ..
    } = cache;
    let by_dir = answers.entry((dir.to_path_buf(), lang)).or_default();
    let by_root = root_answers
        .entry(root.as_deref().unwrap_or(dir).to_path_buf())
        .or_default();
    refs.into_iter()
        .filter_map(|reference| {
            let answers = match reference.kind {
                RefKind::Env(_) | RefKind::Module(_) => &mut *by_root,
                RefKind::Path(_) | RefKind::FileName(_) => &mut *by_dir,
            };
            let resolution = match answers.get(&reference.kind) {
                Some((hit, from_disk)) => {
                    // Counted again for each document that uses it.
                    if *from_disk {
                        ws.count_probe();
                    }
                    hit.clone()
                }
                None => {
                    let probed = ws.probed();
                    let answer = resolve(ws, doc, lang, &reference.kind).map(Arc::new);
                    let from_disk = ws.probed() != probed;
                    answers.insert(reference.kind.clone(), (answer.clone(), from_disk));
                    *size += 1;
                    answer
                }
            }?;
            Some(Resolved {
                reference,
                resolution,
                root: root.clone(),
            })
        })
        .collect()
}

/// Resolves references written in the document at `doc` (absolute path).
/// Candidates that only the workspace could confirm (a bare file name, a
/// dotted module) and that it does not confirm are dropped.
pub fn resolve_all(
    ws: &mut Workspace,
    doc: &Path,
    lang: Option<Language>,
    refs: Vec<Reference>,
) -> Vec<Resolved> {
    resolve_all_cached(ws, &mut Cache::default(), doc, lang, refs)
}

/// Resolves one reference; `None` for an unconfirmed candidate.
pub fn resolve(
    ws: &mut Workspace,
    doc: &Path,
    lang: Option<Language>,
    kind: &RefKind,
) -> Option<Resolution> {
    let doc_dir = doc.parent().unwrap_or(doc).to_path_buf();
    let root = ws
        .root_for(doc)
        .map(|r| r.path.clone())
        .unwrap_or_else(|| doc_dir.clone());
    match kind {
        RefKind::Path(p) => {
            let aliases = ws
                .root_for(doc)
                .map(|r| Arc::clone(&r.aliases))
                .unwrap_or_default();
            match refs::path_shape(p, &|w| aliases.matches(w)) {
                Some(refs::PathShape::FirstSegment) => {
                    let base_url = aliases.base_url.as_deref();
                    resolve_unconfirmed_path(ws, &root, base_url, &doc_dir, lang, p)
                }
                _ => Some(resolve_path(ws, &root, &doc_dir, lang, p)),
            }
        }
        RefKind::FileName(name) => {
            for base in [&doc_dir, &root] {
                if let Lookup::Found(kind) = ws.lookup(&base.join(name)) {
                    return Some(Resolution::Exists {
                        path: normalize(&base.join(name)),
                        kind,
                    });
                }
            }
            let r = ws.root_for(doc)?;
            let hits: Vec<PathBuf> = r
                .index
                .as_ref()?
                .files_named(name)
                .into_iter()
                .map(|p| r.path.join(p))
                .collect();
            match hits.len() {
                0 => None,
                1 => Some(Resolution::Exists {
                    path: hits.into_iter().next()?,
                    kind: FileKind::File,
                }),
                _ => Some(Resolution::Ambiguous { candidates: hits }),
            }
        }
        RefKind::Module(m) => resolve_module(ws, &root, m),
        RefKind::Env(name) => {
            let Some(r) = ws.root_for(doc) else {
                return Some(Resolution::EnvMissing { files: Vec::new() });
            };
            let defs = r.env.lookup(name);
            Some(if defs.is_empty() {
                Resolution::EnvMissing {
                    files: r.env.files().iter().map(|f| f.name.clone()).collect(),
                }
            } else {
                Resolution::EnvDefined(defs)
            })
        }
    }
}

const TS_EXTENSIONS: &[&str] = &["ts", "tsx", "d.ts", "js", "jsx", "mjs", "cjs", "mts", "cts"];

/// The files a module path may mean, in the order the language looks.
fn candidates(base: &Path, lang: Option<Language>) -> Vec<PathBuf> {
    let name = base
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let with = |ext: &str| base.with_file_name(format!("{name}.{ext}"));
    let ts = matches!(
        lang,
        None | Some(Language::TypeScript | Language::Tsx | Language::JavaScript)
    );
    let py = matches!(lang, None | Some(Language::Python));
    // A name with an extension is looked up as written first; an
    // extensionless one is a module, and its folder comes last (after
    // `index.ts`), as the compilers look.
    let has_extension = name
        .rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && !ext.is_empty());
    let mut out = Vec::new();
    if has_extension {
        out.push(base.to_path_buf());
    }
    if ts {
        // `./x.js` in TypeScript source means `./x.ts`.
        for (js, ts_ext) in [
            (".js", "ts"),
            (".jsx", "tsx"),
            (".mjs", "mts"),
            (".cjs", "cts"),
            (".js", "tsx"),
        ] {
            if let Some(stem) = name.strip_suffix(js) {
                out.push(base.with_file_name(format!("{stem}.{ts_ext}")));
            }
        }
        out.extend(TS_EXTENSIONS.iter().map(|e| with(e)));
        out.extend(
            ["ts", "tsx", "js", "jsx"]
                .iter()
                .map(|e| base.join(format!("index.{e}"))),
        );
    }
    if py {
        out.push(with("py"));
        out.push(base.join("__init__.py"));
    }
    if !has_extension {
        out.push(base.to_path_buf());
    }
    out
}

fn resolve_path(
    ws: &mut Workspace,
    root: &Path,
    doc_dir: &Path,
    lang: Option<Language>,
    p: &str,
) -> Resolution {
    let bases: Vec<PathBuf> = if p.starts_with("./") || p.starts_with("../") {
        vec![doc_dir.join(p)]
    } else if p.starts_with('/') {
        vec![PathBuf::from(p)]
    } else if refs::is_home(p) {
        // The home folder is outside every workspace; it is never expanded.
        return Resolution::Outside {
            path: PathBuf::from(p),
        };
    } else {
        let (expanded, base_url) = ws
            .root_for(&root.join("x"))
            .map(|r| (r.aliases.expand(p), r.aliases.base_url.clone()))
            .unwrap_or_default();
        if !expanded.is_empty() {
            expanded
        } else if let Some(rest) = p.strip_prefix("@/") {
            // No alias configured: `@/` commonly means the source root.
            vec![root.join("src").join(rest), root.join(rest)]
        } else {
            let mut v = vec![root.join(p)];
            if let Some(base) = base_url.filter(|b| b != root) {
                v.push(base.join(p));
            }
            v
        }
    };
    resolve_bases(ws, lang, bases)
}

/// A path whose shape alone does not make it one (`src/services/auth`,
/// `read/write/delete`): a reference only where its first segment is a
/// folder (or a symlink in the root that leads out), at the root, under
/// `baseUrl` or next to the document, and then looked for from there. `None`
/// when there is no such folder: the word is prose. A file has nothing under
/// it: `LICENSE/NOTICE` is prose even with a `LICENSE` file.
fn resolve_unconfirmed_path(
    ws: &mut Workspace,
    root: &Path,
    base_url: Option<&Path>,
    doc_dir: &Path,
    lang: Option<Language>,
    p: &str,
) -> Option<Resolution> {
    let first = p.split('/').next().filter(|s| !s.is_empty())?;
    let mut dirs: Vec<&Path> = vec![root];
    for dir in base_url.into_iter().chain([doc_dir]) {
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    let bases: Vec<PathBuf> = dirs
        .into_iter()
        .filter(|dir| match ws.lookup(&dir.join(first)) {
            Lookup::Found(kind) => kind == FileKind::Dir,
            // A symlink in the root that leads out: the path names what is
            // outside.
            Lookup::Outside => ws.root_for(dir).is_some(),
            Lookup::Missing => false,
        })
        .map(|dir| dir.join(p))
        .collect();
    (!bases.is_empty()).then(|| resolve_bases(ws, lang, bases))
}

/// The first candidate of `bases` (in order) that exists; else outside the
/// workspace if one of them leads out; else missing, with `bases` as tried.
fn resolve_bases(ws: &mut Workspace, lang: Option<Language>, bases: Vec<PathBuf>) -> Resolution {
    let bases: Vec<PathBuf> = bases.iter().map(|b| normalize(b)).collect();
    let mut outside = None;
    for base in &bases {
        // Every candidate lies in the base's folder: none is there if the
        // folder is not.
        if base
            .parent()
            .is_some_and(|dir| matches!(ws.lookup(dir), Lookup::Missing))
        {
            continue;
        }
        for cand in candidates(base, lang) {
            match ws.lookup(&cand) {
                Lookup::Found(kind) => return Resolution::Exists { path: cand, kind },
                Lookup::Outside => {
                    outside.get_or_insert(cand);
                    break;
                }
                Lookup::Missing => {}
            }
        }
    }
    match outside {
        Some(path) => Resolution::Outside { path },
        None => Resolution::Missing { tried: bases },
    }
}

fn resolve_module(ws: &mut Workspace, root: &Path, module: &str) -> Option<Resolution> {
    let rel: PathBuf = module.split('.').collect();
    let top = module.split('.').next()?;
    let mut confirmed = false;
    let mut tried = Vec::new();
    for sys_root in [root.to_path_buf(), root.join("src")] {
        let top_exists = [sys_root.join(top), sys_root.join(format!("{top}.py"))]
            .iter()
            .any(|p| matches!(ws.lookup(p), Lookup::Found(_)));
        if !top_exists {
            continue;
        }
        confirmed = true;
        let base = sys_root.join(&rel);
        for cand in [
            base.with_extension("py"),
            base.with_extension("pyi"),
            base.join("__init__.py"),
            base.clone(),
        ] {
            if let Lookup::Found(kind) = ws.lookup(&cand) {
                return Some(Resolution::Exists { path: cand, kind });
            }
        }
        tried.push(base.with_extension("py"));
    }
    confirmed.then_some(Resolution::Missing { tried })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::workspace::fs::FakeFs;
    use crate::workspace::index::FileIndex;
    use crate::workspace::model::Change;

    fn workspace(fs: FakeFs) -> Workspace {
        let fs = Arc::new(fs);
        let mut ws = Workspace::new(fs.clone());
        ws.add_root(Path::new("/ws"), false);
        ws.set_index(Path::new("/ws"), FileIndex::build(&*fs, Path::new("/ws")));
        ws
    }

    fn fixture() -> Workspace {
        let fs = FakeFs::new();
        fs.file("/ws/src/services/user.service.ts", "")
            .file("/ws/src/api/index.ts", "")
            .file("/ws/src/app/auth.ts", "")
            .file("/ws/src/lib/auth.ts", "")
            .file("/ws/src/util.ts", "")
            .file("/ws/src/api/handlers/user.ts", "")
            .file("/ws/LICENSE", "")
            .file("/ws/~/.claude/settings.json", "")
            .dir("/ws/internal/auth")
            .file("/ws/internal/auth/auth.go", "")
            .file("/ws/services/__init__.py", "")
            .file("/ws/services/auth.py", "")
            .file("/ws/.env.example", "JWT_SECRET=\n# comment\nexport DATABASE_URL=postgres://x\n")
            .file("/ws/.env", "JWT_SECRET=s3cr3t\n")
            .file("/ws/tsconfig.json", r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "~app/*": ["src/app/*"] } } }"#)
            .file("/etc/passwd", "")
            .symlink("/ws/link-out", "/etc")
            .symlink("/ws/link-in", "src/services");
        workspace(fs)
    }

    #[test]
    fn a_cached_payload_gives_its_references_where_it_is_now() {
        let mut ws = fixture();
        let mut cache = Cache::default();
        let payload = SmolStr::from("Assuming src/util.ts reads JWT_SECRET and @app/auth");
        let lang = Some(Language::TypeScript);
        let is_alias = |w: &str| w.starts_with("@app/");
        let root = Path::new("/ws");
        let payloads = |cache: &Cache| cache.refs.values().map(HashMap::len).sum::<usize>();
        for offset in [40, 7, 40, 1_000] {
            let cached: Vec<Reference> = cache
                .payload_refs(&ws, root)
                .find(&payload, offset, lang, &is_alias)
                .collect();
            assert_eq!(cached, refs::find(&payload, offset, lang, &is_alias));
            assert!(cached.len() >= 2, "{cached:?}");
        }
        assert_eq!(payloads(&cache), 1);
        // Another root has other aliases: `@app/auth` is an npm package there.
        let elsewhere: Vec<Reference> = cache
            .payload_refs(&ws, Path::new("/other"))
            .find(&payload, 40, lang, &|_| false)
            .collect();
        assert_eq!(elsewhere, refs::find(&payload, 40, lang, &|_| false));
        assert_ne!(elsewhere, refs::find(&payload, 40, lang, &is_alias));
        // A change on disk forgets the payloads with the answers.
        ws.apply(&[Change::Rescan]);
        let _ = cache
            .payload_refs(&ws, root)
            .find(&SmolStr::from("x"), 0, lang, &is_alias);
        assert_eq!(payloads(&cache), 1);
        assert!(!cache.refs[root].contains_key(&(payload, lang)));
    }

    fn res(
        ws: &mut Workspace,
        doc: &str,
        lang: Option<Language>,
        kind: RefKind,
    ) -> Option<Resolution> {
        resolve(ws, Path::new(doc), lang, &kind)
    }

    fn exists(p: &str) -> Option<Resolution> {
        let kind = if p.ends_with("internal/auth") {
            FileKind::Dir
        } else {
            FileKind::File
        };
        Some(Resolution::Exists {
            path: p.into(),
            kind,
        })
    }

    const DOC: &str = "/ws/src/api/routes.ts";
    const TS: Option<Language> = Some(Language::TypeScript);

    #[test]
    fn workspace_and_document_relative_paths() {
        let mut ws = fixture();
        let p = |s: &str| RefKind::Path(s.into());
        assert_eq!(
            res(&mut ws, DOC, TS, p("src/services/user.service.ts")),
            exists("/ws/src/services/user.service.ts")
        );
        assert_eq!(
            res(&mut ws, DOC, TS, p("src/services/user.service")),
            exists("/ws/src/services/user.service.ts")
        );
        assert_eq!(
            res(&mut ws, DOC, TS, p("./index")),
            exists("/ws/src/api/index.ts")
        );
        assert_eq!(
            res(&mut ws, DOC, TS, p("../api")),
            exists("/ws/src/api/index.ts")
        );
        assert_eq!(
            res(&mut ws, DOC, TS, p("../util.js")),
            exists("/ws/src/util.ts")
        );
        assert_eq!(
            res(&mut ws, DOC, TS, p("@/services/user.service")),
            exists("/ws/src/services/user.service.ts")
        );
        assert_eq!(
            res(&mut ws, DOC, TS, p("~app/auth")),
            exists("/ws/src/app/auth.ts")
        );
        assert_eq!(
            res(&mut ws, DOC, TS, p("link-in/user.service.ts")),
            exists("/ws/link-in/user.service.ts")
        );
        assert_eq!(
            res(
                &mut ws,
                "/ws/cmd/main.go",
                Some(Language::Go),
                p("internal/auth/")
            ),
            exists("/ws/internal/auth")
        );
        assert_eq!(
            res(&mut ws, DOC, TS, p("src/services/missing.ts")),
            Some(Resolution::Missing {
                tried: vec!["/ws/src/services/missing.ts".into()]
            })
        );
    }

    #[test]
    fn outside_the_workspace() {
        let mut ws = fixture();
        for p in [
            "../../../etc/passwd",
            "/etc/passwd",
            "link-out/passwd",
            "~/.ssh/id_rsa",
        ] {
            let got = res(&mut ws, DOC, TS, RefKind::Path(p.into()));
            assert!(
                matches!(got, Some(Resolution::Outside { .. })),
                "{p}: {got:?}"
            );
        }
    }

    #[test]
    fn home_paths_are_outside_and_never_looked_at() {
        let mut ws = fixture();
        // Even with a folder named `~` at the root.
        for p in ["~/.claude/settings.json", "~/.ssh/id_rsa"] {
            let probed = ws.probed();
            assert_eq!(
                res(&mut ws, DOC, TS, RefKind::Path(p.into())),
                Some(Resolution::Outside { path: p.into() }),
                "{p}"
            );
            assert_eq!(ws.probed(), probed, "{p}");
        }
        // In the log too (no language).
        assert!(matches!(
            res(
                &mut ws,
                "/ws/.orchestration/implementation-log.md",
                None,
                RefKind::Path("~/.claude/settings.json".into())
            ),
            Some(Resolution::Outside { .. })
        ));
    }

    #[test]
    fn a_path_by_its_first_segment_needs_the_workspace() {
        let mut ws = fixture();
        let p = |s: &str| RefKind::Path(s.into());
        // No `read`, `CPU`, `and` folder: prose, no reference at all.
        for word in ["read/write/delete", "CPU/memory/disk", "and/or", "TCP/IP"] {
            assert_eq!(res(&mut ws, DOC, TS, p(word)), None, "{word}");
        }
        // A file has nothing under it.
        assert_eq!(res(&mut ws, DOC, TS, p("LICENSE/NOTICE")), None);
        // An existing first folder makes a path, found or missing.
        assert_eq!(
            res(&mut ws, DOC, TS, p("src/services/auth")),
            Some(Resolution::Missing {
                tried: vec!["/ws/src/services/auth".into()]
            })
        );
        assert_eq!(
            res(&mut ws, DOC, TS, p("src/services/user")),
            Some(Resolution::Missing {
                tried: vec!["/ws/src/services/user".into()]
            })
        );
        assert_eq!(
            res(
                &mut ws,
                "/ws/cmd/main.go",
                Some(Language::Go),
                p("internal/auth")
            ),
            exists("/ws/internal/auth")
        );
        assert_eq!(
            res(
                &mut ws,
                "/ws/main.py",
                Some(Language::Python),
                p("services/auth")
            ),
            exists("/ws/services/auth.py")
        );
        // Next to the document, as well as at the root.
        assert_eq!(
            res(&mut ws, DOC, TS, p("handlers/user")),
            exists("/ws/src/api/handlers/user.ts")
        );
        assert_eq!(
            res(&mut ws, DOC, TS, p("handlers/billing")),
            Some(Resolution::Missing {
                tried: vec!["/ws/src/api/handlers/billing".into()]
            })
        );
        assert_eq!(res(&mut ws, "/ws/main.ts", TS, p("handlers/user")), None);
        // A symlink that leads out names what is outside.
        assert!(matches!(
            res(&mut ws, DOC, TS, p("link-out/hosts")),
            Some(Resolution::Outside { .. })
        ));
        // The log resolves them the same way.
        let log = "/ws/.orchestration/implementation-log.md";
        assert_eq!(res(&mut ws, log, None, p("read/write/delete")), None);
        assert_eq!(
            res(&mut ws, log, None, p("src/missing/thing")),
            Some(Resolution::Missing {
                tried: vec!["/ws/src/missing/thing".into()]
            })
        );
    }

    #[test]
    fn first_segment_answers_follow_the_disk() {
        let fs = FakeFs::new();
        fs.file("/ws/src/a.ts", "");
        let fs = Arc::new(fs);
        let mut ws = Workspace::new(fs.clone());
        ws.add_root(Path::new("/ws"), false);
        ws.set_index(Path::new("/ws"), FileIndex::build(&*fs, Path::new("/ws")));
        let mut cache = Cache::default();
        let doc = Path::new("/ws/src/a.ts");
        let payload = SmolStr::from("Assuming read/write/delete and src/missing/thing");
        let run = |ws: &mut Workspace, cache: &mut Cache| -> Vec<(String, bool)> {
            let found: Vec<Reference> = cache
                .payload_refs(ws, Path::new("/ws"))
                .find(&payload, 0, TS, &|_| false)
                .collect();
            resolve_all_cached(ws, cache, doc, TS, found)
                .into_iter()
                .map(|r| {
                    let RefKind::Path(p) = &r.reference.kind else {
                        panic!("{r:?}")
                    };
                    (p.clone(), r.resolution.is_resolved())
                })
                .collect()
        };
        let missing = |p: &str| (p.to_owned(), false);
        assert_eq!(run(&mut ws, &mut cache), [missing("src/missing/thing")]);
        // Asked again from the cache.
        assert_eq!(run(&mut ws, &mut cache), [missing("src/missing/thing")]);
        // A `read` folder appears: the prose becomes a path.
        fs.dir("/ws/read");
        ws.apply(&[Change::Created("/ws/read".into())]);
        assert_eq!(
            run(&mut ws, &mut cache),
            [missing("read/write/delete"), missing("src/missing/thing")]
        );
        // `src` goes: `src/missing/thing` is no path any more.
        fs.remove("/ws/src");
        ws.apply(&[Change::Removed("/ws/src".into())]);
        assert_eq!(run(&mut ws, &mut cache), [missing("read/write/delete")]);
    }

    #[test]
    fn bare_names_and_modules_need_confirmation() {
        let mut ws = fixture();
        let name = |s: &str| RefKind::FileName(s.into());
        assert_eq!(
            res(&mut ws, DOC, TS, name("user.service.ts")),
            exists("/ws/src/services/user.service.ts")
        );
        assert_eq!(
            res(&mut ws, DOC, TS, name("auth.ts")),
            Some(Resolution::Ambiguous {
                candidates: vec!["/ws/src/app/auth.ts".into(), "/ws/src/lib/auth.ts".into()]
            })
        );
        assert_eq!(res(&mut ws, DOC, TS, name("Node.js")), None);
        let py = Some(Language::Python);
        let m = |s: &str| RefKind::Module(s.into());
        assert_eq!(
            res(&mut ws, "/ws/main.py", py, m("services.auth")),
            exists("/ws/services/auth.py")
        );
        assert_eq!(
            res(&mut ws, "/ws/main.py", py, m("services.billing")),
            Some(Resolution::Missing {
                tried: vec![
                    "/ws/services/billing.py".into(),
                    "/ws/src/services/billing.py".into()
                ]
            })
        );
        assert_eq!(res(&mut ws, "/ws/main.py", py, m("user.id")), None);
    }

    #[test]
    fn env_variables() {
        let mut ws = fixture();
        let Some(Resolution::EnvDefined(defs)) =
            res(&mut ws, DOC, TS, RefKind::Env("JWT_SECRET".into()))
        else {
            panic!("JWT_SECRET is defined");
        };
        let found: Vec<_> = defs.iter().map(|d| (d.file.as_str(), d.line)).collect();
        assert_eq!(found, [(".env.example", 0), (".env", 0)]);
        let Some(Resolution::EnvDefined(defs)) =
            res(&mut ws, DOC, TS, RefKind::Env("DATABASE_URL".into()))
        else {
            panic!("DATABASE_URL is defined");
        };
        assert_eq!(defs[0].line, 2);
        assert_eq!(
            res(&mut ws, DOC, TS, RefKind::Env("REDIS_URL".into())),
            Some(Resolution::EnvMissing {
                files: vec![".env.example".into(), ".env".into()]
            })
        );
    }
}
