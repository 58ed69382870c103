//! What every lesson uses: headings, labelled output, and real programs
//! started as child processes that are cleaned up however the lesson ends.
//!
//! A lesson starts servers and clients by running its own executable again
//! with `__program NAME ARGS...` (see `src/bin/lesson/main.rs`), so one
//! `cargo lesson NN` builds everything it needs.

use std::io::{self, BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// Prints a lesson section heading.
pub fn heading(text: &str) {
    println!("\n=== {text} ===");
}

/// Prints a line as the lesson's narrator.
pub fn say(text: &str) {
    println!("[lesson] {text}");
}

/// Prints a line on behalf of one side of a conversation, e.g.
/// `labelled("client", "sent 6 bytes")` prints `[client] sent 6 bytes`, the
/// same shape as the output of programs started with [`Program::start`].
pub fn labelled(label: &str, text: &str) {
    println!("[{label}] {text}");
}

/// Points the learner to the note and the code to read.
pub fn read_next(note: &str, files: &[&str]) {
    println!("\nRead next: {note}");
    for file in files {
        println!("  code: {file}");
    }
}

/// Pids of every program a lesson started, killed on Ctrl+C and at exit.
fn started() -> &'static Mutex<Vec<u32>> {
    static STARTED: OnceLock<Mutex<Vec<u32>>> = OnceLock::new();
    STARTED.get_or_init(|| {
        // Ctrl+C during a lesson: stop every program it started, then leave.
        let _ = ctrlc::set_handler(|| {
            // Said first: the lesson, seeing its programs vanish, may fail
            // and return, and the runner must then wait for this handler
            // instead of reporting that failure (see `wait_if_interrupted`).
            INTERRUPTED.store(true, Ordering::SeqCst);
            kill_all_started();
            reap_all_started();
            println!("\n[lesson] interrupted; every program it started has been stopped.");
            std::process::exit(130);
        });
        Mutex::new(Vec::new())
    })
}

/// Set by the Ctrl+C handler as soon as it starts.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl+C was pressed (and the lesson's programs are being stopped).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Called when a lesson has returned: if Ctrl+C is being handled, lets the
/// handler finish (it exits with status 130) instead of carrying on; an
/// error the lesson returned was then only a consequence of the interruption.
pub fn wait_if_interrupted() {
    if !interrupted() {
        return;
    }
    // The handler needs milliseconds; this bound only guards against a
    // handler that never ends.
    thread::sleep(Duration::from_secs(10));
    std::process::exit(130);
}

