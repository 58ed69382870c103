//! One thread per request (Python's `ThreadingMixIn`).

use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::thread;

use parking_lot::{Condvar, Mutex};

use super::{Job, MixIn};

/// Runs each request in a new thread.
///
/// Python keeps a list of every non-daemon thread until `server_close`
/// (which once grew without bound: bpo-37193). Here only a count of the
/// threads still running is kept: a thread takes its place in the count when
/// it starts and gives it back when it ends, even by a panic.
#[derive(Debug)]
pub struct ThreadingMixIn {
    /// Daemon threads are not waited for by `server_close` (Python's
    /// `daemon_threads`, default `false`).
    pub daemon_threads: bool,
    /// `server_close` waits for running non-daemon threads (Python's
    /// `block_on_close`, default `true`).
    pub block_on_close: bool,
    running: Arc<Running>,
}

/// The number of tracked handler threads still running.
#[derive(Debug, Default)]
struct Running {
    count: Mutex<usize>,
    all_done: Condvar,
}

/// Holds one place in the count; gives it back when dropped.
struct RunningGuard(Arc<Running>);

impl Drop for RunningGuard {
    fn drop(&mut self) {
        let mut count = self.0.count.lock();
        *count -= 1;
        if *count == 0 {
            self.0.all_done.notify_all();
        }
    }
}

impl Default for ThreadingMixIn {
    fn default() -> Self {
        ThreadingMixIn {
            daemon_threads: false,
            block_on_close: true,
            running: Arc::default(),
        }
    }
}

impl ThreadingMixIn {
    /// How many tracked (non-daemon) handler threads are running now.
    pub fn active_threads(&self) -> usize {
        *self.running.count.lock()
    }
}

impl MixIn for ThreadingMixIn {
    fn process_request(&self, job: Job, _close_in_child: &[RawFd]) -> io::Result<()> {
        let guard = (!self.daemon_threads).then(|| {
            *self.running.count.lock() += 1;
            RunningGuard(Arc::clone(&self.running))
        });
        // If the spawn fails, the closure (with the job and the guard) is
        // dropped: the request is closed and the count given back. No thread
        // name: naming costs a system call per connection, and the echo
        // benchmark counts every one against a plain std server.
        thread::Builder::new().spawn(move || {
            let _guard = guard;
            job();
        })?;
        Ok(())
    }

    fn server_close(&self) {
        if self.block_on_close {
            let mut count = self.running.count.lock();
            while *count > 0 {
                self.running.all_done.wait(&mut count);
            }
        }
    }
}
