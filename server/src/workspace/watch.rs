//! The server's own file watcher, for clients that do not watch files for it (Neovim on Linux, Helix).
//!
//! notify's recursive mode is not used: on Linux it puts one inotify watch into every folder under
//! the root, `node_modules` included, and the per-user watch limit runs out. Instead each folder
//! that is not excluded (see [`Excludes`]) gets its own non-recursive watch, new folders get one
//! when they appear and removed folders lose theirs, so the number of watches follows the number
//! of watched folders and nothing else.
//!
//! Only folders are excluded. A file directly inside a watched folder is reported whatever its
//! name, because gitignored files such as `.env` are exactly the ones tagls must see change.
//!
//! One background thread receives notify's events, keeps the watches in step and calls the
//! consumer with batches coalesced over a short debounce window.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use notify::event::{
    AccessKind, AccessMode, CreateKind, EventKind, ModifyKind, RemoveKind, RenameMode,
};
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};

use super::walk::{Excludes, dir_walk, is_dir};

/// What changed on disk, as absolute paths.
///
/// `Created` and `Changed` name files (and symlinks, which are never followed). `Removed` may name
/// a folder, and then means that everything under it is gone: a folder moved out of the workspace
/// gives no event for the files inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FsChange {
    Created(PathBuf),
    Removed(PathBuf),
    Changed(PathBuf),
    /// Events were lost (queue overflow or a watcher error): the receiver must rescan.
    Rescan,
}

/// A running watcher; dropping it stops watching and ends its thread.
pub struct Watcher {
    wake: Sender<Message>,
    stopped: Arc<AtomicBool>,
    watched: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

enum Message {
    Event(notify::Result<notify::Event>),
    Stop,
}

impl Watcher {
    /// Starts watching `roots`. `on_changes` is called from a background thread with batches of
    /// changes, coalesced over `debounce` (about 50 ms in the server; at most a few hundred ms).
    ///
    /// The folders are walked and watched before this returns, so a change made after it is
    /// reported. The window starts at the first event of a batch and is not extended by later
    /// ones, so a steady stream of changes still gets reported every `debounce`.
    ///
    /// Within a batch a path appears once, at the place of its latest change, with its latest
    /// kind, except that created-then-changed stays `Created` (so created-then-removed is
    /// `Removed`). A lost-events batch starts with a single [`FsChange::Rescan`].
    pub fn start(
        roots: Vec<PathBuf>,
        debounce: Duration,
        on_changes: impl Fn(Vec<FsChange>) + Send + 'static,
    ) -> anyhow::Result<Watcher> {
        let (sender, receiver) = mpsc::channel();
        let events = sender.clone();
        let notify = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            // Reads and opens happen all the time in a busy tree; dropping them here keeps the
            // queue to what matters. A send fails only once the worker is gone.
            if is_relevant(&event) {
                let _ = events.send(Message::Event(event));
            }
        })
        .context(
            "cannot start the file watcher; if the inotify instance limit is reached, raise \
             fs.inotify.max_user_instances",
        )?;

        let mut seen = BTreeSet::new();
        let mut roots_and_rules = Vec::new();
        for root in roots {
            let root = std::path::absolute(&root).unwrap_or(root);
            if seen.insert(root.clone()) {
                roots_and_rules.push(Arc::new(Excludes::new(root)));
            }
        }
        let watched = Arc::new(AtomicUsize::new(0));
        let mut worker = Worker {
            roots: roots_and_rules,
            notify,
            watched: BTreeSet::new(),
            count: Arc::clone(&watched),
            warned_limit: false,
        };
        // Each folder is watched before it is listed, so a folder created
        // while the watches are being set up is either listed or reported.
        let roots: Vec<PathBuf> = worker
            .roots
            .iter()
            .map(|e| e.root().to_path_buf())
            .collect();
        let mut startup = Batch::default();
        for root in roots {
            worker.watch_tree(root, &mut startup);
        }

