//! Running a server binary as its own process.
//!
//! Forking servers must never be forked from the test harness (it runs tests
//! on threads), so every server under test is started as a separate process
//! and reached over loopback.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// The path of a binary built by this workspace (`echo-server`, `ftp-server`, ...).
///
/// Binaries of the `examples` crate are built by `cargo test --workspace`
/// (the `examples` crate has integration tests, which makes cargo build its
/// binaries); binaries of this crate are built for its own tests.
pub fn bin_path(name: &str) -> PathBuf {
    // The test executable lives in target/<profile>/deps/; binaries one level up.
    let exe = std::env::current_exe().expect("the test executable has a path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable is inside target/<profile>/deps");
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} is not built; run the tests with `cargo test --workspace` \
         (or `cargo build --workspace --bins` first)",
        path.display()
    );
    path
}

/// A running server process, killed and reaped when dropped.
pub struct ServerProcess {
    child: Child,
    /// The first stdout line, e.g. `Serving echo over TCP, threading on 127.0.0.1 port 40123 ...`.
    pub serving_line: String,
    /// The port read from that line (0 for Unix sockets).
    pub port: u16,
    /// Later stdout lines, as they arrive.
    pub stdout_lines: Receiver<String>,
    /// Its stderr lines, when started with [`ServerProcess::start_reading_stderr`]
    /// (otherwise stderr goes to the test's own).
    pub stderr_lines: Option<Receiver<String>>,
}

impl ServerProcess {
    /// Starts `bin` with `args` and waits (at most 10 s) for its `Serving` line.
    pub fn start(bin: &str, args: &[&str]) -> ServerProcess {
        Self::start_command(Command::new(bin_path(bin)).args(args))
    }

    /// Starts `bin` with `args`, its stderr lines kept in `stderr_lines`
    /// (for a server's log).
    pub fn start_reading_stderr(bin: &str, args: &[&str]) -> ServerProcess {
        Self::spawn(Command::new(bin_path(bin)).args(args), true)
    }

    /// Starts a prepared command (for a working directory or environment).
    pub fn start_command(command: &mut Command) -> ServerProcess {
        Self::spawn(command, false)
    }

    /// [`ServerProcess::start_command`], its stderr lines kept in `stderr_lines`.
    pub fn start_command_reading_stderr(command: &mut Command) -> ServerProcess {
        Self::spawn(command, true)
    }

    fn spawn(command: &mut Command, read_stderr: bool) -> ServerProcess {
        let stderr = if read_stderr {
            Stdio::piped()
        } else {
            Stdio::inherit()
        };
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the server binary starts");
        let stderr_lines = child.stderr.take().map(forward_lines);
        let stdout = child.stdout.take().expect("stdout is piped");
        let stdout_lines = forward_lines(stdout);
        let serving_line = match stdout_lines.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                panic!("the server printed no Serving line within 10 s (exit: {status:?})");
            }
        };
        assert!(
            serving_line.starts_with("Serving "),
            "first stdout line is not a Serving line: {serving_line:?}"
        );
        let port = parse_port(&serving_line).unwrap_or(0);
        ServerProcess {
            child,
            serving_line,
            port,
            stdout_lines,
            stderr_lines,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The child's stdin, to type at the server's terminal.
    pub fn stdin(&mut self) -> &mut std::process::ChildStdin {
        self.child.stdin.as_mut().expect("stdin is piped")
    }

    /// Waits up to `deadline` for a stdout line containing `needle`.
    pub fn wait_for_line(&self, needle: &str, deadline: Duration) -> Option<String> {
        let end = Instant::now() + deadline;
        loop {
            let left = end.checked_duration_since(Instant::now())?;
            match self.stdout_lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return Some(line),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Sends a signal (e.g. `SIGINT`) to the server.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, signal).expect("the server process exists");
    }

    /// Kills the server (and its forked children, which share its stderr)
    /// and returns every line it wrote to stderr (it must have been started
    /// reading stderr). Everything written before the kill is in the pipe,
    /// so the lines are complete: they are read until the pipe closes, for
    /// at most `deadline`.
    pub fn kill_and_collect_stderr(mut self, deadline: Duration) -> Vec<String> {
        for child in crate::procfs::children_of(self.pid()) {
            let pid = nix::unistd::Pid::from_raw(child.pid as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let lines = self
            .stderr_lines
            .take()
            .expect("started with start_reading_stderr");
        let end = Instant::now() + deadline;
        let mut collected = Vec::new();
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => collected.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => return collected,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("the server's stderr did not close within {deadline:?}")
                }
            }
        }
    }

    /// Waits up to `deadline` for the process to exit; returns its status.
    pub fn wait_exit(&mut self, deadline: Duration) -> Option<std::process::ExitStatus> {
        let mut status = None;
        crate::procfs::wait_until(deadline, || {
            status = self.child.try_wait().expect("try_wait works");
            status.is_some()
        });
        status
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads lines on a thread and hands them over a channel, so waits can have deadlines.
pub fn forward_lines(stdout: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The number after ` port ` in a Serving line.
pub fn parse_port(line: &str) -> Option<u16> {
    let rest = &line[line.find(" port ")? + 6..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Reads everything from a reader into a String (lossy), for diagnostics.
pub fn read_all_lossy(mut reader: impl Read) -> String {
    let mut buf = Vec::new();
    let _ = reader.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Makes the program `command` starts unable to write files larger than
/// `bytes` (`RLIMIT_FSIZE`): a write past it fails with `EFBIG`, as on a
/// full quota, instead of the process dying of `SIGXFSZ`.
pub fn limit_file_size(command: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only async-signal-safe calls are made:
    // setrlimit, and signal with SIG_IGN (kept across exec).
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
}
