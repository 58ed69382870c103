//! Exercise 09: a mix-in of your own, a bounded thread pool.   (lesson 20)
//!
//! ThreadingMixIn starts a new thread for every request: a thousand clients,
//! a thousand threads. A pool starts `workers` threads once and hands them
//! the requests through a queue of at most `queue` waiting jobs; when the
//! queue is full, `process_request` waits, so the server stops accepting and
//! new clients wait in the kernel's listen backlog instead of in memory.
//!
//! The framework calls your mix-in exactly as it calls its own (read
//! framework/src/mixin/threading.rs and notes/20-own-handler.md):
//!
//! - `process_request(job, close_in_child)`: run `job` (the whole request:
//!   handler, error report, close) somehow. Here: hand it to a worker.
//! - `server_close()`: the server is closing. Here: let the workers finish
//!   the jobs they have, then end them and join them.
//!
//! The check runs `Server::from_transport(tcp, BoundedPool::new(2, 8), ...)`
//! and verifies that no more than 2 requests ever run at once, that only 2
//! threads ever run handlers, and that closing the server waits for them.
//!
//! Check it with `cargo exercise 09`; stuck? `cargo hint 09`.

use std::io;
use std::os::fd::RawFd;
use std::thread;

use framework::{Job, MixIn};

/// Runs requests on a fixed set of worker threads.
pub struct BoundedPool {
    // TODO: what the pool needs: the sending end of a bounded channel of
    // jobs, and the workers' JoinHandles.
}

impl BoundedPool {
    /// Starts `workers` threads; at most `queue` jobs wait for a free one.
    pub fn new(workers: usize, queue: usize) -> BoundedPool {
        // TODO: start the workers here.
        let _ = (workers, queue);
        BoundedPool {}
    }
}

impl MixIn for BoundedPool {
    fn process_request(&self, job: Job, _close_in_child: &[RawFd]) -> io::Result<()> {
        // TODO: this starts one more thread per request, without limit (what
        // ThreadingMixIn does). Send the job to the workers instead.
        thread::spawn(job);
        Ok(())
    }

    fn server_close(&self) {
        // TODO: close the queue and wait for the workers to finish.
    }
}
