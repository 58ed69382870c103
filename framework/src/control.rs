//! Stopping `serve_forever` from another thread: the shutdown flag, and a
//! wake-up pipe so that the loop notices at once.
//!
//! Python's loop only looks at its shutdown flag every `poll_interval`
//! (0.5 s), so `shutdown()` can take that long (CPython gh-88932), and
//! calling it before `serve_forever` started blocks forever. Here the loop
//! also waits on the read end of a pipe: `shutdown()` writes one byte to it,
//! which wakes `poll()` immediately.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, ThreadId};

use nix::fcntl::OFlag;
use parking_lot::{Condvar, Mutex};

use crate::Address;

/// Whether the loop runs, and on which thread.
#[derive(Default)]
struct LoopState {
    running_on: Option<ThreadId>,
}

/// Shared between the server, its handles and its requests.
pub(crate) struct Control {
    shutdown_requested: AtomicBool,
    state: Mutex<LoopState>,
    stopped: Condvar,
    wake_read: OwnedFd,
    wake_write: OwnedFd,
    server_address: Address,
    /// The process that owns the loop. A forked child has closed its copy of
    /// the pipe (its descriptor number may already name another file), and
    /// cannot stop its parent's loop anyway, so `shutdown` there does nothing.
    owner_pid: u32,
}

impl Control {
    pub(crate) fn new(server_address: Address) -> io::Result<Control> {
        // Non-blocking: a full pipe must never block shutdown(), and draining
        // it must stop when it is empty. Close-on-exec: children that exec
        // something else should not inherit it.
        let (wake_read, wake_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
        Ok(Control {
            shutdown_requested: AtomicBool::new(false),
            state: Mutex::new(LoopState::default()),
            stopped: Condvar::new(),
            wake_read,
            wake_write,
            server_address,
            owner_pid: std::process::id(),
        })
    }

    pub(crate) fn shutdown_requested(&self) -> bool {
        self.shutdown_requested.load(Ordering::Acquire)
    }

    /// The descriptor the loop polls beside the server socket.
    pub(crate) fn wake_fd(&self) -> BorrowedFd<'_> {
        self.wake_read.as_fd()
    }

    /// Both ends of the pipe, which a forked child closes.
    pub(crate) fn pipe_fds(&self) -> [RawFd; 2] {
        [self.wake_read.as_raw_fd(), self.wake_write.as_raw_fd()]
    }

    /// Empties the pipe after a wake-up.
    pub(crate) fn drain_wake_pipe(&self) {
        let mut buf = [0u8; 64];
        while matches!(nix::unistd::read(&self.wake_read, &mut buf), Ok(n) if n > 0) {}
    }

    /// Marks the loop as running on this thread; the guard marks it stopped.
    pub(crate) fn enter_loop(&self) -> io::Result<LoopGuard<'_>> {
        let mut state = self.state.lock();
        if state.running_on.is_some() {
            return Err(io::Error::other("serve_forever is already running"));
        }
        state.running_on = Some(thread::current().id());
        Ok(LoopGuard { control: self })
    }

    /// Asks the loop to stop and wakes it; does not wait. Only an atomic
    /// store and a `write`, so it may run inside a signal handler.
    pub(crate) fn request_shutdown(&self) {
        if std::process::id() != self.owner_pid {
            return;
        }
        self.shutdown_requested.store(true, Ordering::Release);
        // A full pipe already holds a wake-up, so a failed write loses nothing.
        let _ = nix::unistd::write(&self.wake_write, b"x");
    }

    /// Asks the loop to stop and waits until it has.
    pub(crate) fn shutdown(&self) {
        if std::process::id() != self.owner_pid {
            return;
        }
        let mut state = self.state.lock();
        self.request_shutdown();
        // Called from the loop's own thread (a handler of a sequential
        // server): waiting would deadlock, and the loop stops right after
        // the handler returns anyway.
        while let Some(thread) = state.running_on {
            if thread == thread::current().id() {
                return;
            }
            self.stopped.wait(&mut state);
        }
    }
}

/// Resets the loop state when `serve_forever` returns, even by an error.
pub(crate) struct LoopGuard<'a> {
    control: &'a Control,
}

impl Drop for LoopGuard<'_> {
    fn drop(&mut self) {
        let mut state = self.control.state.lock();
        state.running_on = None;
        // Like Python: the request is consumed by the loop that saw it, so
        // the next serve_forever runs normally.
        self.control
            .shutdown_requested
            .store(false, Ordering::Release);
        self.control.drain_wake_pipe();
        self.control.stopped.notify_all();
    }
}

/// A cheap, cloneable handle to a server, for other threads and for handlers:
/// Python's `self.server` inside a handler.
#[derive(Clone)]
pub struct ServerHandle {
    control: Arc<Control>,
}

impl ServerHandle {
    pub(crate) fn new(control: Arc<Control>) -> ServerHandle {
        ServerHandle { control }
    }

    /// Stops `serve_forever` and waits until it has returned. Safe to call
    /// before the loop starts (the next `serve_forever` then returns at
    /// once, as in Python), from any thread, and from a handler (it then
    /// does not wait for itself). In a forked child it does nothing: the
    /// child is a copy and cannot stop its parent's loop.
    pub fn shutdown(&self) {
        self.control.shutdown();
    }

    /// Asks `serve_forever` to stop without waiting for it; safe to call
    /// from a signal handler (an atomic store and one `write`).
    pub fn request_shutdown(&self) {
        self.control.request_shutdown();
    }

    /// Where the server listens (port 0 has become the real port).
    pub fn server_address(&self) -> &Address {
        &self.control.server_address
    }
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerHandle({})", self.control.server_address)
    }
}
