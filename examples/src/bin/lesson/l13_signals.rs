//! Lesson 13: signals (信号) — kill, alarm, handlers, SIGCHLD, and the
//! course's exercise of the driver and the conductor (司机和售票员).
//!
//! The demos run in `signal-demo`, a single-threaded program started for
//! the purpose (see `l13_signals/demo.rs`); the lesson plays the keyboard.

pub mod demo;
pub mod selfpipe;

use std::time::Duration;

use examples::lesson_kit::{Program, heading, read_next, say};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::LessonResult;
use crate::common_b::{expect_line, finish_demo};

const WAIT: Duration = Duration::from_secs(10);

/// Runs the lesson.
pub fn run() -> LessonResult {
    say("A signal is a small asynchronous message from the kernel or another process:");
    say("just a number. The receiver runs its default action, ignores it, or runs a");
    say("handler. Signals are the only asynchronous IPC (信号是唯一的异步通信方式).");
    for (section, title) in [
        ("kill", "kill(): handler, default action, SIG_IGN, SIGKILL"),
        ("alarm", "alarm(): a clock that sends SIGALRM"),
        ("sigchld", "SIGCHLD: reaping children as they exit"),
    ] {
        heading(title);
        let mut demo = Program::start("signal-demo", "signal-demo", &[section])?;
        finish_demo(&mut demo, &format!("the {section} demo"), WAIT)?;
    }
    bus()?;
    read_next(
        "notes/13-signals.md",
        &[
            "examples/src/bin/lesson/l13_signals/demo.rs (every demo, the bus)",
            "examples/src/bin/lesson/l13_signals/selfpipe.rs (async-signal-safe handlers)",
        ],
    );
    Ok(())
}

/// The driver and the conductor, with the lesson at the keyboard.
fn bus() -> LessonResult {
    heading("司机和售票员: the driver and the conductor");
    say("The driver is the parent process, the conductor its child. Both are in one");
    say("process group, like a program at a terminal: the keys reach both of them.");
    let mut bus = Program::start("bus", "signal-demo", &["bus"])?;
    // The driver says "ready" after the conductor has.
    expect_line(bus.wait_for("ready: I handle SIGUSR1", WAIT), "the driver")?;
    let group = Pid::from_raw(bus.pid() as i32);
    for (keys, signal, expect) in [
        ("Ctrl+C", Signal::SIGINT, "老司机开车了"),
        ("Ctrl+\\", Signal::SIGQUIT, "系好安全带"),
        ("Ctrl+Z", Signal::SIGTSTP, "到站了请下车"),
    ] {
        say(&format!(
            "presses {keys}: {} to the whole process group",
            signal.as_str()
        ));
        killpg(group, signal)?;
        expect_line(bus.wait_for(expect, WAIT), expect)?;
    }
    finish_demo(&mut bus, "the bus demo (the driver getting off)", WAIT)?;
    Ok(())
}
