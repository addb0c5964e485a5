//! How a server's process ends: with the status LSP asks for (0 only after
//! `shutdown`), and on its own when the client's process is gone, so that a
//! crashed editor does not leave the server running.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the client's process is looked for.
const CLIENT_POLL: Duration = Duration::from_secs(3);

/// What decides how the process ends; one per session.
pub struct Lifecycle {
    shut_down: AtomicBool,
    /// Whether the session owns its process (stdio) and may end it. In
    /// process (the test harness) it never does.
    owns_process: bool,
}

impl Lifecycle {
    pub fn new(owns_process: bool) -> Lifecycle {
        Lifecycle {
            shut_down: AtomicBool::new(false),
            owns_process,
        }
    }

    /// Records that the client asked for `shutdown` and it was accepted.
    pub fn shut_down(&self) {
        self.shut_down.store(true, Ordering::SeqCst);
    }

    /// The exit status: 0 after `shutdown`, else 1, whether the session
    /// ended on `exit`, at the end of the input or with the client's
    /// process (LSP 3.17, "Exit Notification").
    pub fn exit_code(&self) -> u8 {
        if self.shut_down.load(Ordering::SeqCst) {
            0
        } else {
            1
        }
    }

    /// Ends the process when the client's process (`processId` in
    /// `initialize`) is gone. A process that does not exist already (the
    /// client runs in another PID namespace, as with a server in a
    /// container) is not watched.
    pub fn watch_client(self: &Arc<Self>, pid: u32) {
        if !self.owns_process {
            return;
        }
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            tracing::warn!("not watching the client: process id {pid} is out of range");
            return;
        };
        // 0 and -1 would name a process group and every process.
        if pid <= 0 || !alive(pid) {
            tracing::warn!("not watching the client: there is no process {pid} here");
            return;
        }
        let me = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("tagls-client-watch".to_owned())
            .spawn(move || {
                while alive(pid) {
                    std::thread::sleep(CLIENT_POLL);
                }
                tracing::warn!("the client's process {pid} is gone; exiting");
                std::process::exit(i32::from(me.exit_code()));
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot watch the client's process {pid}: {e}");
        }
    }
}

/// Whether a process exists (a zombie, not yet reaped, still does).
fn alive(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 is not sent; `kill` only checks that the process
    // exists and may be signalled.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    // EPERM: it exists but belongs to another user.
    found || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_code_is_zero_only_after_shutdown() {
        let l = Lifecycle::new(false);
        assert_eq!(l.exit_code(), 1);
        l.shut_down();
        assert_eq!(l.exit_code(), 0);
    }

    #[test]
    fn a_reaped_process_is_gone_and_this_one_is_not() {
        assert!(alive(std::process::id() as libc::pid_t));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as libc::pid_t;
        child.wait().unwrap();
        assert!(!alive(pid));
    }
}
