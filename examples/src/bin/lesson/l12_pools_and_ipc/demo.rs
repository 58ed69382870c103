//! `ipc-demo SECTION`: the process communication demos of lesson 12.
//!
//! Sections: `pipe`, `queue`, `shared-memory`, `pool`. Each forks real
//! processes (this program is single-threaded when it forks).

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::num::NonZeroUsize;
use std::os::unix::net::UnixStream;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
use nix::sys::wait::waitpid;

use super::queue::PipeQueue;
use crate::common_b::{fork_child, run_section, tell};

type Result = std::result::Result<(), String>;

/// The program: runs one section, then prints `section done`.
pub fn main(args: Vec<OsString>) -> ExitCode {
    run_section(
        "ipc-demo",
        &args,
        &[
            ("pipe", pipe),
            ("queue", queue),
            ("shared-memory", shared_memory),
            ("pool", pool),
        ],
    )
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A one-way pipe (管道), then a two-way one (Python's `Pipe(duplex=True)`).
fn pipe() -> Result {
    let (read_end, write_end) = nix::unistd::pipe().map_err(err)?;
    // `move`: the parent's copy of the write end goes with the closure and
    // is closed when fork_child returns; only the child keeps one.
    let child = fork_child(move || {
        let text = format!("hello parent, this is pid {}\n", std::process::id());
        let _ = nix::unistd::write(&write_end, text.as_bytes());
        tell("child ", "wrote one line into the pipe and exit");
        0
    });
    let mut received = String::new();
    // read_to_string returns at end of file: when every write end is closed.
    std::fs::File::from(read_end)
        .read_to_string(&mut received)
        .map_err(err)?;
    tell(
        "parent",
        &format!(
            "read from the pipe: {:?}, then end of file",
            received.trim_end()
        ),
    );
    waitpid(child, None).map_err(err)?;

    tell(
        "parent",
        "a duplex pipe: socketpair(AF_UNIX), both ends read and write",
    );
    let (parent_end, child_end) = UnixStream::pair().map_err(err)?;
    let child = fork_child(move || {
        let mut reader = BufReader::new(&child_end);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        tell(
            "child ",
            &format!("got {:?}, answering \"pong\"", line.trim_end()),
        );
        let _ = (&child_end).write_all(b"pong\n");
        0
    });
    (&parent_end).write_all(b"ping\n").map_err(err)?;
    tell("parent", "sent \"ping\"");
    let mut line = String::new();
    BufReader::new(&parent_end)
        .read_line(&mut line)
        .map_err(err)?;
    tell("parent", &format!("got {:?}", line.trim_end()));
    waitpid(child, None).map_err(err)?;
    Ok(())
}

/// Three producer processes put messages on one queue; the parent takes them.
fn queue() -> Result {
    let mut queue = PipeQueue::new().map_err(err)?;
    let mut producers = Vec::new();
    for name in ["producer 1", "producer 2", "producer 3"] {
        let queue = &mut queue;
        producers.push(fork_child(move || {
            queue.close_receiver();
            for item in 1..=3 {
                let text = format!("{name} (pid {}) item {item}", std::process::id());
                if queue.put(&text).is_err() {
                    return 1;
                }
            }
            tell("child ", &format!("{name} put 3 messages"));
            0
        }));
    }
    // The parent only takes: close its sending end, or the queue never ends.
    queue.close_sender();
    let mut count = 0;
    while let Some(message) = queue.get().map_err(err)? {
        count += 1;
        tell("parent", &format!("queue.get() -> {message:?}"));
    }
    tell(
        "parent",
        &format!("queue.get() -> end: all {count} messages arrived whole, in FIFO order"),
    );
    for pid in producers {
        waitpid(pid, None).map_err(err)?;
    }
    Ok(())
}

/// Memory mapped MAP_SHARED before fork: parent and children see the same bytes.
fn shared_memory() -> Result {
    const CHILDREN: usize = 4;
    const ADDS: u64 = 100_000;
    let len = NonZeroUsize::new(4096).expect("not zero");
    // SAFETY: a fresh anonymous mapping: no existing memory is affected.
    let mapping = unsafe {
        mmap_anonymous(
            None,
            len,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_SHARED,
        )
    }
    .map_err(err)?;
    // SAFETY: the mapping is page-aligned and zero-filled (a valid
    // [AtomicU64; 16], 128 of its 4096 bytes), and it outlives every use:
    // munmap runs below after all children have exited.
    let shared: &[AtomicU64; 16] = unsafe { &*mapping.as_ptr().cast::<[AtomicU64; 16]>() };
    let (counter, racy, slots) = (&shared[0], &shared[1], &shared[2..2 + CHILDREN]);
    let mut private = 0u64;
    tell(
        "parent",
        &format!("mapped 4096 bytes MAP_SHARED; {CHILDREN} children will each add {ADDS}"),
    );
    let mut children = Vec::new();
    for (index, slot) in slots.iter().enumerate() {
        let private = &mut private;
        children.push(fork_child(move || {
            slot.store(u64::from(std::process::id()), Ordering::SeqCst);
            for _ in 0..ADDS {
                counter.fetch_add(1, Ordering::SeqCst);
                // Read, then write: two steps another process can come between.
                racy.store(racy.load(Ordering::SeqCst) + 1, Ordering::SeqCst);
                *private += 1;
            }
            tell("child ", &format!("child {index} done"));
            0
        }));
    }
    for pid in children {
        waitpid(pid, None).map_err(err)?;
    }
    let pids: Vec<u64> = slots.iter().map(|s| s.load(Ordering::SeqCst)).collect();
    let total = CHILDREN as u64 * ADDS;
    tell(
        "parent",
        &format!("Array-like slots written by the children: {pids:?}"),
    );
    tell(
        "parent",
        &format!(
            "shared counter (atomic add) = {} of {total}",
            counter.load(Ordering::SeqCst)
        ),
    );
    let racy = racy.load(Ordering::SeqCst);
    tell(
        "parent",
        &format!(
            "shared counter (load, then store) = {racy} of {total}: {} updates lost to the race",
            total - racy
        ),
    );
    tell(
        "parent",
        &format!("ordinary variable = {private}: each child changed its own copy"),
    );
    // SAFETY: every child has exited and `shared` is not used after this.
    unsafe { munmap(mapping, len.get()) }.map_err(err)?;
    Ok(())
}

/// A process pool (进程池): 3 workers take 8 tasks from a queue.
fn pool() -> Result {
    const WORKERS: usize = 3;
    let mut tasks = PipeQueue::new().map_err(err)?;
    let mut results = PipeQueue::new().map_err(err)?;
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let (tasks, results) = (&mut tasks, &mut results);
        workers.push(fork_child(move || {
            // A worker only takes tasks and only gives results: close the
            // other ends, or the queues never reach their end.
            tasks.close_sender();
            results.close_receiver();
            let me = std::process::id();
            while let Ok(Some(task)) = tasks.get() {
                let n: u64 = task.parse().unwrap_or(0);
                std::thread::sleep(Duration::from_millis(30)); // the "work"
                let _ = results.put(&format!("{n} {} {me}", n * n));
            }
            0
        }));
    }
    tasks.close_receiver();
    results.close_sender();
    let pids: Vec<String> = workers.iter().map(ToString::to_string).collect();
    tell(
        "parent",
        &format!(
            "pool of {WORKERS} worker processes ({}); submitting tasks 1..=8",
            pids.join(", ")
        ),
    );
    for n in 1..=8 {
        tasks.put(&n.to_string()).map_err(err)?;
    }
    // Like pool.close(): no more tasks. Workers leave when the queue ends.
    tasks.close_sender();
    let mut answers = Vec::new();
    while let Some(line) = results.get().map_err(err)? {
        let parts: Vec<u64> = line.split(' ').filter_map(|p| p.parse().ok()).collect();
        if let [n, square, worker] = parts[..] {
            tell(
                "parent",
                &format!("worker {worker}: square({n}) = {square}"),
            );
            answers.push((n, square));
        }
    }
    // Like pool.join(): reap every worker.
    for pid in workers {
        waitpid(pid, None).map_err(err)?;
    }
    answers.sort();
    let squares: Vec<u64> = answers.iter().map(|&(_, s)| s).collect();
    tell(
        "parent",
        &format!("pool.map(square, 1..=8) = {squares:?}; all workers reaped"),
    );
    Ok(())
}