        let stopped = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&stopped);
        let thread = thread::Builder::new()
            .name("tagls-watch".to_owned())
            .spawn(move || worker.run(&receiver, debounce, &stop, on_changes))
            .context("cannot start the file watcher thread; the system is out of threads")?;
        Ok(Watcher {
            wake: sender,
            stopped,
            watched,
            thread: Some(thread),
        })
    }

    /// How many directories are watched (for tests and the benchmark).
    pub fn watched_dirs(&self) -> usize {
        self.watched.load(Ordering::Relaxed)
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // The message only wakes a worker waiting for events; the flag is what it obeys.
        let _ = self.wake.send(Message::Stop);
        let Some(thread) = self.thread.take() else {
            return;
        };
        // Dropped from inside the callback: the worker stops when the callback returns, and
        // joining here would wait for ourselves.
        if thread.thread().id() == thread::current().id() {
            return;
        }
        if thread.join().is_err() {
            tracing::warn!("the file watcher thread panicked; its last batch of changes is lost");
        }
    }
}

/// Whether an event from notify can change what the worker reports or watches.
fn is_relevant(event: &notify::Result<notify::Event>) -> bool {
    let Ok(event) = event else {
        return true;
    };
    if event.need_rescan() {
        return true;
    }
    match event.kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        // Permissions and times: the content is the same.
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

/// The state of the background thread: the notify watcher and the folders it watches.
struct Worker {
    roots: Vec<Arc<Excludes>>,
    notify: RecommendedWatcher,
    /// Ordered so that a folder's subfolders follow it and can be dropped as a range.
    watched: BTreeSet<PathBuf>,
    count: Arc<AtomicUsize>,
    warned_limit: bool,
}

impl Worker {
    fn run(
        mut self,
        receiver: &Receiver<Message>,
        debounce: Duration,
        stopped: &AtomicBool,
        on_changes: impl Fn(Vec<FsChange>),
    ) {
        loop {
            let first = match receiver.recv() {
                Ok(Message::Event(event)) => event,
                Ok(Message::Stop) | Err(_) => return,
            };
            if stopped.load(Ordering::SeqCst) {
                return;
            }
            let mut batch = Batch::default();
            self.handle(first, &mut batch);
            let deadline = Instant::now() + debounce;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                match receiver.recv_timeout(left) {
                    Ok(Message::Event(event)) => self.handle(event, &mut batch),
                    Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                    Err(RecvTimeoutError::Timeout) => break,
                }
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
            }
            if batch.rescan {
                // The receiver rescans everything, so the files of folders found now need no
                // report of their own.
                self.resync(None);
            } else if batch.resync {
                self.resync(Some(&mut batch));
            }
            let changes = batch.finish();
            if !changes.is_empty() && !stopped.load(Ordering::SeqCst) {
                on_changes(changes);
            }
        }
    }

    fn handle(&mut self, event: notify::Result<notify::Event>, batch: &mut Batch) {
        let event = match event {
            Ok(event) => event,
            Err(err) => {
                tracing::warn!("the file watcher reported an error, rescanning: {err}");
                batch.rescan = true;
                return;
            }
        };
        if event.need_rescan() {
            tracing::warn!("the file watcher lost events (queue overflow), rescanning");
            batch.rescan = true;
            return;
        }
        let paths = event.paths;
        match event.kind {
            EventKind::Create(kind) => {
                let hint = match kind {
                    CreateKind::Folder => Some(true),
                    CreateKind::File => Some(false),
                    _ => None,
                };
                for path in paths {
                    self.created(path, hint, batch);
                }
            }
            EventKind::Remove(kind) => {
                for path in paths {
                    self.removed(path, kind == RemoveKind::Folder, batch);
                }
            }
            EventKind::Modify(ModifyKind::Name(mode)) => match mode {
                RenameMode::From => {
                    for path in paths {
                        self.removed(path, false, batch);
                    }
                }
                RenameMode::To => {
                    for path in paths {
                        self.created(path, None, batch);
                    }
                }
                // inotify sends this after the `From` and `To` halves, which the batch merges
                // with it; other platforms may send only this.
                RenameMode::Both => {
                    let mut paths = paths.into_iter();
                    if let Some(from) = paths.next() {
                        self.removed(from, false, batch);
                    }
                    for to in paths {
                        self.created(to, None, batch);
                    }
                }
                // An unpaired rename without a direction: whether the path is there says which.
                RenameMode::Any | RenameMode::Other => {
                    for path in paths {
                        if fs::symlink_metadata(&path).is_ok() {
                            self.created(path, None, batch);
                        } else {
                            self.removed(path, false, batch);
                        }
                    }
                }
            },
            EventKind::Modify(_) | EventKind::Access(_) => {
                for path in paths {
                    self.changed(path, batch);
                }
            }
            EventKind::Any | EventKind::Other => {}
        }
    }

    fn created(&mut self, path: PathBuf, is_dir_hint: Option<bool>, batch: &mut Batch) {
        let Ok(meta) = fs::symlink_metadata(&path) else {
            // Gone already: its removal is further down the queue, and a folder that was not
            // watched had nothing reported under it.
            if is_dir_hint != Some(true) {
                batch.push(FsChange::Created(path));
            }
            return;
        };
        if meta.is_dir() {
            if !self.is_excluded_dir(&path) {
                self.watch_tree(path, batch);
            }
            return;
        }
        self.note_ignore_file(&path, batch);
        batch.push(FsChange::Created(path));
    }

    fn removed(&mut self, path: PathBuf, is_dir: bool, batch: &mut Batch) {
        let was_watched = self.watched.contains(&path);
        if was_watched {
            self.unwatch_tree(&path);
        }
        if was_watched || is_dir {
            if let Some(excludes) = self.excludes_for(&path) {
                excludes.forget(&path);
            }
            // An excluded folder had nothing reported under it, so its removal is no news.
            if !was_watched && self.is_excluded_dir(&path) {
                return;
            }
        }
        self.note_ignore_file(&path, batch);
        batch.push(FsChange::Removed(path));
    }

    fn changed(&mut self, path: PathBuf, batch: &mut Batch) {
        if fs::symlink_metadata(&path).is_ok_and(|meta| meta.is_dir()) {
            return;
        }
        self.note_ignore_file(&path, batch);
        batch.push(FsChange::Changed(path));
    }

    /// A changed `.gitignore` changes which folders are watched: forget its rules and resync at
    /// the end of the batch (once, however many of them changed).
    fn note_ignore_file(&mut self, path: &Path, batch: &mut Batch) {
        if path.file_name() != Some(OsStr::new(".gitignore")) {
            return;
        }
        if let (Some(dir), Some(excludes)) = (path.parent(), self.excludes_for(path)) {
            excludes.forget(dir);
            batch.resync = true;
        }
    }

    /// Watches a new folder and the folders under it, and reports the files already inside:
    /// they may have been created before the watch was added (`mkdir -p a/b && touch a/b/c`).
    fn watch_tree(&mut self, dir: PathBuf, batch: &mut Batch) {
        let mut pending = vec![dir];
        while let Some(dir) = pending.pop() {
            // A watched folder had its files listed when its watch was added.
            if self.watched.contains(&dir) {
                continue;
            }
            // Watch first, then list: a file created in between shows up in the listing, or as
            // an event, or both (the batch merges them), but never in neither.
            if !self.add_watch(&dir) {
                continue;
            }
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(err) => {
                    tracing::debug!("cannot list new folder {}: {err}", dir.display());
                    continue;
                }
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if !kind.is_dir() {
                    batch.push(FsChange::Created(path));
                } else if !self.is_excluded_dir(&path) {
                    pending.push(path);
                }
            }
        }
    }

    /// Makes the watches match the folders on disk: watches the ones missing (reporting their
    /// files into `report`, if given) and drops the ones gone or now excluded.
    fn resync(&mut self, mut report: Option<&mut Batch>) {
        let mut wanted = BTreeSet::new();
        for excludes in &self.roots {
            for entry in dir_walk(excludes).build() {
                match entry {
                    Ok(entry) if entry.depth() == 0 || is_dir(&entry) => {
                        wanted.insert(entry.into_path());
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!("cannot walk the workspace to watch it: {err}"),
                }
            }
        }
        let stale: Vec<PathBuf> = self.watched.difference(&wanted).cloned().collect();
        for dir in stale {
            self.unwatch_tree(&dir);
        }
        for dir in wanted {
            if self.watched.contains(&dir) {
                continue;
            }
            match report.as_deref_mut() {
                Some(batch) => self.watch_tree(dir, batch),
                None => {
                    self.add_watch(&dir);
                }
            }
        }
    }

    fn add_watch(&mut self, dir: &Path) -> bool {
        // FIXME(macOS, Windows): their backends watch a whole tree with one handle, and
        // FSEvents restarts its stream on every call here; recursive mode plus filtering the
        // events would suit them better.
        match self.notify.watch(dir, RecursiveMode::NonRecursive) {
            Ok(()) => {
                self.watched.insert(dir.to_path_buf());
                self.count.store(self.watched.len(), Ordering::Relaxed);
                true
            }
            Err(err) => {
                match err.kind {
                    notify::ErrorKind::MaxFilesWatch => {
                        if !self.warned_limit {
                            self.warned_limit = true;
                            tracing::warn!(
                                "cannot watch {}: the inotify watch limit is reached; raise \
                                 fs.inotify.max_user_watches or gitignore large folders",
                                dir.display()
                            );
                        }
                    }
                    // The folder went away before its watch was added; its removal follows.
                    notify::ErrorKind::PathNotFound => {
                        tracing::debug!("folder {} vanished before it was watched", dir.display());
                    }
                    _ => tracing::warn!("cannot watch {}: {err}", dir.display()),
                }
                false
            }
        }
    }

    /// Drops the watches of `dir` and every folder under it.
    fn unwatch_tree(&mut self, dir: &Path) {
        let under: Vec<PathBuf> = self
            .watched
            .range(dir.to_path_buf()..)
            .take_while(|path| path.starts_with(dir))
            .cloned()
            .collect();
        for path in under {
            self.watched.remove(&path);
            // inotify drops the watch of a deleted folder by itself and notify forgets it, so
            // "not found" is the usual answer here and not worth a warning.
            if let Err(err) = self.notify.unwatch(&path) {
                tracing::debug!("no watch left to remove on {}: {err}", path.display());
            }
        }
        self.count.store(self.watched.len(), Ordering::Relaxed);
    }

    /// The rules of the innermost root holding `path`.
    fn excludes_for(&self, path: &Path) -> Option<Arc<Excludes>> {
        self.roots
            .iter()
            .filter(|excludes| path.starts_with(excludes.root()))
            .max_by_key(|excludes| excludes.root().components().count())
            .cloned()
    }

    /// Whether `path`, a folder in a watched (so not excluded) folder, is excluded.
    fn is_excluded_dir(&self, path: &Path) -> bool {
        self.excludes_for(path)
            .is_some_and(|excludes| excludes.is_excluded_entry(path, true))
    }
}

