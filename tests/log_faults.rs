//! Faults while the log is written (`tagls log created`, through
//! `log::write::update_file`): the log replaced or deleted while entries are
//! added, the disk full, the file size limit hit, and the process killed
//! mid-write, again and again, on a large log. Afterwards the log holds the
//! old content or the old content plus the whole entry, never a torn one,
//! and a failed write is reported (non-zero exit and a message)
//! (docs/RELIABILITY.md, "Log write faults").

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const LOG_PATH: &str = ".orchestration/implementation-log.md";

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

/// A workspace root (marked by `.git`) with `count` one-line files
/// `src/f<i>.ts` and the given log.
fn workspace_in(root: &Path, count: usize, log: &str) {
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::create_dir_all(root.join(".orchestration")).unwrap();
    for i in 0..count {
        std::fs::write(root.join(format!("src/f{i}.ts")), "x\n").unwrap();
    }
    std::fs::write(root.join(LOG_PATH), log).unwrap();
}

fn log_created(root: &Path, i: usize) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(["log", "created"])
        .arg(format!("src/f{i}.ts"))
        .current_dir(root);
    cmd
}

/// The whole entry `tagls log created src/f<i>.ts` adds.
fn entry(i: usize) -> String {
    format!("#FILE_CREATED: src/f{i}.ts (1 line)\n  Description:\n  Purpose:\n")
}

/// Files in the log's folder other than the log: temporary files left
/// behind.
fn leftovers(root: &Path) -> Vec<String> {
    std::fs::read_dir(root.join(".orchestration"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "implementation-log.md")
        .collect()
}

/// A log is whole when every entry tagls wrote has all its lines and the
/// text ends with a line break.
fn is_whole(text: &str) -> bool {
    if text.is_empty() {
        return true;
    }
    let heads = text.matches("#FILE_CREATED: src/f").count();
    let wholes = text.matches(" line)\n  Description:\n  Purpose:\n").count();
    text.ends_with('\n') && text.starts_with("# Implementation Log\n") && heads == wholes
}

const BASE: &str = "# Implementation Log\n\n## Files Created\n";

/// An editor saving the log (write a temporary file, rename it over) or
/// deleting it, over and over, while `tagls log created` adds entries; a
/// reader checks every version it sees.
#[test]
fn the_log_replaced_or_deleted_mid_write_is_never_torn() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    const ENTRIES: usize = 60;
    workspace_in(&root, ENTRIES, BASE);
    let stop = Arc::new(AtomicBool::new(false));
    let log = root.join(LOG_PATH);
    let chaos = {
        let (stop, log) = (stop.clone(), log.clone());
        std::thread::spawn(move || {
            let mut n = 0usize;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                if n.is_multiple_of(3) {
                    let _ = std::fs::remove_file(&log);
                } else {
                    let tmp = log.with_file_name(format!("editor-save-{n}.tmp"));
                    std::fs::write(&tmp, format!("{BASE}<!-- replaced {n} -->\n")).unwrap();
                    std::fs::rename(&tmp, &log).unwrap();
                }
                std::thread::sleep(Duration::from_millis(3));
            }
            n
        })
    };
    let reader = {
        let (stop, log) = (stop.clone(), log.clone());
        std::thread::spawn(move || {
            let mut reads = 0usize;
            while !stop.load(Ordering::SeqCst) {
                if let Ok(text) = std::fs::read_to_string(&log) {
                    assert!(is_whole(&text), "a torn log was seen:\n{text}");
                    reads += 1;
                }
            }
            reads
        })
    };
    let started = Instant::now();
    let mut failures = Vec::new();
    for i in 0..ENTRIES {
        let out = log_created(&root, i).output().unwrap();
        if !out.status.success() {
            failures.push(String::from_utf8_lossy(&out.stderr).into_owned());
        }
    }
    let took = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let replacements = chaos.join().unwrap();
    let reads = reader.join().expect("the reader saw only whole logs");
    // Deleting or replacing the log is not an error: the entry goes into
    // whatever log is there, or a new one.
    assert!(failures.is_empty(), "{failures:#?}");
    // Once the editor stops, the next entry lands next to what it left.
    let before = std::fs::read_to_string(&log).unwrap_or_default();
    let out = log_created(&root, 0).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = std::fs::read_to_string(&log).unwrap();
    assert!(is_whole(&after), "{after}");
    assert!(after.contains(&entry(0)), "{after}");
    if before.contains("<!-- replaced") {
        let marker = &before[before.find("<!-- replaced").unwrap()..];
        assert!(
            after.contains(&marker[..marker.find("-->").unwrap()]),
            "{after}"
        );
    }
    let left: Vec<String> = leftovers(&root)
        .into_iter()
        .filter(|n| !n.starts_with("editor-save-"))
        .collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
    eprintln!(
        "log faults: {ENTRIES} entries in {took:?} against {replacements} replacements/deletions; {reads} whole reads"
    );
}

/// A small tmpfs (we are root in this sandbox; mounting is permitted) that
/// the log lives on, filled so that the new log cannot be written.
struct SmallDisk {
    dir: tempfile::TempDir,
    mounted: bool,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tagls-test"])
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then_some(SmallDisk { dir, mounted: true })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(self.dir.path()).status();
        }
    }
}

