//! Lesson 12: process pools (进程池) and inter-process communication
//! (进程间通信, IPC): pipe, queue, shared memory, a small pool, and the
//! course's comparison table.
//!
//! Everything runs in `ipc-demo`, a single-threaded program started for
//! the purpose, which forks the processes (see `l12_pools_and_ipc/demo.rs`).

pub mod demo;
pub mod queue;

use std::time::Duration;

use examples::lesson_kit::{Program, heading, read_next, say};

use crate::LessonResult;
use crate::common_b::{finish_demo, pad};

/// Runs the lesson.
pub fn run() -> LessonResult {
    say("Processes do not share memory: to cooperate they need IPC, a channel the");
    say("kernel provides. Each section forks real processes.");
    let sections = [
        ("pipe", "Pipe (管道)"),
        ("queue", "Message queue (消息队列) over a pipe"),
        ("shared-memory", "Shared memory (共享内存): mmap MAP_SHARED"),
        ("pool", "A process pool (进程池)"),
    ];
    for (section, title) in sections {
        heading(title);
        let mut demo = Program::start("ipc-demo", "ipc-demo", &[section])?;
        let what = format!("the {section} demo");
        finish_demo(&mut demo, &what, Duration::from_secs(10))?;
    }
    comparison_table();
    read_next(
        "notes/12-pools-and-ipc.md",
        &[
            "examples/src/bin/lesson/l12_pools_and_ipc/demo.rs (the four demos)",
            "examples/src/bin/lesson/l12_pools_and_ipc/queue.rs (a queue from one pipe)",
        ],
    );
    Ok(())
}

/// The course's table (开辟空间 / 读写方式 / 效率 / 应用), with the Unix calls.
fn comparison_table() {
    heading("The course's comparison of IPC methods");
    let rows = [
        ["", "pipe 管道", "queue 消息队列", "shared memory 共享内存"],
        [
            "space 开辟空间",
            "kernel memory",
            "kernel memory",
            "memory mapped into both",
        ],
        [
            "read/write 读写方式",
            "both ends r/w (duplex)",
            "first in, first out",
            "overwrite in place",
        ],
        [
            "speed 效率",
            "ordinary (copies)",
            "ordinary (copies)",
            "fastest (no copy)",
        ],
        [
            "use 应用",
            "two ends talking",
            "widely used, many producers",
            "complex: needs locking 同步互斥",
        ],
        [
            "here",
            "pipe(2), socketpair(2)",
            "pipe + atomic records",
            "mmap(MAP_SHARED)",
        ],
    ];
    for row in rows {
        println!(
            "  {}| {}| {}| {}",
            pad(row[0], 22),
            pad(row[1], 24),
            pad(row[2], 29),
            row[3]
        );
    }
    say("Also IPC: signals (信号, lesson 13), semaphores (信号量, lesson 14), sockets");
    say("(套接字: lessons 02-10, the only one that also crosses machines).");
}