/// The changes gathered in one debounce window.
///
/// A path appears at most once, at the place of its latest change, so that applying the batch in
/// order still works when a folder is removed and a file of the same name under it reappears.
/// Its kind is the latest one, except that a file created and then changed is still `Created`.
/// So `Created` then `Removed` collapses to `Removed`, and `Removed` then `Created` to `Created`:
/// the receiver re-reads the file either way.
#[derive(Default)]
struct Batch {
    changes: Vec<Option<FsChange>>,
    index: HashMap<PathBuf, usize>,
    rescan: bool,
    resync: bool,
}

impl Batch {
    fn push(&mut self, change: FsChange) {
        let (path, kind) = match change {
            FsChange::Created(path) => (path, Kind::Created),
            FsChange::Removed(path) => (path, Kind::Removed),
            FsChange::Changed(path) => (path, Kind::Changed),
            FsChange::Rescan => {
                self.rescan = true;
                return;
            }
        };
        let earlier = self
            .index
            .remove(&path)
            .and_then(|at| self.changes.get_mut(at).and_then(Option::take));
        let kind = match earlier {
            Some(FsChange::Created(_)) if kind == Kind::Changed => Kind::Created,
            _ => kind,
        };
        self.index.insert(path.clone(), self.changes.len());
        self.changes.push(Some(match kind {
            Kind::Created => FsChange::Created(path),
            Kind::Removed => FsChange::Removed(path),
            Kind::Changed => FsChange::Changed(path),
        }));
    }

