//! Exercise 17: a process pool (进程池).   (lesson 12)
//!
//! Python's `multiprocessing.Pool(3)` starts three worker processes once,
//! hands them jobs, collects the results, and `close()` + `join()` end them.
//! Here `Pool::new` (given) forks the workers: each has its own pipe for
//! jobs, and all write their results into ONE shared pipe (a write of fewer
//! than PIPE_BUF bytes is never mixed with another's). Write:
//!
//! - `map(jobs)`: give job `i` to worker `i % workers` (round robin), then
//!   read one result per job and return them IN THE ORDER OF THE JOBS, each
//!   with the pid of the worker that computed it;
//! - `close()`: tell the workers there is no more work (close their job
//!   pipes: they read end-of-file and exit), then wait for each (`waitpid`),
//!   so that none is left a zombie (僵尸进程).
//!
//! Check it with `cargo exercise 17`; stuck? `cargo hint 17`. The check runs
//! a pool in a process of its own and looks at its children in /proc.

// Until map() and close() are written, parts of the given code are unused.
#![allow(dead_code)]

use std::fs::File;
use std::io::{self, Read, Write};

use nix::unistd::{ForkResult, Pid, fork, pipe};

/// What a worker does with one job.
pub fn work(job: u64) -> u64 {
    job * job
}

/// One worker process, as the parent sees it.
struct Worker {
    pid: Pid,
    /// The write end of this worker's job pipe.
    jobs: File,
}

/// A pool of worker processes.
pub struct Pool {
    workers: Vec<Worker>,
    /// The read end of the pipe all workers write their results into.
    results: File,
}

/// A result as it travels in the shared pipe: job index, result, worker pid.
struct Done {
    index: u64,
    result: u64,
    pid: u32,
}

impl Pool {
    /// Forks `size` workers. (Given.)
    pub fn new(size: usize) -> io::Result<Pool> {
        let (results_read, results_write) = pipe()?;
        let (results, results_write) = (File::from(results_read), File::from(results_write));
        let mut workers: Vec<Worker> = Vec::new();
        for _ in 0..size {
            let (jobs_read, jobs_write) = pipe()?;
            // SAFETY: the pool's process has one thread when it forks.
            match unsafe { fork() }? {
                ForkResult::Child => {
                    // The other workers' job pipes must not stay open here,
                    // or they would never read end-of-file.
                    drop(workers);
                    drop(results);
                    drop(jobs_write);
                    let code = match worker_loop(File::from(jobs_read), results_write) {
                        Ok(()) => 0,
                        Err(_) => 1,
                    };
                    // SAFETY: ends the child at once, without the parent's clean-up.
                    unsafe { libc::_exit(code) }
                }
                ForkResult::Parent { child } => workers.push(Worker {
                    pid: child,
                    jobs: File::from(jobs_write),
                }),
            }
        }
        Ok(Pool { workers, results })
    }

    /// The pids of the workers.
    pub fn pids(&self) -> Vec<u32> {
        self.workers.iter().map(|w| w.pid.as_raw() as u32).collect()
    }

    /// Computes `work(job)` for every job in the workers; returns the
    /// results in the order of `jobs`, each with the pid that computed it.
    pub fn map(&mut self, jobs: &[u64]) -> io::Result<Vec<(u64, u32)>> {
        // TODO: send job i to worker i % n with send_job(&mut worker.jobs,
        // i, job); then read jobs.len() results with read_done(&mut
        // self.results) and put each at its index. This version computes
        // everything here, in the parent: no worker ever works.
        Ok(jobs
            .iter()
            .map(|&job| (work(job), std::process::id()))
            .collect())
    }

    /// Ends the workers and waits for each (Pool.close + Pool.join).
    pub fn close(self) -> io::Result<()> {
        // TODO: close every job pipe (dropping a File closes it), then
        // nix::sys::wait::waitpid(worker.pid, None) for every worker.
        Ok(())
    }
}

/// A worker: reads jobs until end-of-file, writes each result. (Given.)
fn worker_loop(mut jobs: File, mut results: File) -> io::Result<()> {
    let mut message = [0u8; 16];
    loop {
        match jobs.read_exact(&mut message) {
            Ok(()) => {}
            // End-of-file: the pool closed this pipe, no more work.
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(err) => return Err(err),
        }
        let index = u64::from_le_bytes(message[..8].try_into().expect("8 bytes"));
        let job = u64::from_le_bytes(message[8..].try_into().expect("8 bytes"));
        let mut done = [0u8; 20];
        done[..8].copy_from_slice(&index.to_le_bytes());
        done[8..16].copy_from_slice(&work(job).to_le_bytes());
        done[16..].copy_from_slice(&std::process::id().to_le_bytes());
        // One write of 20 bytes: atomic in a pipe, never mixed with another worker's.
        results.write_all(&done)?;
    }
}

/// Sends job number `index` to a worker. (Given.)
fn send_job(jobs: &mut File, index: usize, job: u64) -> io::Result<()> {
    let mut message = [0u8; 16];
    message[..8].copy_from_slice(&(index as u64).to_le_bytes());
    message[8..].copy_from_slice(&job.to_le_bytes());
    jobs.write_all(&message)
}

/// Reads the next result from the shared pipe. (Given.)
fn read_done(results: &mut File) -> io::Result<Done> {
    let mut done = [0u8; 20];
    results.read_exact(&mut done)?;
    Ok(Done {
        index: u64::from_le_bytes(done[..8].try_into().expect("8 bytes")),
        result: u64::from_le_bytes(done[8..16].try_into().expect("8 bytes")),
        pid: u32::from_le_bytes(done[16..].try_into().expect("4 bytes")),
    })
}