fn fill(dir: &Path) {
    // Write until the disk says no.
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("filler")).unwrap();
    let block = vec![b'x'; 4096];
    while f.write_all(&block).is_ok() {}
    let _ = f.flush();
}

fn assert_told(out: &Output, why: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the failed write was not reported: {out:?}"
    );
    assert!(
        stderr.contains("cannot write") && stderr.contains(LOG_PATH) && stderr.contains(why),
        "{stderr}"
    );
}

#[test]
fn a_full_disk_leaves_the_old_log_and_says_so() {
    let Some(disk) = SmallDisk::mount("256k") else {
        // Not permitted here: the size limit below covers the same path.
        eprintln!("mounting a tmpfs is not permitted; see the RLIMIT_FSIZE test");
        return;
    };
    let root = disk.path().join("ws");
    let old = format!("{BASE}{}", "note: something that happened\n".repeat(2000));
    workspace_in(&root, 1, &old);
    fill(disk.path());
    let out = log_created(&root, 0).output().unwrap();
    assert_told(&out, "No space left on device");
    assert_eq!(std::fs::read_to_string(root.join(LOG_PATH)).unwrap(), old);
    assert_eq!(
        leftovers(&root),
        Vec::<String>::new(),
        "temporary files left behind"
    );
    // With room again, the same command succeeds.
    std::fs::remove_file(disk.path().join("filler")).unwrap();
    let out = log_created(&root, 0).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(root.join(LOG_PATH)).unwrap(),
        format!("{old}\n{}", entry(0))
    );
}

/// The file size limit (`prlimit --fsize`): the new log is larger than the
/// limit, the old one is not.
#[test]
fn the_file_size_limit_leaves_the_old_log_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let old = format!("{BASE}{}", "note: something that happened\n".repeat(2000));
    workspace_in(&root, 1, &old);
    let out = Command::new("prlimit")
        .arg(format!("--fsize={}", old.len() + 8))
        .arg(bin())
        .args(["log", "created", "src/f0.ts"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert_eq!(std::fs::read_to_string(root.join(LOG_PATH)).unwrap(), old);
    // The kernel's SIGXFSZ would kill tagls before `write` could return
    // EFBIG; tagls ignores it at start-up, so this is an ordinary error that
    // is reported, and the temporary file is removed.
    assert_told(&out, "File too large");
    assert_eq!(
        leftovers(&root),
        Vec::<String>::new(),
        "temporary files left behind"
    );
}

/// SIGKILL at random moments while entries are added to a large log: after
/// each kill the log is the old one or the old one plus the whole entry.
#[test]
fn killed_mid_write_leaves_the_old_log_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    const KILLS: usize = 40;
    // About 20 MB, so that writing and flushing it takes a while.
    let mut big = String::from(BASE);
    let mut i = 0;
    while big.len() < 20 * 1024 * 1024 {
        big.push_str(&format!(
            "note {i}: an older line of the log, kept as it is\n"
        ));
        i += 1;
    }
    workspace_in(&root, KILLS * 10 + 1, &big);
    // How long one uninterrupted write takes, to spread the kills over it.
    let started = Instant::now();
    let out = log_created(&root, KILLS * 10).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let full = started.elapsed();
    let mut old = std::fs::read_to_string(root.join(LOG_PATH)).unwrap();
    assert_eq!(
        old,
        format!("{big}{}", entry(KILLS * 10)).replacen(
            &entry(KILLS * 10),
            &format!("\n{}", entry(KILLS * 10)),
            1
        )
    );
    let (mut kept_old, mut got_new) = (0, 0);
    // The moment of each kill follows what the last one found, so that the
    // kills land on both sides of the write however fast the machine is at
    // the time: later after a kill that kept the old log, earlier after one
    // that let the write finish. The factors are irrational to each other,
    // so that the moments do not repeat.
    let mut at = full.mul_f64(0.5);
    let mut k = 0;
    while k < KILLS || (kept_old == 0 || got_new == 0) && k < KILLS * 10 {
        let mut child = log_created(&root, k)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read_to_string(root.join(LOG_PATH)).unwrap();
        let with_entry = format!("{old}\n{}", entry(k));
        if now == old {
            kept_old += 1;
            at = at.mul_f64(1.414);
        } else {
            assert!(
                now == with_entry,
                "kill {k} after {at:?} left a log that is neither the old one nor the old one plus the entry ({} bytes, old {} bytes)",
                now.len(),
                old.len()
            );
            got_new += 1;
            old = now;
            at = at.mul_f64(0.618);
        }
        k += 1;
    }
    let left = leftovers(&root);
    // Killed processes cannot remove their temporary files; the log itself
    // is never affected by them.
    eprintln!(
        "log faults: {k} kills around {full:?} writes of a {} MB log: {kept_old} kept the old log, {got_new} the new one; {} temporary files left behind",
        big.len() / (1024 * 1024),
        left.len()
    );
    assert!(
        kept_old > 0 && got_new > 0,
        "the kills did not land on both sides: old {kept_old}, new {got_new}"
    );
}