    /// The batch in order, with a single `Rescan` first if events were lost.
    fn finish(self) -> Vec<FsChange> {
        let rescan = self.rescan.then_some(FsChange::Rescan);
        rescan
            .into_iter()
            .chain(self.changes.into_iter().flatten())
            .collect()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Created,
    Removed,
    Changed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::walk::{is_excluded, walk_builder};
    use std::sync::Mutex;

    const DEBOUNCE: Duration = Duration::from_millis(50);
    const DEADLINE: Duration = Duration::from_secs(5);

    /// A watcher on a fresh temporary folder that records every change it reports.
    struct Fixture {
        dir: tempfile::TempDir,
        seen: Arc<Mutex<Vec<FsChange>>>,
        watcher: Option<Watcher>,
    }

    impl Fixture {
        fn new(setup: impl FnOnce(&Path)) -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            setup(dir.path());
            let seen = Arc::new(Mutex::new(Vec::new()));
            let sink = Arc::clone(&seen);
            let watcher = Watcher::start(vec![dir.path().to_path_buf()], DEBOUNCE, move |batch| {
                sink.lock().unwrap().extend(batch);
            })
            .unwrap();
            Fixture {
                dir,
                seen,
                watcher: Some(watcher),
            }
        }

        fn path(&self, relative: &str) -> PathBuf {
            self.dir.path().join(relative)
        }

        fn watcher(&self) -> &Watcher {
            self.watcher.as_ref().unwrap()
        }

        fn seen(&self) -> Vec<FsChange> {
            self.seen.lock().unwrap().clone()
        }

        fn clear(&self) {
            self.seen.lock().unwrap().clear();
        }

        /// Waits until every change in `expected` has been reported, failing after the deadline.
        fn expect(&self, expected: &[FsChange]) {
            let ok = wait_until(|| {
                let seen = self.seen();
                expected.iter().all(|change| seen.contains(change))
            });
            assert!(ok, "expected {expected:#?}, got {:#?}", self.seen());
        }
    }

