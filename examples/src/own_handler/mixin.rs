//! A mix-in of your own: `TracingMixIn` wraps any concurrency model and
//! prints where each request goes. It is the whole `MixIn` trait in a few
//! lines: `process_request` gets the request packed as a `Job` (handler,
//! error report, close, all in one closure) and must run it somewhere.

use std::io;
use std::os::fd::RawFd;

use parking_lot::Mutex;

use framework::{ForkingMixIn, Job, MixIn, Sequential, ThreadPoolMixIn, ThreadingMixIn};

use super::where_am_i::{trace, where_am_i};

/// A concurrency model's name and what it is keeping track of.
pub trait ModelName {
    /// The Python-style name.
    fn name(&self) -> &'static str;
    /// What it holds right now (threads, children).
    fn state(&self) -> String;
}

impl ModelName for Sequential {
    fn name(&self) -> &'static str {
        "sequential"
    }
    fn state(&self) -> String {
        "nothing running: each request ends before the next is accepted".into()
    }
}

impl ModelName for ThreadingMixIn {
    fn name(&self) -> &'static str {
        "ThreadingMixIn"
    }
    fn state(&self) -> String {
        format!("{} handler thread(s) running", self.active_threads())
    }
}

impl ModelName for ForkingMixIn {
    fn name(&self) -> &'static str {
        "ForkingMixIn"
    }
    fn state(&self) -> String {
        format!(
            "{} child process(es) not yet reaped",
            self.active_children()
        )
    }
}

impl ModelName for ThreadPoolMixIn {
    fn name(&self) -> &'static str {
        "ThreadPoolMixIn"
    }
    fn state(&self) -> String {
        format!(
            "{} of {} worker(s) busy, {} request(s) waiting",
            self.busy_workers(),
            self.workers,
            self.queued()
        )
    }
}

/// Wraps the mix-in `M`: same behaviour, with a trace of each step.
pub struct TracingMixIn<M> {
    inner: M,
    /// The state last printed by service_actions, which runs on every pass
    /// of the loop (every 0.5 s when idle): only changes are printed.
    last_state: Mutex<String>,
}

impl<M: ModelName> TracingMixIn<M> {
    /// Wraps `inner`.
    pub fn new(inner: M) -> TracingMixIn<M> {
        let last_state = Mutex::new(inner.state());
        TracingMixIn { inner, last_state }
    }

    /// The wrapped mix-in.
    pub fn inner(&self) -> &M {
        &self.inner
    }
}

impl<M: MixIn + ModelName> MixIn for TracingMixIn<M> {
    fn process_request(&self, job: Job, close_in_child: &[RawFd]) -> io::Result<()> {
        trace(
            2,
            &format!(
                "process_request: {} decides where the request runs ({})",
                self.inner.name(),
                where_am_i()
            ),
        );
        // The job we hand on is the real job with a line before and after:
        // wherever the inner mix-in runs it, the trace shows where that is.
        let traced: Job = Box::new(move || {
            trace(3, &format!("the job starts ({})", where_am_i()));
            let ok = job();
            trace(
                3,
                &format!(
                    "the job ended: handler {}, request closed ({})",
                    if ok { "succeeded" } else { "failed" },
                    where_am_i()
                ),
            );
            ok
        });
        let result = self.inner.process_request(traced, close_in_child);
        trace(
            2,
            &format!(
                "process_request returned to the loop ({}): {}",
                where_am_i(),
                self.inner.state()
            ),
        );
        *self.last_state.lock() = self.inner.state();
        result
    }

    fn service_actions(&self) {
        self.inner.service_actions();
        let state = self.inner.state();
        let mut last = self.last_state.lock();
        if *last != state {
            trace(1, &format!("service_actions, back in the loop: {state}"));
            *last = state;
        }
    }

    fn server_close(&self) {
        self.inner.server_close();
        trace(
            1,
            &format!("{}.server_close: {}", self.inner.name(), self.inner.state()),
        );
    }
}
