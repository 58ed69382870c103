//! One child process per request (Python's `ForkingMixIn`).
//!
//! `fork()` copies the whole process. The child handles the request and
//! leaves with `_exit`, never returning into the server loop; the parent
//! closes its copy of the connection and remembers the child's pid so that
//! it can reap it (collect its exit status, so that no zombie, 僵尸进程,
//! stays in the process table).

use std::collections::VecDeque;
use std::io;
use std::os::fd::RawFd;
use std::panic::{self, AssertUnwindSafe};

use nix::errno::Errno;
use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid, waitpid};
use nix::unistd::{ForkResult, Pid, fork};
use parking_lot::Mutex;

use super::{Job, MixIn};

/// Forks a child for each request.
///
/// Fork only from a process with one thread (or whose other threads hold
/// no locks): the child gets a copy of memory but only the calling thread.
/// Tests therefore run forking servers as their own process.
///
/// Zombies: finished children are reaped on every pass of `serve_forever`
/// (at least every `poll_interval`, at once when requests arrive), as in
/// Python. No `SIGCHLD` handler is installed: a signal disposition belongs
/// to the whole program (which may want SIGCHLD for itself, as lesson 13
/// does), and a zombie waiting up to `poll_interval` costs nothing but a
/// process-table slot, at most `max_children` of them.
///
/// ```no_run
/// use framework::{ForkingTcpServer, RequestHandler, StreamRequest};
/// # struct Echo;
/// # impl RequestHandler<StreamRequest> for Echo {
/// #     fn handle(&mut self, _: &mut StreamRequest) -> std::io::Result<()> { Ok(()) }
/// # }
///
/// # fn main() -> std::io::Result<()> {
/// let mut server = ForkingTcpServer::bind("127.0.0.1:9999", || Echo)?;
/// server.mixin_mut().max_children = 10; // an eleventh client waits its turn
/// server.shutdown_on_ctrl_c()?;
/// server.serve_forever()
/// // Dropping the server waits for the children (block_on_close).
/// # }
/// ```
#[derive(Debug)]
pub struct ForkingMixIn {
    /// At most this many children at once; above it the server waits for
    /// one to finish before it accepts again (Python's `max_children`, 40).
    /// While it waits, a `shutdown()` takes effect when that child ends.
    pub max_children: usize,
    /// `server_close` waits for every child (Python's `block_on_close`, `true`).
    pub block_on_close: bool,
    /// Pids of live children, oldest first.
    children: Mutex<VecDeque<Pid>>,
}

impl Default for ForkingMixIn {
    fn default() -> Self {
        ForkingMixIn {
            max_children: 40,
            block_on_close: true,
            children: Mutex::new(VecDeque::new()),
        }
    }
}

impl ForkingMixIn {
    /// How many children are running (or finished but not yet reaped).
    pub fn active_children(&self) -> usize {
        self.children.lock().len()
    }

    /// Python's `collect_children`: reap every finished child without
    /// blocking; then, while there are `max_children` or more, wait for the
    /// oldest. With `blocking`, wait for all of them.
    ///
    /// Unlike Python, which waits with `waitpid(-1)` above the limit, only
    /// our own children's pids are ever waited for, so a child that some
    /// other part of the program started is never reaped by the server.
    pub fn collect_children(&self, blocking: bool) {
        let mut children = self.children.lock();
        // One peek (WNOWAIT leaves the child to be reaped below) saves a
        // waitpid per live child on the many passes where none has exited.
        if !children.is_empty() && some_child_has_exited() {
            children.retain(|&pid| !reap(pid, false));
        }
        while children.len() >= self.max_children.max(1) {
            // Sleep until some child has exited, without reaping it (WNOWAIT),
            // then reap whichever of ours are done.
            let _ = waitid(Id::All, WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT);
            let before = children.len();
            children.retain(|&pid| !reap(pid, false));
            if children.len() == before {
                // The child that exited was not ours: wait for our oldest
                // instead of spinning on someone else's zombie.
                if let Some(oldest) = children.pop_front() {
                    reap(oldest, true);
                }
            }
        }
        if blocking {
            for pid in children.drain(..) {
                reap(pid, true);
            }
        }
    }
}

/// Whether any child of this process (ours or not) is waiting to be reaped.
/// Looks without reaping it.
fn some_child_has_exited() -> bool {
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    match waitid(Id::All, flags) {
        Ok(WaitStatus::StillAlive) => false,
        Ok(_) => true,
        // EINTR, or ECHILD (someone else reaped ours): look at each to be sure.
        Err(_) => true,
    }
}

/// Waits for one child; returns `true` once it is gone (reaped, or not ours).
fn reap(pid: Pid, block: bool) -> bool {
    let flags = (!block).then_some(WaitPidFlag::WNOHANG);
    loop {
        match waitpid(pid, flags) {
            Ok(WaitStatus::StillAlive) => return false,
            Ok(WaitStatus::Exited(..) | WaitStatus::Signaled(..)) => return true,
            // Stopped or continued: still alive. Blocking waits go on.
            Ok(_) if block => continue,
            Ok(_) => return false,
            Err(Errno::EINTR) => continue,
            // ECHILD: someone else reaped it; nothing more to wait for.
            Err(_) => return true,
        }
    }
}

impl MixIn for ForkingMixIn {
    fn process_request(&self, job: Job, close_in_child: &[RawFd]) -> io::Result<()> {
        // Make room first, so that there are never more than max_children.
        self.collect_children(false);
        // SAFETY: fork is sound here because the child only runs the request
        // and then calls _exit: it never returns into code that could find a
        // lock held by a thread that does not exist in the child. The server
        // forks from its loop thread; see the type's docs on other threads.
        match unsafe { fork() }.map_err(io::Error::from)? {
            ForkResult::Parent { child } => {
                // Dropping the job closes the parent's copy of the connection,
                // so the client sees end-of-file when the child is done.
                drop(job);
                self.children.lock().push_back(child);
                Ok(())
            }
            ForkResult::Child => run_child(job, close_in_child),
        }
    }

    fn service_actions(&self) {
        self.collect_children(false);
    }

    fn server_close(&self) {
        self.collect_children(self.block_on_close);
    }
}

/// The child's whole life: never returns.
fn run_child(job: Job, close_in_child: &[RawFd]) -> ! {
    for &fd in close_in_child {
        // SAFETY: these descriptors belong to the server object, which the
        // child never uses or drops again (it leaves with _exit below).
        unsafe { libc::close(fd) };
    }
    // Ctrl+C should stop the child at once, as it stops a Python child; the
    // parent's graceful-shutdown handler (ctrlc) relies on a thread that does
    // not exist in the child.
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: installing the default disposition runs no code of ours.
        let _ = unsafe { signal(sig, SigHandler::SigDfl) };
    }
    let succeeded = panic::catch_unwind(AssertUnwindSafe(job)).unwrap_or(false);
    // SAFETY: _exit ends the process without running destructors or atexit
    // handlers, which belong to the parent's copy of the program.
    unsafe { libc::_exit(if succeeded { 0 } else { 1 }) }
}