    fn wait_until(mut done: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + DEADLINE;
        while Instant::now() < deadline {
            if done() {
                return true;
            }
            thread::sleep(Duration::from_millis(10));
        }
        done()
    }

    fn write(path: &Path, text: &str) {
        fs::write(path, text).unwrap();
    }

    fn mentions(change: &FsChange, dir: &Path) -> bool {
        match change {
            FsChange::Created(path) | FsChange::Removed(path) | FsChange::Changed(path) => {
                path.starts_with(dir)
            }
            FsChange::Rescan => false,
        }
    }

    #[test]
    fn create_modify_rename_and_delete_of_a_file_are_reported() {
        let fx = Fixture::new(|_| {});
        let a = fx.path("a.ts");
        write(&a, "// #TAG: one");
        fx.expect(&[FsChange::Created(a.clone())]);

        fx.clear();
        write(&a, "// #TAG: two");
        fx.expect(&[FsChange::Changed(a.clone())]);

        fx.clear();
        let b = fx.path("b.ts");
        fs::rename(&a, &b).unwrap();
        fx.expect(&[FsChange::Removed(a.clone()), FsChange::Created(b.clone())]);
        let seen = fx.seen();
        let removed = seen.iter().position(|c| *c == FsChange::Removed(a.clone()));
        let created = seen.iter().position(|c| *c == FsChange::Created(b.clone()));
        assert!(
            removed < created,
            "the old name goes before the new one: {seen:#?}"
        );

        fx.clear();
        fs::remove_file(&b).unwrap();
        fx.expect(&[FsChange::Removed(b)]);
    }

