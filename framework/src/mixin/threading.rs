//! A thread per request (Python's `ThreadingMixIn`), with threads reused.

use std::collections::VecDeque;
use std::io;
use std::os::fd::RawFd;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::{Job, MixIn};

/// How long a thread whose request has ended waits for the next one before
/// it exits.
const IDLE_THREAD_LIFETIME: Duration = Duration::from_secs(5);

/// Runs each request in a thread of its own, as many at once as there are
/// requests (no limit, like Python's).
///
/// Two things differ from Python, neither visible to a handler:
///
/// - Python keeps a list of every non-daemon thread until `server_close`
///   (which once grew without bound: bpo-37193). Here only a count of the
///   requests still running is kept.
/// - Starting a thread costs more than a short request (a stack `mmap`,
///   `clone3`, page-table work on every CPU). So a thread whose request has
///   ended waits up to 5 s for the next request before it exits, as
///   tiny_http's task pool does; a request never waits for a busy thread:
///   when none is idle, a new one starts.
#[derive(Debug)]
pub struct ThreadingMixIn {
    /// `server_close` does not wait for requests started as daemon threads
    /// (Python's `daemon_threads`, default `false`).
    pub daemon_threads: bool,
    /// `server_close` waits for running non-daemon requests (Python's
    /// `block_on_close`, default `true`).
    pub block_on_close: bool,
    shared: Arc<Shared>,
}

/// What the server and its threads share.
#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when a request is queued for an idle thread, or at close.
    work: Condvar,
    /// Signalled when the last tracked request ends.
    all_done: Condvar,
}

#[derive(Default)]
struct State {
    /// Requests handed over to idle threads, not yet picked up.
    queued: VecDeque<Job>,
    /// Threads waiting for a request.
    idle: usize,
    /// Non-daemon requests running or queued (what `server_close` waits for).
    tracked: usize,
    /// The server has closed: idle threads exit.
    closing: bool,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("queued", &self.queued.len())
            .field("idle", &self.idle)
            .field("tracked", &self.tracked)
            .field("closing", &self.closing)
            .finish()
    }
}

/// Gives back a tracked request's place in the count when dropped, even
/// when the request panicked.
struct TrackedGuard(Arc<Shared>);

impl Drop for TrackedGuard {
    fn drop(&mut self) {
        let mut state = self.0.state.lock();
        state.tracked -= 1;
        if state.tracked == 0 {
            self.0.all_done.notify_all();
        }
    }
}

impl Default for ThreadingMixIn {
    fn default() -> Self {
        ThreadingMixIn {
            daemon_threads: false,
            block_on_close: true,
            shared: Arc::default(),
        }
    }
}

impl ThreadingMixIn {
    /// How many tracked (non-daemon) requests are running now.
    pub fn active_threads(&self) -> usize {
        self.shared.state.lock().tracked
    }

    /// How many threads are waiting for a request (kept from earlier requests).
    pub fn idle_threads(&self) -> usize {
        self.shared.state.lock().idle
    }
}

impl MixIn for ThreadingMixIn {
    fn process_request(&self, job: Job, _close_in_child: &[RawFd]) -> io::Result<()> {
        let mut state = self.shared.state.lock();
        let job: Job = if self.daemon_threads {
            job
        } else {
            state.tracked += 1;
            let guard = TrackedGuard(Arc::clone(&self.shared));
            Box::new(move || {
                let _guard = guard;
                job()
            })
        };
        // An idle thread not yet promised to an earlier queued request takes it.
        if state.idle > state.queued.len() {
            state.queued.push_back(job);
            self.shared.work.notify_one();
            return Ok(());
        }
        drop(state);
        // Otherwise a new thread. If it cannot start, the job is dropped with
        // the closure: the request is closed and its count given back.
        let shared = Arc::clone(&self.shared);
        thread::Builder::new()
            .name("request".into())
            .spawn(move || {
                run_job(job);
                serve_queued(&shared);
            })?;
        Ok(())
    }

    fn server_close(&self) {
        let mut state = self.shared.state.lock();
        state.closing = true;
        self.shared.work.notify_all();
        if self.block_on_close {
            while state.tracked > 0 {
                self.shared.all_done.wait(&mut state);
            }
        }
    }
}

/// Runs one request. The server's job already reports a handler's panic
/// through `handle_error`; this only keeps a panic in a user's
/// `handle_error` from ending a thread that could be reused.
fn run_job(job: Job) {
    let _ = panic::catch_unwind(AssertUnwindSafe(job));
}

/// After its first request, a thread waits for more, and exits when none
/// comes within `IDLE_THREAD_LIFETIME` or when the server closes.
fn serve_queued(shared: &Shared) {
    let mut state = shared.state.lock();
    loop {
        if let Some(job) = state.queued.pop_front() {
            drop(state);
            run_job(job);
            state = shared.state.lock();
            continue;
        }
        if state.closing {
            return;
        }
        state.idle += 1;
        let timed_out = shared
            .work
            .wait_for(&mut state, IDLE_THREAD_LIFETIME)
            .timed_out();
        state.idle -= 1;
        if timed_out && state.queued.is_empty() {
            return;
        }
    }
}
