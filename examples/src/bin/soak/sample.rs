//! Looking at the server every second while it is soaked: memory,
//! descriptors, threads, children, and zombies.
//!
//! A forking server reaps its finished children on every pass of its loop
//! (at least every 500 ms, Python's `poll_interval`), so a zombie may be
//! seen for an instant. A zombie seen in two samples a second apart has
//! outlived a reap: that is a failure, however few there are.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use examples::proc_info;

/// The server at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Seconds since the load began.
    pub secs: f64,
    /// Resident memory of the server process, KiB (its children not counted).
    pub rss_kib: u64,
    /// Its open descriptors.
    pub fds: usize,
    /// Its threads.
    pub threads: u64,
    /// Its children, zombies included.
    pub children: usize,
    /// Of those, the zombies.
    pub zombies: usize,
}

/// The samples of one run and what the zombies did.
pub struct Sampler {
    pid: u32,
    begin: Instant,
    /// Every sample, in order.
    pub samples: Vec<Sample>,
    /// Zombies (pid, start time) of the last sample.
    last_zombies: HashSet<(u32, u64)>,
    /// Zombies seen in two samples in a row: they outlived a reap.
    pub outlived: HashSet<(u32, u64)>,
}

impl Sampler {
    /// Starts watching `pid`; times count from now.
    pub fn new(pid: u32) -> Sampler {
        Sampler {
            pid,
            begin: Instant::now(),
            samples: Vec::new(),
            last_zombies: HashSet::new(),
            outlived: HashSet::new(),
        }
    }

    /// Time since the sampler began.
    pub fn elapsed(&self) -> Duration {
        self.begin.elapsed()
    }

    /// Looks at the server now and keeps the sample.
    pub fn take(&mut self) -> Sample {
        let children = proc_info::children_of(self.pid);
        let zombies: HashSet<(u32, u64)> = children
            .iter()
            .filter_map(|&child| match proc_info::state_of(child)? {
                ('Z', start) => Some((child, start)),
                _ => None,
            })
            .collect();
        // A zombie has to be seen a second time at least ~1 s later to
        // count: samples taken closer (the last ones) only say "still there".
        let apart = self
            .samples
            .last()
            .is_none_or(|last| self.begin.elapsed().as_secs_f64() - last.secs >= 0.9);
        if apart {
            self.outlived
                .extend(zombies.intersection(&self.last_zombies).copied());
            self.last_zombies = zombies.clone();
        }
        let sample = Sample {
            secs: self.begin.elapsed().as_secs_f64(),
            rss_kib: proc_info::status_field(self.pid, "VmRSS"),
            fds: proc_info::fd_count(self.pid),
            threads: proc_info::status_field(self.pid, "Threads"),
            children: children.len(),
            zombies: zombies.len(),
        };
        self.samples.push(sample);
        sample
    }

    /// The first sample taken at or after `secs`.
    pub fn at(&self, secs: f64) -> Option<Sample> {
        self.samples.iter().find(|s| s.secs >= secs).copied()
    }

    /// The most zombies seen at once.
    pub fn max_zombies(&self) -> usize {
        self.samples.iter().map(|s| s.zombies).max().unwrap_or(0)
    }
}

/// How much `to` is above `from`, in percent (negative: below).
pub fn growth(from: u64, to: u64) -> f64 {
    if from == 0 {
        return 0.0;
    }
    (to as f64 - from as f64) * 100.0 / from as f64
}