    #[test]
    fn a_file_written_right_after_mkdir_p_is_reported() {
        let fx = Fixture::new(|_| {});
        let before = fx.watcher().watched_dirs();
        fs::create_dir_all(fx.path("a/b/c")).unwrap();
        let file = fx.path("a/b/c/new.ts");
        write(&file, "// #TAG: new");
        fx.expect(&[FsChange::Created(file)]);
        assert!(wait_until(|| fx.watcher().watched_dirs() == before + 3));

        // The new folders are watched from now on.
        fx.clear();
        let later = fx.path("a/b/c/later.ts");
        write(&later, "");
        fx.expect(&[FsChange::Created(later)]);
    }

    #[test]
    fn a_folder_moved_in_is_watched_and_its_files_reported() {
        let outside = tempfile::tempdir().unwrap();
        fs::create_dir_all(outside.path().join("pkg/src")).unwrap();
        write(&outside.path().join("pkg/src/m.ts"), "");
        let fx = Fixture::new(|_| {});
        fs::rename(outside.path().join("pkg"), fx.path("pkg")).unwrap();
        fx.expect(&[FsChange::Created(fx.path("pkg/src/m.ts"))]);

        fx.clear();
        fs::rename(fx.path("pkg"), fx.path("moved")).unwrap();
        fx.expect(&[
            FsChange::Removed(fx.path("pkg")),
            FsChange::Created(fx.path("moved/src/m.ts")),
        ]);
        let changed = fx.path("moved/src/m.ts");
        fx.clear();
        write(&changed, "// #TAG: moved");
        fx.expect(&[FsChange::Changed(changed)]);
        assert_eq!(fx.watcher().watched_dirs(), 3);

        // Moved out of the workspace: one event for the folder, none for its files.
        fx.clear();
        fs::rename(fx.path("moved"), outside.path().join("back")).unwrap();
        fx.expect(&[FsChange::Removed(fx.path("moved"))]);
        assert!(wait_until(|| fx.watcher().watched_dirs() == 1));
    }

    #[test]
    fn a_tree_created_at_once_is_reported_in_full() {
        let fx = Fixture::new(|_| {});
        let mut files = Vec::new();
        for a in 0..10 {
            for b in 0..10 {
                let dir = fx.path(&format!("tree/{a}/{b}"));
                fs::create_dir_all(&dir).unwrap();
                let file = dir.join("f.ts");
                write(&file, "");
                files.push(FsChange::Created(file));
            }
        }
        fx.expect(&files);
        assert!(wait_until(
            || fx.watcher().watched_dirs() == 1 + 1 + 10 + 100
        ));
    }

    #[test]
    fn nothing_is_reported_inside_excluded_folders() {
        let fx = Fixture::new(|root| {
            write(&root.join(".gitignore"), "ignored/\nbuild/\n");
            fs::create_dir_all(root.join("node_modules/pkg")).unwrap();
            fs::create_dir_all(root.join("ignored/deep")).unwrap();
            fs::create_dir_all(root.join("src")).unwrap();
            write(&root.join("src/.gitignore"), "generated/\n");
            fs::create_dir_all(root.join("src/generated")).unwrap();
        });
        // The root and src/, nothing else.
        assert_eq!(fx.watcher().watched_dirs(), 2);

        write(&fx.path("node_modules/pkg/index.js"), "");
        write(&fx.path("ignored/deep/x.ts"), "");
        write(&fx.path("src/generated/g.ts"), "");
        // Excluded folders that appear later stay unwatched too.
        fs::create_dir_all(fx.path("build/out")).unwrap();
        write(&fx.path("build/out/b.js"), "");
        fs::create_dir_all(fx.path("target/debug")).unwrap();
        write(&fx.path("target/debug/t.ts"), "");
        fs::create_dir_all(fx.path("src/generated2")).unwrap();
        fs::remove_dir_all(fx.path("node_modules")).unwrap();

        // The sentinel comes last, so once it is seen the rest has been through the watcher.
        let sentinel = fx.path("src/sentinel.ts");
        write(&sentinel, "");
        fx.expect(&[FsChange::Created(sentinel)]);
        let excluded = [
            "node_modules",
            "ignored",
            "src/generated",
            "build",
            "target",
        ];
        let leaks: Vec<_> = fx
            .seen()
            .into_iter()
            .filter(|change| excluded.iter().any(|dir| mentions(change, &fx.path(dir))))
            .collect();
        assert!(
            leaks.is_empty(),
            "reported inside excluded folders: {leaks:#?}"
        );
        // src/generated2 is not excluded (the pattern is `generated/`), so it is watched.
        assert_eq!(fx.watcher().watched_dirs(), 3);
    }

