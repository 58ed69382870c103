//! `signal-demo SECTION`: the signal demos of lesson 13, with real processes.
//!
//! Sections: `kill`, `alarm`, `sigchld`, `bus` (the driver and the conductor).

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{
    SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal, kill, sigaction, sigprocmask,
};
use nix::sys::wait::{WaitPidFlag, WaitStatus, wait, waitpid};
use nix::unistd::{Pid, getppid};

use super::selfpipe::SelfPipe;
use crate::common_b::{fork_child, proc_state, run_section, tell, wait_until};

type Result = std::result::Result<(), String>;

/// How long any step may wait for a signal before the demo gives up.
const STEP: Duration = Duration::from_secs(5);

/// The program: runs one section, then prints `section done`.
pub fn main(args: Vec<OsString>) -> ExitCode {
    run_section(
        "signal-demo",
        &args,
        &[
            ("kill", kill_demo),
            ("alarm", alarm_demo),
            ("sigchld", sigchld_demo),
            ("bus", bus),
        ],
    )
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Sets what a signal does: the default action, ignore, or a handler.
fn set_disposition(signal: Signal, handler: SigHandler) -> Result {
    let action = SigAction::new(handler, SaFlags::SA_RESTART, SigSet::empty());
    // SAFETY: the only handlers used in this program are async-signal-safe
    // (an atomic store, or one write(2) in the self-pipe).
    unsafe { sigaction(signal, &action) }.map_err(err)?;
    Ok(())
}

/// A pipe on which a child says "ready" once its handlers are installed,
/// so the parent never signals a child that is not listening yet.
struct Ready {
    read: std::os::fd::OwnedFd,
    write: std::os::fd::OwnedFd,
}

impl Ready {
    fn new() -> std::result::Result<Ready, String> {
        let (read, write) = nix::unistd::pipe().map_err(err)?;
        Ok(Ready { read, write })
    }
    fn signal(&self) {
        let _ = nix::unistd::write(&self.write, b"r");
    }
    fn wait(&self) -> Result {
        let mut byte = [0u8; 1];
        match nix::unistd::read(&self.read, &mut byte) {
            Ok(1) => Ok(()),
            other => Err(format!("the child never got ready: {other:?}")),
        }
    }
}

/// kill(): a handler, the default action, SIG_IGN, and the uncatchable SIGKILL.
fn kill_demo() -> Result {
    println!("    signal   number  default action");
    for (signal, action) in [
        (Signal::SIGHUP, "terminate (terminal hung up)"),
        (Signal::SIGINT, "terminate (Ctrl+C)"),
        (Signal::SIGQUIT, "terminate + core (Ctrl+\\)"),
        (Signal::SIGKILL, "terminate, cannot be caught or ignored"),
        (Signal::SIGUSR1, "terminate (for your own use)"),
        (Signal::SIGUSR2, "terminate (for your own use)"),
        (Signal::SIGALRM, "terminate (the alarm clock)"),
        (Signal::SIGTERM, "terminate (polite request to stop)"),
        (Signal::SIGCHLD, "ignore (a child stopped or exited)"),
        (Signal::SIGSTOP, "stop, cannot be caught or ignored"),
        (Signal::SIGTSTP, "stop (Ctrl+Z)"),
    ] {
        println!("    {:<8} {:>6}  {action}", signal.as_str(), signal as i32);
    }

    // 1. A child with a handler for SIGUSR1 and SIGTERM.
    let ready = Ready::new()?;
    let ack = Ready::new()?;
    let child = fork_child(|| {
        let Ok(pipe) = SelfPipe::install(&[Signal::SIGUSR1, Signal::SIGTERM]) else {
            return 2;
        };
        tell("child ", "handlers installed for SIGUSR1 and SIGTERM");
        ready.signal();
        loop {
            match pipe.next(STEP) {
                Ok(Some(Signal::SIGUSR1)) => {
                    tell("child ", "caught SIGUSR1: my handler ran, and I go on");
                    ack.signal();
                }
                Ok(Some(Signal::SIGTERM)) => {
                    tell("child ", "caught SIGTERM: tidying up, then exit(0)");
                    return 0;
                }
                _ => return 1,
            }
        }
    });
    ready.wait()?;
    tell("parent", &format!("kill({child}, SIGUSR1)"));
    kill(child, Signal::SIGUSR1).map_err(err)?;
    ack.wait()?;
    tell("parent", &format!("kill({child}, SIGTERM)"));
    kill(child, Signal::SIGTERM).map_err(err)?;
    let status = waitpid(child, None).map_err(err)?;
    tell(
        "parent",
        &format!("waitpid -> {status:?}: it chose to exit"),
    );

    // 2. No handler: the default action of SIGUSR1 terminates.
    let ready = Ready::new()?;
    let child = fork_child(|| {
        ready.signal();
        std::thread::sleep(STEP);
        1
    });
    ready.wait()?;
    tell(
        "parent",
        &format!("kill({child}, SIGUSR1) to a child without a handler"),
    );
    kill(child, Signal::SIGUSR1).map_err(err)?;
    let status = waitpid(child, None).map_err(err)?;
    tell(
        "parent",
        &format!("waitpid -> {status:?}: the default action killed it"),
    );

    // 3. SIG_IGN: the signal is dropped.
    let ready = Ready::new()?;
    let child = fork_child(|| {
        let _ = set_disposition(Signal::SIGINT, SigHandler::SigIgn);
        ready.signal();
        std::thread::sleep(STEP);
        1
    });
    ready.wait()?;
    tell(
        "parent",
        &format!("kill({child}, SIGINT) to a child that ignores SIGINT, then SIGTERM"),
    );
    kill(child, Signal::SIGINT).map_err(err)?;
    kill(child, Signal::SIGTERM).map_err(err)?;
    let status = waitpid(child, None).map_err(err)?;
    tell(
        "parent",
        &format!("waitpid -> {status:?}: SIGINT was ignored, SIGTERM ended it"),
    );

    // 4. SIGKILL and SIGSTOP cannot be handled.
    let action = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
    // SAFETY: asks to ignore a signal; no handler code is involved.
    let result = unsafe { sigaction(Signal::SIGKILL, &action) };
    tell(
        "parent",
        &format!("sigaction(SIGKILL, SIG_IGN) -> {result:?}: SIGKILL cannot be caught or ignored"),
    );
    Ok(())
}

/// Set by the SIGALRM handler; an atomic store is async-signal-safe.
static ALARM_RANG: AtomicBool = AtomicBool::new(false);

extern "C" fn on_alarm(_: libc::c_int) {
    ALARM_RANG.store(true, Ordering::SeqCst);
}

/// alarm(): SIGALRM to ourselves after a delay; a second alarm replaces the first.
fn alarm_demo() -> Result {
    set_disposition(Signal::SIGALRM, SigHandler::Handler(on_alarm))?;
    // Block SIGALRM until we wait for it, so it cannot ring between the
    // check and the wait (the race that makes a bare pause() unsafe).
    let mut alarm_only = SigSet::empty();
    alarm_only.add(Signal::SIGALRM);
    let mut old = SigSet::empty();
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&alarm_only), Some(&mut old)).map_err(err)?;

    let start = Instant::now();
    nix::unistd::alarm::set(5);
    tell("demo  ", "alarm(5) set");
    let previous = nix::unistd::alarm::set(1);
    tell(
        "demo  ",
        &format!("alarm(1) -> {previous:?}: one clock per process, the new alarm replaced the old"),
    );
    tell(
        "demo  ",
        "waiting for a signal (pause(); here sigsuspend, which is race-free)",
    );
    while !ALARM_RANG.load(Ordering::SeqCst) {
        // Atomically: unblock SIGALRM and sleep until a signal is handled.
        let _ = old.suspend();
    }
    tell(
        "demo  ",
        &format!(
            "SIGALRM arrived after {:.2} s; the handler set a flag",
            start.elapsed().as_secs_f64()
        ),
    );
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old), None).map_err(err)?;
    Ok(())
}

