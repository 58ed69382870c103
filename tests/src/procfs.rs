//! Looking at a server process from outside through `/proc`: its children
//! (and which of them are zombies) and its open descriptors. Every check of
//! something that settles later waits for it with [`wait_until`].

use std::fs;
use std::thread;
use std::time::{Duration, Instant};

/// One process as `/proc/<pid>/stat` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessState {
    /// Its process id.
    pub pid: u32,
    /// Its parent's process id.
    pub ppid: u32,
    /// `R`, `S`, `Z` (zombie: exited, not yet reaped), ...
    pub state: char,
    /// Its session id.
    pub session: u32,
    /// Its command name (at most 15 bytes).
    pub comm: String,
}

impl ProcessState {
    /// Whether the process has exited and waits to be reaped.
    pub fn is_zombie(&self) -> bool {
        self.state == 'Z'
    }
}

/// Reads `/proc/<pid>/stat`; `None` once the process is gone (reaped).
pub fn process_state(pid: u32) -> Option<ProcessState> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid pgrp session ...": the command name may hold
    // spaces and parentheses, so the fields are counted after the last ')'.
    let close = text.rfind(')')?;
    let comm = text[text.find('(')? + 1..close].to_string();
    let mut fields = text[close + 1..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let session = fields.nth(1)?.parse().ok()?;
    Some(ProcessState {
        pid,
        ppid,
        state,
        session,
        comm,
    })
}

/// Every process on the machine, zombies included.
pub fn processes() -> Vec<ProcessState> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(process_state)
        .collect()
}

/// Every process whose parent is `parent` (zombies included).
pub fn children_of(parent: u32) -> Vec<ProcessState> {
    let mut all = processes();
    all.retain(|p| p.ppid == parent);
    all
}

/// How many descriptors process `pid` has open.
pub fn fd_count(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Polls `condition` every 10 ms until it holds or `deadline` passes;
/// returns whether it held.
pub fn wait_until(deadline: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}