    #[test]
    fn a_gitignored_env_file_in_the_root_is_reported() {
        let fx = Fixture::new(|root| write(&root.join(".gitignore"), ".env\n"));
        let env = fx.path(".env");
        write(&env, "API_KEY=1\n");
        fx.expect(&[FsChange::Created(env.clone())]);
        fx.clear();
        write(&env, "API_KEY=2\n");
        fx.expect(&[FsChange::Changed(env.clone())]);
        fx.clear();
        fs::remove_file(&env).unwrap();
        fx.expect(&[FsChange::Removed(env)]);
    }

    #[test]
    fn symlinks_out_of_the_root_are_not_followed() {
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().to_path_buf();
        let fx = Fixture::new(|root| {
            #[cfg(unix)]
            std::os::unix::fs::symlink(&target, root.join("link")).unwrap();
        });
        assert_eq!(fx.watcher().watched_dirs(), 1);
        write(&outside.path().join("x.ts"), "");
        let sentinel = fx.path("sentinel.ts");
        write(&sentinel, "");
        fx.expect(&[FsChange::Created(sentinel.clone())]);
        assert_eq!(fx.seen(), vec![FsChange::Created(sentinel)]);
    }

    #[test]
    fn watched_dirs_stay_bounded_when_a_folder_comes_and_goes() {
        let fx = Fixture::new(|_| {});
        let before = fx.watcher().watched_dirs();
        let dir = fx.path("churn");
        for _ in 0..50 {
            fs::create_dir(&dir).unwrap();
            write(&dir.join("f.ts"), "");
            fs::remove_dir_all(&dir).unwrap();
        }
        let sentinel = fx.path("sentinel.ts");
        write(&sentinel, "");
        fx.expect(&[FsChange::Created(sentinel)]);
        assert!(
            wait_until(|| fx.watcher().watched_dirs() == before),
            "{} watched, expected {before}",
            fx.watcher().watched_dirs()
        );

        // The folder still gets its one watch when it comes back to stay.
        fs::create_dir(&dir).unwrap();
        assert!(wait_until(|| fx.watcher().watched_dirs() == before + 1));
        let file = dir.join("kept.ts");
        write(&file, "");
        fx.expect(&[FsChange::Created(file)]);
    }

    #[test]
    fn a_changed_gitignore_changes_what_is_watched() {
        let fx = Fixture::new(|root| {
            write(&root.join(".gitignore"), "out/\n");
            fs::create_dir_all(root.join("out")).unwrap();
            write(&root.join("out/o.ts"), "");
        });
        assert_eq!(fx.watcher().watched_dirs(), 1);
        write(&fx.path(".gitignore"), "# nothing ignored\n");
        fx.expect(&[
            FsChange::Changed(fx.path(".gitignore")),
            FsChange::Created(fx.path("out/o.ts")),
        ]);
        assert_eq!(fx.watcher().watched_dirs(), 2);

        fx.clear();
        write(&fx.path(".gitignore"), "out/\n");
        fx.expect(&[FsChange::Changed(fx.path(".gitignore"))]);
        assert!(wait_until(|| fx.watcher().watched_dirs() == 1));
    }

