//! Threads that are reused: a concurrency model of our own, on the
//! framework's `MixIn` trait (as a Python program can write its own mix-in).
//!
//! The framework's `ThreadingMixIn` starts a thread for every connection and
//! lets it end with the connection, like Python's. Starting a thread is
//! `mmap` for its stack, `clone3`, and page-table work on every CPU; with one
//! short request per connection (`Connection: close`), `perf` shows that
//! start-up as the largest cost. This mix-in still gives every connection
//! its own thread, but a thread that finishes waits a few seconds for the
//! next connection instead of exiting (the shape of tiny_http's task pool).

use std::collections::VecDeque;
use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use framework::{Job, MixIn};
use parking_lot::{Condvar, Mutex};

/// How long an idle thread waits for a connection before it exits.
const IDLE: Duration = Duration::from_secs(5);

/// One thread per connection, from a pool of reusable threads. Threads are
/// never waited for at close (like `daemon_threads`).
#[derive(Debug, Default)]
pub struct ReusedThreads {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    work: Condvar,
}

#[derive(Default)]
struct State {
    /// Connections waiting for a thread.
    jobs: VecDeque<Job>,
    /// Threads waiting for a connection.
    idle: usize,
    /// The server is closing: idle threads exit.
    closing: bool,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "State {{ jobs: {}, idle: {} }}",
            self.jobs.len(),
            self.idle
        )
    }
}

impl MixIn for ReusedThreads {
    fn process_request(&self, job: Job, _close_in_child: &[RawFd]) -> io::Result<()> {
        let mut state = self.shared.state.lock();
        // Is there an idle thread not yet promised to a queued connection?
        let spare = state.idle > state.jobs.len();
        state.jobs.push_back(job);
        if spare {
            self.shared.work.notify_one();
            return Ok(());
        }
        drop(state);
        let shared = Arc::clone(&self.shared);
        let spawned = thread::Builder::new()
            .name("request".into())
            .spawn(move || worker(&shared));
        if let Err(err) = spawned {
            // No thread: drop the job we queued (which closes its connection).
            self.shared.state.lock().jobs.pop_back();
            return Err(err);
        }
        Ok(())
    }

    fn server_close(&self) {
        self.shared.state.lock().closing = true;
        self.shared.work.notify_all();
    }
}

/// A pool thread: run queued connections; exit after `IDLE` without work.
fn worker(shared: &Shared) {
    let mut state = shared.state.lock();
    loop {
        if let Some(job) = state.jobs.pop_front() {
            drop(state);
            job();
            state = shared.state.lock();
            continue;
        }
        if state.closing {
            return;
        }
        state.idle += 1;
        let timed_out = shared.work.wait_for(&mut state, IDLE).timed_out();
        state.idle -= 1;
        if timed_out && state.jobs.is_empty() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    #[test]
    fn runs_every_job_and_reuses_threads() {
        let pool = ReusedThreads::default();
        let (tx, rx) = mpsc::channel();
        let names = Arc::new(Mutex::new(std::collections::HashSet::new()));
        for _ in 0..20 {
            let tx = tx.clone();
            let names = Arc::clone(&names);
            pool.process_request(
                Box::new(move || {
                    names.lock().insert(thread::current().id());
                    tx.send(()).unwrap();
                    true
                }),
                &[],
            )
            .unwrap();
            // One at a time: each job finds the previous job's thread idle.
            rx.recv_timeout(Duration::from_secs(5)).unwrap();
            while pool.shared.state.lock().idle == 0 {
                thread::yield_now();
            }
        }
        assert_eq!(names.lock().len(), 1, "one thread served all 20 in turn");
        pool.server_close();
    }

    #[test]
    fn concurrent_jobs_get_their_own_threads() {
        let pool = ReusedThreads::default();
        let running = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        let barrier = Arc::new(std::sync::Barrier::new(4));
        for _ in 0..4 {
            let (running, tx, barrier) = (Arc::clone(&running), tx.clone(), Arc::clone(&barrier));
            pool.process_request(
                Box::new(move || {
                    running.fetch_add(1, Ordering::SeqCst);
                    // All four must run at once to pass the barrier.
                    barrier.wait();
                    tx.send(()).unwrap();
                    true
                }),
                &[],
            )
            .unwrap();
        }
        for _ in 0..4 {
            rx.recv_timeout(Duration::from_secs(5)).unwrap();
        }
        assert_eq!(running.load(Ordering::SeqCst), 4);
        pool.server_close();
    }
}
