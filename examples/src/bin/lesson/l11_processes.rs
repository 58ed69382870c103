//! Lesson 11: processes (进程) — fork, getpid/getppid, an orphan (孤儿进程),
//! a zombie (僵尸进程) in the process table and then reaped, wait/waitpid,
//! priority (nice), and the double fork (二级子进程).
//!
//! The forking happens in `process-demo`, a fresh single-threaded program
//! started for the purpose (see `l11_processes/demo.rs`): the lesson itself
//! has threads (output forwarding, Ctrl+C), and fork in a threaded process
//! is only safe until `exec`.

pub mod demo;

use std::time::Duration;

use examples::lesson_kit::{Program, heading, read_next, say};

use crate::LessonResult;
use crate::common_b::finish_demo;

/// Runs the lesson.
pub fn run() -> LessonResult {
    say(&format!(
        "The lesson runs as pid {}; every demo below is its child.",
        std::process::id()
    ));
    let sections = [
        (
            "fork",
            "fork(): one call, two returns",
            "The child gets a copy of the parent's memory; changes stay on their own side.",
        ),
        (
            "zombie",
            "A zombie (僵尸进程) in the process table, then reaped",
            "A child that has exited but was not waited for keeps its entry: state Z.",
        ),
        (
            "wait",
            "wait() and waitpid(): collecting exit statuses",
            "wait takes whichever child ends first; waitpid(pid, WNOHANG) does not block.",
        ),
        (
            "nice",
            "Priority (优先级): nice",
            "A process may lower its own priority (nice 1..19); ps shows it in NI and as STAT N.",
        ),
        (
            "orphan",
            "An orphan (孤儿进程) is adopted",
            "When a parent exits first, its child gets a new parent: init or a subreaper.",
        ),
        (
            "double-fork",
            "The double fork (二级子进程): no zombie, no waiting",
            "The child forks a grandchild and exits at once; the parent reaps it immediately.",
        ),
    ];
    for (section, title, idea) in sections {
        heading(title);
        say(idea);
        let mut demo = Program::start("process-demo", "process-demo", &[section])?;
        let what = format!("the {section} demo");
        finish_demo(&mut demo, &what, Duration::from_secs(10))?;
    }
    heading("What to remember");
    say("Every exited child stays a zombie until its parent waits for it (or the parent");
    say("ignores SIGCHLD, lesson 13). Servers that fork must reap: the framework's");
    say("ForkingMixIn calls waitpid(pid, WNOHANG) for its children on every loop turn.");
    read_next(
        "notes/11-processes.md",
        &[
            "examples/src/bin/lesson/l11_processes/demo.rs (every demo above)",
            "examples/src/bin/lesson/common_b.rs (fork_child, proc_state, proc_nice)",
            "framework/src/mixin/forking.rs (reaping in a real server)",
        ],
    );
    Ok(())
}
