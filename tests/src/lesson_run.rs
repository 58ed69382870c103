//! Running a lesson (`lesson NN`) as a test: in its own session, under a
//! deadline, with a check that nothing it started outlives it.
//!
//! The lesson leads a new session (`setsid`), and every process it starts
//! inherits that session id, even when it moves to its own process group
//! (as `lesson_kit::Program` does). So after the lesson exits, any process
//! in `/proc` whose session is the lesson's pid was left behind by it.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::thread;
use std::time::{Duration, Instant};

use crate::bin_path;
use crate::process::{forward_lines, read_all_lossy};
use crate::procfs::{ProcessState, processes, wait_until};

/// What a finished lesson run produced.
#[derive(Debug)]
pub struct LessonRun {
    /// Everything the lesson printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
    /// How it exited.
    pub status: ExitStatus,
    /// Processes of its session still alive after it exited (`pid comm state`).
    pub leftovers: Vec<String>,
    /// Processes of its session left as zombies: exited, never reaped.
    pub zombies: Vec<String>,
}

/// A lesson that is running: its stdout arrives line by line.
pub struct RunningLesson {
    child: Child,
    started: Instant,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: thread::JoinHandle<String>,
}

impl RunningLesson {
    /// Starts `lesson ARGS...` as the leader of a new session.
    pub fn start(args: &[&str]) -> RunningLesson {
        let mut command = Command::new(bin_path("lesson"));
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: setsid() is async-signal-safe and touches no memory of
        // the (multi-threaded) parent; it runs in the child just before exec.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = command.spawn().expect("the lesson binary starts");
        let lines = forward_lines(child.stdout.take().expect("piped"));
        let stderr = child.stderr.take().expect("piped");
        let stderr = thread::spawn(move || read_all_lossy(stderr));
        RunningLesson {
            child,
            started: Instant::now(),
            lines,
            seen: Vec::new(),
            stderr,
        }
    }

    /// The lesson's pid, which is also its session id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (up to `deadline`) for a stdout line containing `needle`.
    pub fn wait_for_line(&mut self, needle: &str, deadline: Duration) -> Option<String> {
        let end = Instant::now() + deadline;
        loop {
            let left = end.checked_duration_since(Instant::now())?;
            let line = self.lines.recv_timeout(left).ok()?;
            self.seen.push(line.clone());
            if line.contains(needle) {
                return Some(line);
            }
        }
    }

    /// Waits for the lesson to exit by itself within `deadline` (measured
    /// from its start). Past the deadline, kills its whole session and panics.
    pub fn finish(mut self, deadline: Duration) -> LessonRun {
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait works") {
                break status;
            }
            if self.started.elapsed() > deadline {
                let sid = self.pid();
                kill_session(sid);
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "lesson {sid} still running after {deadline:?}; output so far:\n{}",
                    self.drain_stdout()
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        // Killed programs may take a moment to disappear (their parent, now
        // init, reaps them); wait a little before calling them left over.
        let sid = self.pid();
        let mut members = Vec::new();
        wait_until(Duration::from_secs(2), || {
            members = session_processes(sid);
            members.is_empty()
        });
        let (zombies, leftovers): (Vec<_>, Vec<_>) =
            members.into_iter().partition(ProcessState::is_zombie);
        if !leftovers.is_empty() {
            kill_session(sid);
        }
        let describe = |list: Vec<ProcessState>| -> Vec<String> {
            list.iter()
                .map(|p| format!("{} {} {}", p.pid, p.comm, p.state))
                .collect()
        };
        let stdout = self.drain_stdout();
        let stderr = self.stderr.join().unwrap_or_default();
        LessonRun {
            stdout,
            stderr,
            status,
            leftovers: describe(leftovers),
            zombies: describe(zombies),
        }
    }

    /// Every stdout line: those already seen and the rest (the pipe closes
    /// once the lesson and everything holding its stdout have exited).
    fn drain_stdout(&mut self) -> String {
        let end = Instant::now() + Duration::from_secs(2);
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => break,
            }
        }
        self.seen.join("\n")
    }
}

/// Runs `lesson ARGS...` to the end (or panics after `deadline`).
pub fn run_lesson(args: &[&str], deadline: Duration) -> LessonRun {
    RunningLesson::start(args).finish(deadline)
}

/// Every process whose session id is `sid`, zombies included.
fn session_processes(sid: u32) -> Vec<ProcessState> {
    let mut all = processes();
    all.retain(|p| p.session == sid);
    all
}

/// Sends SIGKILL to every live process of session `sid` (test clean-up only).
fn kill_session(sid: u32) {
    for member in session_processes(sid) {
        if !member.is_zombie() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(member.pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}
