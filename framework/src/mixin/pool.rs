//! A fixed number of worker threads and a bounded queue of requests
//! waiting for them: blocking handlers without a thread per client.

use std::collections::VecDeque;
use std::io;
use std::os::fd::RawFd;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use parking_lot::{Condvar, Mutex};

use super::{Job, MixIn};

/// Runs requests on `workers` threads started once, like
/// `concurrent.futures.ThreadPoolExecutor` behind a server. Python's
/// `socketserver` has no such mix-in; it is the model of most production
/// servers with blocking handlers (Apache's worker MPM, Tomcat's connectors).
///
/// A request that finds every worker busy waits in a queue of at most
/// `queue_size` requests. **When the queue is full, the request is
/// refused**: its connection is closed at once without an answer (a
/// datagram is dropped), and `handle_error` reports
/// `request queue full`. So a flood of clients costs a bounded number of
/// threads and a bounded amount of memory, and the clients beyond it learn
/// at once instead of waiting without end. (The alternative, blocking the
/// accept loop until a worker is free, would leave the kernel's listen
/// queue to fill and `shutdown` waiting on a busy handler.)
///
/// A handler that keeps its connection for a long time (a chat member)
/// holds its worker as long: with more such clients than workers, the
/// others wait in the queue. That is the price of a bounded pool, and the
/// reason for the event-loop model.
#[derive(Debug)]
pub struct ThreadPoolMixIn {
    /// Worker threads (default: `min(32, cores + 4)`, Python's
    /// `ThreadPoolExecutor` default). Set before serving.
    pub workers: usize,
    /// Requests that may wait for a worker (default 128). Set before serving.
    pub queue_size: usize,
    /// `server_close` waits for the running and queued requests (default
    /// `true`, like the threading mix-in).
    pub block_on_close: bool,
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when a request is queued, or at close.
    work: Condvar,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    /// Workers running a request now.
    busy: usize,
    closing: bool,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("queued", &self.queue.len())
            .field("busy", &self.busy)
            .field("closing", &self.closing)
            .finish()
    }
}

impl Default for ThreadPoolMixIn {
    fn default() -> Self {
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        ThreadPoolMixIn {
            workers: (cores + 4).min(32),
            queue_size: 128,
            block_on_close: true,
            shared: Arc::default(),
            threads: Mutex::new(Vec::new()),
        }
    }
}

impl ThreadPoolMixIn {
    /// A pool of `workers` threads with room for `queue_size` waiting requests.
    pub fn new(workers: usize, queue_size: usize) -> ThreadPoolMixIn {
        ThreadPoolMixIn {
            workers,
            queue_size,
            ..ThreadPoolMixIn::default()
        }
    }

    /// Workers running a request now.
    pub fn busy_workers(&self) -> usize {
        self.shared.state.lock().busy
    }

    /// Requests waiting for a worker now.
    pub fn queued(&self) -> usize {
        self.shared.state.lock().queue.len()
    }

    /// Worker threads started so far (all of them, from the first request on).
    pub fn started_workers(&self) -> usize {
        self.threads.lock().len()
    }

    /// Starts the workers on the first request, once `workers` is final.
    fn start_workers(&self) -> io::Result<()> {
        let mut threads = self.threads.lock();
        while threads.len() < self.workers.max(1) {
            let shared = Arc::clone(&self.shared);
            let worker = thread::Builder::new()
                .name("pool-worker".into())
                .spawn(move || work(&shared))?;
            threads.push(worker);
        }
        Ok(())
    }
}

impl MixIn for ThreadPoolMixIn {
    fn process_request(&self, job: Job, _close_in_child: &[RawFd]) -> io::Result<()> {
        self.start_workers()?;
        let mut state = self.shared.state.lock();
        let idle = self.workers.max(1) - state.busy;
        // Idle workers take queued requests first; beyond them, the queue's room.
        if state.queue.len() >= idle + self.queue_size {
            // Dropping the job closes the request.
            return Err(io::Error::other(format!(
                "request queue full: {} workers busy, {} requests waiting",
                state.busy,
                state.queue.len()
            )));
        }
        state.queue.push_back(job);
        self.shared.work.notify_one();
        Ok(())
    }

    fn server_close(&self) {
        self.shared.state.lock().closing = true;
        self.shared.work.notify_all();
        if self.block_on_close {
            for worker in self.threads.lock().drain(..) {
                let _ = worker.join();
            }
        }
    }
}

/// A worker: takes requests until the server closes and the queue is empty.
fn work(shared: &Shared) {
    let mut state = shared.state.lock();
    loop {
        if let Some(job) = state.queue.pop_front() {
            state.busy += 1;
            drop(state);
            // The server's job reports a handler's panic itself; this only
            // keeps a panicking handle_error from killing the worker.
            let _ = panic::catch_unwind(AssertUnwindSafe(job));
            state = shared.state.lock();
            state.busy -= 1;
            continue;
        }
        if state.closing {
            return;
        }
        shared.work.wait(&mut state);
    }
}
