//! Exercise 17, a reference solution: a process pool with round-robin
//! jobs, results put back in order, and a close that reaps every worker.

use std::fs::File;
use std::io::{self, Read, Write};

use nix::sys::wait::waitpid;
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
        if self.workers.is_empty() {
            return Err(io::Error::other("a pool with no workers"));
        }
        // All jobs first: 16 bytes each, far below a pipe's 64 KiB for the
        // sizes used here (a huge map would send and read in turns).
        let n = self.workers.len();
        for (i, &job) in jobs.iter().enumerate() {
            send_job(&mut self.workers[i % n].jobs, i, job)?;
        }
        let mut results = vec![None; jobs.len()];
        for _ in jobs {
            let done = read_done(&mut self.results)?;
            let slot = results
                .get_mut(done.index as usize)
                .ok_or_else(|| io::Error::other("a result for a job never sent"))?;
            *slot = Some((done.result, done.pid));
        }
        // Every index came once: jobs.len() results for jobs.len() slots.
        results
            .into_iter()
            .map(|r| r.ok_or_else(|| io::Error::other("a job got two results")))
            .collect()
    }

    /// Ends the workers and waits for each (Pool.close + Pool.join).
    pub fn close(self) -> io::Result<()> {
        let pids: Vec<Pid> = self.workers.iter().map(|w| w.pid).collect();
        // Closing the job pipes is "no more work": each worker reads EOF.
        drop(self.workers);
        for pid in pids {
            waitpid(pid, None)?;
        }
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