/// SIGCHLD: reap children when they exit, or let the kernel do it with SIG_IGN.
fn sigchld_demo() -> Result {
    let pipe = SelfPipe::install(&[Signal::SIGCHLD]).map_err(err)?;
    let mut left = 3;
    for (millis, code) in [(50u64, 1), (150, 2), (100, 3)] {
        let pid = fork_child(move || {
            std::thread::sleep(Duration::from_millis(millis));
            code
        });
        tell(
            "parent",
            &format!("forked {pid}: exits after {millis} ms with {code}"),
        );
    }
    tell(
        "parent",
        "not waiting: I go on with my work and react to SIGCHLD",
    );
    while left > 0 {
        match pipe.next(STEP).map_err(err)? {
            Some(Signal::SIGCHLD) => {}
            _ => return Err("no SIGCHLD arrived".into()),
        }
        tell("parent", "SIGCHLD arrived");
        // Several exits can arrive as ONE SIGCHLD: reap until none is left.
        loop {
            match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(_) => break,
                Ok(status) => {
                    left -= 1;
                    tell("parent", &format!("  reaped {status:?}"));
                }
            }
        }
    }
    tell(
        "parent",
        "now signal(SIGCHLD, SIG_IGN): the kernel reaps for me",
    );
    set_disposition(Signal::SIGCHLD, SigHandler::SigIgn)?;
    // Only now, with no handler left to write to it, may the pipe close.
    drop(pipe);
    let child = fork_child(|| 0);
    let gone = wait_until(STEP, || proc_state(child.as_raw()).is_none().then_some(()));
    let states = if gone.is_some() {
        "never a zombie, gone"
    } else {
        "still there"
    };
    tell("parent", &format!("child {child} exited: {states}"));
    match wait() {
        Err(nix::errno::Errno::ECHILD) => {
            tell("parent", "wait() -> ECHILD: nothing left to reap");
            Ok(())
        }
        other => Err(format!("expected ECHILD, got {other:?}")),
    }
}