/// Kills every program started by [`Program::start`] that still runs.
pub fn kill_all_started() {
    if let Ok(pids) = started().lock() {
        for &pid in pids.iter() {
            // Each program leads its own process group (see Program::start),
            // so this reaches its forked children too.
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Waits for every started program (already sent SIGKILL), so that none is
/// left over, even as a zombie, when the lesson exits on Ctrl+C.
fn reap_all_started() {
    if let Ok(pids) = started().lock() {
        for &pid in pids.iter() {
            let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid as i32), None);
        }
    }
}

/// The command that runs program `name` (e.g. `echo-server`): the lesson
/// executable itself, which can run any program by name (`__program NAME`).
pub fn program_command(name: &str) -> Command {
    let mut command =
        Command::new(std::env::current_exe().expect("the lesson executable has a path"));
    command.arg("__program").arg(name);
    command
}

/// A program started by the lesson (a server or a client), whose output is
/// printed with a label such as `[server]` so the learner sees who says what.
pub struct Program {
    child: Child,
    label: String,
    lines: Receiver<String>,
    /// The port from the `Serving ... port N` line, when it is a server.
    pub port: u16,
}

impl Program {
    /// Starts program `name` (e.g. `echo-server`) with `args`, labelling its output.
    pub fn start(label: &str, name: &str, args: &[&str]) -> io::Result<Program> {
        let mut command = program_command(name);
        command.args(args);
        Self::start_command(label, command)
    }

    /// Starts any command, labelling its output.
    pub fn start_command(label: &str, command: Command) -> io::Result<Program> {
        Self::start_with(label, command, true)
    }

    /// Starts a server program like [`Program::server`], but drops what it
    /// says on stderr: for a load under which it reports hundreds of
    /// refused clients, one `handle_error` report each.
    pub fn quiet_server(label: &str, name: &str, args: &[&str]) -> io::Result<Program> {
        let mut command = program_command(name);
        command.args(args);
        Self::started_server(Self::start_with(label, command, false)?, name)
    }

    fn start_with(label: &str, mut command: Command, stderr: bool) -> io::Result<Program> {
        use std::os::unix::process::CommandExt;
        // Its own process group, so the lesson can stop it and all its
        // children with one signal.
        command.process_group(0);
        // Hold the list while spawning: a Ctrl+C arriving now waits for the
        // pid to be recorded, so it can never miss the new program.
        let mut pids = started().lock().expect("lock");
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if stderr {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .spawn()?;
        pids.push(child.id());
        drop(pids);
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped");
        let out_label = label.to_string();
        let tx_out = tx.clone();
        thread::spawn(move || forward(stdout, &out_label, tx_out));
        if let Some(stderr) = child.stderr.take() {
            let err_label = label.to_string();
            thread::spawn(move || forward(stderr, &err_label, tx));
        }
        Ok(Program {
            child,
            label: label.to_string(),
            lines,
            port: 0,
        })
    }

    /// Starts a server program and waits (10 s at most) for its `Serving` line.
    pub fn server(label: &str, name: &str, args: &[&str]) -> io::Result<Program> {
        Self::started_server(Program::start(label, name, args)?, name)
    }

    /// Waits (10 s at most) for a started server's `Serving` line.
    fn started_server(mut program: Program, name: &str) -> io::Result<Program> {
        let line = program
            .wait_for("Serving ", Duration::from_secs(10))
            .ok_or_else(|| io::Error::other(format!("{name} did not start within 10 s")))?;
        program.port = crate::serving::port_in(&line).unwrap_or(0);
        Ok(program)
    }

    /// Waits until the program prints a line containing `needle`.
    pub fn wait_for(&self, needle: &str, deadline: Duration) -> Option<String> {
        let end = Instant::now() + deadline;
        loop {
            let left = end.checked_duration_since(Instant::now())?;
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return Some(line),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Types a line at the program's standard input.
    pub fn type_line(&mut self, line: &str) -> io::Result<()> {
        let stdin = self.child.stdin.as_mut().expect("piped");
        writeln!(stdin, "{line}")?;
        stdin.flush()
    }

    /// Closes the program's standard input (end of input).
    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    /// The program's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `deadline` for the program to exit by itself.
    pub fn wait_exit(&mut self, deadline: Duration) -> Option<std::process::ExitStatus> {
        let end = Instant::now() + deadline;
        while Instant::now() < end {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// Stops the program with Ctrl+C (SIGINT) and waits for it; returns
    /// whether it exited by itself within 5 s (else it is killed).
    pub fn interrupt(mut self) -> bool {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
        let exited = self.wait_exit(Duration::from_secs(5)).is_some();
        if !exited {
            println!("[lesson] {} did not stop on Ctrl+C; killing it", self.label);
        }
        exited
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::killpg(pid, nix::sys::signal::Signal::SIGKILL);
        // Forget the pid before reaping it: once reaped, the number may be
        // given to an unrelated process, which `kill_all_started` must never
        // signal. (Until the wait below, the pid is still ours, a zombie.)
        if let Ok(mut pids) = started().lock() {
            pids.retain(|&p| p != self.child.id());
        }
        let _ = self.child.wait();
    }
}

/// Prints each line as `[label] line` and passes it on for `wait_for`.
fn forward(stream: impl io::Read, label: &str, tx: mpsc::Sender<String>) {
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { break };
        // Not println!: if the lesson's stdout is closed (`| head`), this
        // thread must still pass the line on, so the lesson does not wait
        // for it in vain.
        let _ = writeln!(io::stdout(), "[{label}] {line}");
        let _ = tx.send(line);
    }
}
