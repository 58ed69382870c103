//! Exercise 09, a reference solution: a bounded thread pool as a mix-in.

use std::io;
use std::os::fd::RawFd;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use framework::{Job, MixIn};

/// Runs requests on a fixed set of worker threads.
pub struct BoundedPool {
    /// Where jobs go; `None` once the pool is closed.
    sender: Mutex<Option<SyncSender<Job>>>,
    /// The workers, joined by `server_close`.
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl BoundedPool {
    /// Starts `workers` threads; at most `queue` jobs wait for a free one.
    pub fn new(workers: usize, queue: usize) -> BoundedPool {
        let (sender, receiver) = sync_channel::<Job>(queue);
        // One receiver, shared: whichever worker is free takes the next job.
        let receiver = Arc::new(Mutex::new(receiver));
        let workers = (0..workers.max(1))
            .map(|i| {
                let receiver = Arc::clone(&receiver);
                thread::Builder::new()
                    .name(format!("pool-{i}"))
                    .spawn(move || work(&receiver))
                    .expect("a worker thread starts")
            })
            .collect();
        BoundedPool {
            sender: Mutex::new(Some(sender)),
            workers: Mutex::new(workers),
        }
    }
}

/// A worker's life: take a job, run it, until the channel is closed.
fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only while taking a job, not while running it.
        let next = receiver.lock().unwrap_or_else(|e| e.into_inner()).recv();
        match next {
            // The job catches a panicking handler itself, so the worker lives on.
            Ok(job) => {
                job();
            }
            // Every sender is gone: the pool is closing.
            Err(_) => return,
        }
    }
}

impl MixIn for BoundedPool {
    fn process_request(&self, job: Job, _close_in_child: &[RawFd]) -> io::Result<()> {
        // Clone the sender out of the lock: send() may block (queue full),
        // and it must not block server_close while it waits.
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(sender) = sender else {
            return Err(io::Error::other("the pool is closed"));
        };
        // Blocks while `queue` jobs are already waiting: back-pressure.
        sender
            .send(job)
            .map_err(|_| io::Error::other("the pool's workers are gone"))
    }

    fn server_close(&self) {
        // Dropping the last sender ends each worker's recv() once the jobs
        // already queued are done; then wait for them.
        drop(self.sender.lock().unwrap_or_else(|e| e.into_inner()).take());
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
        for worker in workers {
            let _ = worker.join();
        }
    }
}