    #[test]
    fn dropping_the_watcher_stops_callbacks_and_its_thread() {
        let mut fx = Fixture::new(|_| {});
        let first = fx.path("first.ts");
        write(&first, "");
        fx.expect(&[FsChange::Created(first)]);

        drop(fx.watcher.take());
        // The worker thread has ended and released the callback and what it captured.
        assert_eq!(Arc::strong_count(&fx.seen), 1);
        fx.clear();

        // A second watcher on the same folder shows when the events have come and gone.
        let control = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&control);
        let _control = Watcher::start(vec![fx.dir.path().to_path_buf()], DEBOUNCE, move |b| {
            sink.lock().unwrap().extend(b);
        })
        .unwrap();
        let second = fx.path("second.ts");
        write(&second, "");
        assert!(wait_until(|| {
            control
                .lock()
                .unwrap()
                .contains(&FsChange::Created(second.clone()))
        }));
        assert_eq!(fx.seen(), Vec::new());
    }

    #[test]
    fn excludes_follow_defaults_nested_gitignores_and_git_exclude() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join(".gitignore"), "*.log\nbuild/\n.env\n");
        fs::create_dir_all(root.join(".git/info")).unwrap();
        write(&root.join(".git/info/exclude"), "local/\nkeep.log\n");
        fs::create_dir_all(root.join("pkg")).unwrap();
        write(&root.join("pkg/.gitignore"), "gen/\n!important.log\n");

        let excluded = |path: &str, is_dir: bool| is_excluded(root, &root.join(path), is_dir);
        assert!(excluded("node_modules", true));
        assert!(excluded("a/target/debug/x.ts", false));
        assert!(excluded(".git", true));
        assert!(excluded("build", true));
        assert!(excluded("build/x.ts", false));
        assert!(excluded("local", true));
        assert!(excluded("pkg/gen", true));
        assert!(excluded("pkg/gen/x.ts", false));
        assert!(excluded("x.log", false));
        assert!(excluded(".env", false));
        // .gitignore outranks info/exclude, and a deeper .gitignore a shallower one.
        assert!(excluded("keep.log", false));
        assert!(!excluded("pkg/important.log", false));
        // `build/` names folders only; a file called target is not a folder to skip.
        assert!(!excluded("build", false));
        assert!(!excluded("target", false));
        assert!(!excluded("gen", true));
        assert!(!excluded("src/main.ts", false));
        assert!(!excluded("", true));
        // The root's own location does not count.
        assert!(!is_excluded(
            &root.join("node_modules/ws"),
            &root.join("node_modules/ws/a.ts"),
            false
        ));
    }

    #[test]
    fn the_walk_skips_excluded_folders_but_yields_their_neighbours() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join(".gitignore"), "build/\n.env\n");
        for folder in ["src", "build", "node_modules/x", ".github"] {
            fs::create_dir_all(root.join(folder)).unwrap();
        }
        for file in [
            "src/a.ts",
            "build/b.ts",
            "node_modules/x/c.ts",
            ".env",
            ".github/ci.yml",
        ] {
            write(&root.join(file), "");
        }
        let excludes = Arc::new(Excludes::new(root));
        let mut found: Vec<PathBuf> = walk_builder(&excludes)
            .build()
            .filter_map(Result::ok)
            .filter(|entry| entry.depth() > 0)
            .map(|entry| entry.path().strip_prefix(root).unwrap().to_path_buf())
            .collect();
        found.sort();
        let expected: Vec<PathBuf> = [
            ".env",
            ".github",
            ".github/ci.yml",
            ".gitignore",
            "src",
            "src/a.ts",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn a_batch_keeps_one_entry_per_path_at_its_latest_place() {
        let p = |name: &str| PathBuf::from("/w").join(name);
        let mut batch = Batch::default();
        batch.push(FsChange::Created(p("a")));
        batch.push(FsChange::Changed(p("a")));
        batch.push(FsChange::Created(p("dir/x")));
        batch.push(FsChange::Removed(p("dir")));
        batch.push(FsChange::Created(p("dir/x")));
        batch.push(FsChange::Created(p("gone")));
        batch.push(FsChange::Removed(p("gone")));
        batch.push(FsChange::Rescan);
        batch.push(FsChange::Rescan);
        assert_eq!(
            batch.finish(),
            vec![
                FsChange::Rescan,
                FsChange::Created(p("a")),
                FsChange::Removed(p("dir")),
                FsChange::Created(p("dir/x")),
                FsChange::Removed(p("gone")),
            ]
        );
    }
}