/// 司机和售票员: the driver (parent) and the conductor (child).
///
/// The lesson plays the passengers' keyboard: it sends SIGINT, SIGQUIT and
/// SIGTSTP to the whole process group, as Ctrl+C, Ctrl+\ and Ctrl+Z do.
fn bus() -> Result {
    // Until each side has its handlers, the keyboard signals do nothing.
    for signal in [Signal::SIGINT, Signal::SIGQUIT, Signal::SIGTSTP] {
        set_disposition(signal, SigHandler::SigIgn)?;
    }
    let driver = nix::unistd::getpid();
    let ready = Ready::new()?;
    let conductor = fork_child(|| conductor(driver, &ready));
    // The driver starts when the conductor is ready (so the lesson waits for one line).
    ready.wait()?;
    let pipe = SelfPipe::install(&[
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGTSTP,
        Signal::SIGCHLD,
    ])
    .map_err(err)?;
    tell(
        "driver",
        &format!(
            "ready: I handle SIGUSR1, SIGUSR2, SIGTSTP; I ignore SIGINT, SIGQUIT (conductor {conductor})"
        ),
    );
    loop {
        let Some(signal) = pipe.next(Duration::from_secs(10)).map_err(err)? else {
            return Err("the driver waited 10 s for a signal".into());
        };
        match signal {
            Signal::SIGUSR1 => tell("driver", "SIGUSR1 -> 老司机开车了 (the driver: off we go!)"),
            Signal::SIGUSR2 => tell(
                "driver",
                "SIGUSR2 -> 车速有点快，系好安全带 (a bit fast: fasten your seat belts!)",
            ),
            Signal::SIGTSTP => {
                tell(
                    "driver",
                    "SIGTSTP (Ctrl+Z) -> we have arrived; SIGUSR1 to the conductor",
                );
                kill(conductor, Signal::SIGUSR1).map_err(err)?;
            }
            Signal::SIGCHLD => {
                let status = waitpid(conductor, None).map_err(err)?;
                tell(
                    "driver",
                    &format!("the conductor got off ({status:?}); now the driver gets off (下车)"),
                );
                return Ok(());
            }
            _ => {}
        }
    }
}

/// The conductor's life: Ctrl+C and Ctrl+\ go to the driver; SIGUSR1 means "arrived".
fn conductor(driver: Pid, ready: &Ready) -> i32 {
    let Ok(pipe) = SelfPipe::install(&[Signal::SIGINT, Signal::SIGQUIT, Signal::SIGUSR1]) else {
        return 2;
    };
    tell(
        "conductor",
        "ready: I handle SIGINT, SIGQUIT, SIGUSR1; I ignore SIGTSTP",
    );
    ready.signal();
    loop {
        let Ok(Some(signal)) = pipe.next(Duration::from_secs(10)) else {
            return 1;
        };
        match signal {
            Signal::SIGINT => {
                tell("conductor", "SIGINT (Ctrl+C) -> SIGUSR1 to the driver");
                let _ = kill(driver, Signal::SIGUSR1);
            }
            Signal::SIGQUIT => {
                tell("conductor", "SIGQUIT (Ctrl+\\) -> SIGUSR2 to the driver");
                let _ = kill(driver, Signal::SIGUSR2);
            }
            Signal::SIGUSR1 => {
                tell(
                    "conductor",
                    "SIGUSR1 -> 到站了请下车 (we have arrived, please get off); the conductor gets off first",
                );
                return 0;
            }
            _ => {}
        }
        // The driver is our parent; if it vanished we would be adopted.
        if getppid() != driver {
            return 1;
        }
    }
}
