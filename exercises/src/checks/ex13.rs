//! Check of exercise 13: the driver and the conductor, run as their own
//! processes; the check presses the keys by sending the signals.

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::kit::{self, Checker, ServeChild, StepResult, expect_eq};

/// How long a line may take to appear after a key.
const LINE_DEADLINE: Duration = Duration::from_secs(3);

/// Parses `driver D and conductor C are on the bus`.
fn parse_pids(line: &str) -> Option<(u32, u32)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["driver", d, "and", "conductor", c, ..] => Some((d.parse().ok()?, c.parse().ok()?)),
        _ => None,
    }
}

/// A key on the terminal: its signal goes to both processes, as a
/// terminal sends it to the whole foreground process group.
fn press(signal: Signal, pids: (u32, u32)) -> StepResult {
    for pid in [pids.0, pids.1] {
        kill(Pid::from_raw(pid as i32), signal)
            .map_err(|err| format!("could not send {signal} to process {pid}: {err}"))?;
    }
    Ok(())
}

/// Waits for a line of the ride's output.
fn expect_line(ride: &ServeChild, want: &str, after: &str) -> StepResult {
    ride.wait_for(want, LINE_DEADLINE).map(drop).ok_or_else(|| {
        format!(
            "no line {want:?} within {} s of {after}",
            LINE_DEADLINE.as_secs()
        )
    })
}

/// Whether the process is still there (running, or sleeping in wait()).
fn alive(pid: u32) -> bool {
    kit::proc_status(pid, "State").is_some_and(|s| !s.starts_with('Z'))
}

/// In the ride's process: runs `ride()`. In the check: starts it and
/// presses Ctrl+C, Ctrl+\ and Ctrl+Z.
pub fn run(ride: fn() -> io::Result<()>) -> ExitCode {
    if kit::serve_mode() {
        return match ride() {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("ride() returned an error: {err}");
                ExitCode::FAILURE
            }
        };
    }
    let mut check = Checker::new("13");
    let mut started = None;
    check.step(
        "the driver forks the conductor and both are on the bus (this part is given)",
        || {
            let bus = ServeChild::start_program()?;
            let line = bus
                .wait_for("driver", Duration::from_secs(10))
                .ok_or("no line \"driver D and conductor C are on the bus\" within 10 s")?;
            let pids =
                parse_pids(&line).ok_or_else(|| format!("cannot read the pids in {line:?}"))?;
            expect_eq("the driver's pid", bus.pid(), pids.0)?;
            expect_eq(
                "the conductor's parent",
                Some(pids.0.to_string()),
                kit::proc_status(pids.1, "PPid"),
            )?;
            started = Some((bus, pids));
            Ok(())
        },
    );
    let Some((mut bus, pids)) = started else {
        return check.finish();
    };
    check.step(
        "Ctrl+C (SIGINT): the conductor tells the driver, who prints 老司机开车了",
        || {
            press(Signal::SIGINT, pids)?;
            expect_line(&bus, "老司机开车了", "SIGINT")?;
            if alive(pids.0) && alive(pids.1) {
                Ok(())
            } else {
                Err("SIGINT ended a process: both should ignore it for themselves".into())
            }
        },
    );
    check.step(
        "Ctrl+\\ (SIGQUIT): the conductor tells the driver, who prints 车速有点快，系好安全带",
        || {
            press(Signal::SIGQUIT, pids)?;
            expect_line(&bus, "车速有点快，系好安全带", "SIGQUIT")
        },
    );
    check.step(
        "Ctrl+Z (SIGTSTP): the driver tells the conductor, who prints 到站了请下车 and gets off first",
        || {
            press(Signal::SIGTSTP, pids)?;
            expect_line(&bus, "到站了请下车", "SIGTSTP")?;
            if kit::wait_until(LINE_DEADLINE, || !alive(pids.1)) {
                Ok(())
            } else {
                Err("the conductor is still running after 到站了请下车".into())
            }
        },
    );
    check.step(
        "the driver reaps the conductor (no zombie), prints 司机下车 and exits with 0",
        || {
            expect_line(&bus, "司机下车", "the conductor getting off")?;
            let status = bus
                .wait_exit(LINE_DEADLINE)
                .ok_or("the driver did not exit after 司机下车")?;
            if kit::proc_status(pids.1, "State").is_some() {
                return Err(
                    "the conductor was left a zombie: the driver never waited for it".into(),
                );
            }
            expect_eq("the driver's exit code", Some(0), status.code())
        },
    );
    check.finish()
}
