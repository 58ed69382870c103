//! Small helpers shared by lessons 09–16: clients that print what they do,
//! and waiting on a condition with a deadline instead of sleeping and hoping.

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// A line-oriented TCP client whose every step is printed as `[label] ...`.
pub struct Client {
    label: String,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    /// Connects to `127.0.0.1:port`; replies must arrive within 5 s.
    pub fn connect(label: &str, port: u16) -> io::Result<Client> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        println!("[{label}] connected from {}", stream.local_addr()?);
        Ok(Client {
            label: label.to_string(),
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// Sends one line (a newline is added).
    pub fn send(&mut self, line: &str) -> io::Result<()> {
        println!("[{}] sends {line:?}", self.label);
        self.writer.write_all(format!("{line}\n").as_bytes())
    }

    /// Reads one line and prints it.
    pub fn recv(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed",
            ));
        }
        let line = line.trim_end().to_string();
        println!("[{}] got   {line:?}", self.label);
        Ok(line)
    }
}

/// Polls `check` every 10 ms until it returns `Some`, for at most `deadline`.
pub fn wait_until<T>(deadline: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + deadline;
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Turns "a line did not appear in time" into a lesson error.
pub fn expect_line(found: Option<String>, what: &str) -> Result<String, String> {
    found.ok_or_else(|| format!("timed out waiting for {what}"))
}

/// Lets a demo program run to its end: it must print `section done` within
/// `deadline`, then exit within 5 s.
pub fn finish_demo(
    demo: &mut examples::lesson_kit::Program,
    what: &str,
    deadline: Duration,
) -> Result<(), String> {
    expect_line(demo.wait_for("section done", deadline), what)?;
    if demo.wait_exit(Duration::from_secs(5)).is_none() {
        return Err(format!("{what} did not exit"));
    }
    Ok(())
}

/// Forks; the child runs `child` and leaves with `_exit(code)`. Returns the child's pid.
///
/// Only for the demo programs that a lesson starts with `lesson __program
/// NAME`: such a process runs no lesson_kit code, so it has a single thread
/// when it forks, and the child may run ordinary Rust code.
pub fn fork_child(child: impl FnOnce() -> i32) -> nix::unistd::Pid {
    use nix::unistd::{ForkResult, fork};
    // Anything still buffered would be printed twice, once by each process.
    let _ = io::stdout().flush();
    // SAFETY: the calling demo program is single-threaded (see above), so
    // no lock can be held by a thread that does not exist in the child.
    match unsafe { fork() }.expect("fork works") {
        ForkResult::Parent { child } => child,
        ForkResult::Child => {
            let code = child();
            let _ = io::stdout().flush();
            // SAFETY: _exit ends the child without running the parent's
            // exit handlers or flushing its copies of the parent's buffers.
            unsafe { libc::_exit(code) }
        }
    }
}

/// Prints `who (pid N): text` and flushes, so lines from forked processes
/// reach the pipe whole and in the order they happened.
pub fn tell(who: &str, text: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{who} (pid {}): {text}", std::process::id());
    let _ = out.flush();
}

/// A process's state letter and parent pid from `/proc/PID/stat`, as `ps` shows them.
pub fn proc_state(pid: i32) -> Option<(char, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "PID (COMMAND) STATE PPID ..." — the command may contain spaces and
    // parentheses, so parse from the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// A process's nice value (优先级: -20 highest to 19 lowest) from `/proc/PID/stat`.
pub fn proc_nice(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 19 of stat; the 17th after the ')' that ends the command.
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .nth(16)?
        .parse()
        .ok()
}

/// Pads `text` to `width` terminal columns; Chinese characters take two.
pub fn pad(text: &str, width: usize) -> String {
    let columns: usize = text
        .chars()
        .map(|c| {
            if ('\u{2e80}'..='\u{ffef}').contains(&c) {
                2
            } else {
                1
            }
        })
        .sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(columns)))
}

/// One section of a demo program: its name on the command line, and the code.
pub type Section = (&'static str, fn() -> Result<(), String>);

/// The `main` of a demo program started as `lesson __program NAME SECTION`:
/// runs the named section, then prints `section done`; an unknown section
/// or a failure is reported on stderr and exits 1.
pub fn run_section(program: &str, args: &[OsString], sections: &[Section]) -> ExitCode {
    let wanted = args.get(1).and_then(|a| a.to_str()).unwrap_or("");
    let result = match sections.iter().find(|(name, _)| *name == wanted) {
        Some((_, section)) => section(),
        None => Err(format!("unknown section {wanted:?}")),
    };
    finish_section(program, result)
}

/// Prints `section done` after a demo's success, or the error after a failure.
pub fn finish_section(program: &str, result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => {
            tell("demo", "section done");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{program}: {err}");
            ExitCode::FAILURE
        }
    }
}
