//! What every check uses: a list of named steps that pass or fail with a
//! reason, servers run on `127.0.0.1:0`, clients with deadlines, and a
//! server started as a separate process of the check itself (for forking
//! servers and for servers that run their own loop).
//!
//! Every wait here has a deadline, so a stuck handler makes a step fail
//! with a message instead of hanging the check.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::process::{Child, ChildStdin, Command, ExitCode, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use framework::{
    Address, EpollTcpServer, MixIn, Protocol, RequestHandler, Server, ServerHandle, Transport,
};

use crate::catalogue::{self, Exercise};

/// How long a client waits for one expected reply.
pub const REPLY_DEADLINE: Duration = Duration::from_secs(3);

/// How long a whole check may run before the watchdog ends it.
pub const CHECK_DEADLINE: Duration = Duration::from_secs(40);

/// What a step returns: `Err` carries the explanation shown to the learner.
pub type StepResult = Result<(), String>;

/// The argument that makes a check binary run the learner's server instead
/// of the check (see [`ServeChild`]).
pub const SERVE_ARG: &str = "__serve";

/// Whether this process was started as the server side of a check.
pub fn serve_mode() -> bool {
    std::env::args().any(|arg| arg == SERVE_ARG)
}

/// The steps of one exercise's check and their outcome.
pub struct Checker {
    exercise: &'static Exercise,
    passed: usize,
    failed: usize,
}

impl Checker {
    /// Starts the check of exercise `number`, printing its heading, and arms
    /// a watchdog that ends the process if the check runs too long.
    pub fn new(number: &str) -> Checker {
        let exercise = catalogue::find(number).expect("every check names a known exercise");
        // The `solutions` program runs the same checks on the reference solutions.
        let solution = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.file_stem().map(|s| s == "solutions"))
            .unwrap_or(false);
        let (dir, whose) = if solution {
            ("exercises/solutions", "the reference solution of ")
        } else {
            ("exercises/src", "")
        };
        println!(
            "Checking {whose}exercise {} ({}): {dir}/{}",
            exercise.number, exercise.title, exercise.file
        );
        thread::spawn(|| {
            thread::sleep(CHECK_DEADLINE);
            println!(
                "  ✗ the check did not finish within {} s: is a handler stuck in a loop or a read?",
                CHECK_DEADLINE.as_secs()
            );
            std::process::exit(1);
        });
        Checker {
            exercise,
            passed: 0,
            failed: 0,
        }
    }

    /// Runs one step and prints `✓ what` or `✗ what` with the reason. A panic
    /// inside the step (e.g. a `todo!()` in the learner's code) fails the step.
    pub fn step(&mut self, what: &str, f: impl FnOnce() -> StepResult) {
        let outcome = panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(format!("your code panicked: {text}"))
        });
        match outcome {
            Ok(()) => {
                self.passed += 1;
                println!("  ✓ {what}");
            }
            Err(why) => {
                self.failed += 1;
                println!("  ✗ {what}");
                for line in why.lines() {
                    println!("      {line}");
                }
            }
        }
    }

    /// Prints the verdict. Exit code 0: done; 1: some step failed.
    pub fn finish(self) -> ExitCode {
        let n = self.exercise.number;
        let total = self.passed + self.failed;
        if self.failed == 0 {
            println!("Exercise {n} is done: all {total} checks pass.");
            ExitCode::SUCCESS
        } else {
            println!(
                "Exercise {n} is not done yet: {} of {total} checks fail. \
                 Look for TODO in exercises/src/{}; a hint: `cargo hint {n}` (or `just hint {n}`).",
                self.failed, self.exercise.file
            );
            ExitCode::FAILURE
        }
    }
}

/// Compares two values, explaining a difference in the learner's terms.
pub fn expect_eq<T: PartialEq + std::fmt::Debug>(what: &str, expected: T, got: T) -> StepResult {
    if expected == got {
        Ok(())
    } else {
        Err(format!(
            "{what}:\n  expected {expected:?}\n  got      {got:?}"
        ))
    }
}

/// A framework server running `serve_forever` on a thread of the check.
///
/// Dropping it asks the loop to stop but does not wait for handlers, so a
/// stuck handler cannot hang the check (the process ends soon after anyway).
pub struct Running {
    /// Where the server listens.
    pub address: SocketAddr,
    handle: ServerHandle,
}

impl Running {
    /// Starts `server` on a thread.
    pub fn start<T, M, F, H>(server: Server<T, M, F>) -> Running
    where
        T: Transport,
        M: MixIn,
        F: Fn() -> H + Send + Sync + 'static,
        H: RequestHandler<T::Request>,
    {
        let address = server
            .server_address()
            .inet()
            .expect("checks run on 127.0.0.1");
        let handle = server.handle();
        thread::Builder::new()
            .name("serve_forever".into())
            .spawn(move || {
                let _ = server.serve_forever();
                // Not dropped: dropping waits for running handlers.
                std::mem::forget(server);
            })
            .expect("a thread for the server loop");
        Running { address, handle }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.request_shutdown();
    }
}

/// An event-loop server (`EpollTcpServer`) running `serve_forever` on a
/// thread of the check; like [`Running`], dropping it asks the loop to stop.
pub struct RunningLoop {
    /// Where the server listens.
    pub address: SocketAddr,
    handle: ServerHandle,
}

impl RunningLoop {
    /// Starts `server` on a thread.
    pub fn start<P, F>(server: EpollTcpServer<P, F>) -> RunningLoop
    where
        P: Protocol,
        F: Fn() -> P + Send + Sync + 'static,
    {
        let address = server
            .server_address()
            .inet()
            .expect("checks run on 127.0.0.1");
        let handle = server.handle();
        thread::Builder::new()
            .name("event loop".into())
            .spawn(move || {
                let _ = server.serve_forever();
            })
            .expect("a thread for the event loop");
        RunningLoop { address, handle }
    }
}

impl Drop for RunningLoop {
    fn drop(&mut self) {
        self.handle.request_shutdown();
    }
}

/// A TCP client with a deadline on every read.
pub struct Client {
    reader: BufReader<TcpStream>,
    /// Who this client is in messages (`alice`, `client 2`...).
    pub name: String,
}

impl Client {
    /// Connects to `address`.
    pub fn connect(address: SocketAddr, name: &str) -> Result<Client, String> {
        let stream = TcpStream::connect_timeout(&address, REPLY_DEADLINE)
            .map_err(|err| format!("{name} could not connect to {address}: {err}"))?;
        Client::from_stream(stream, name)
    }

    /// Wraps a connected stream.
    pub fn from_stream(stream: TcpStream, name: &str) -> Result<Client, String> {
        stream
            .set_read_timeout(Some(REPLY_DEADLINE))
            .map_err(|err| err.to_string())?;
        let _ = stream.set_nodelay(true);
        Ok(Client {
            reader: BufReader::new(stream),
            name: name.to_string(),
        })
    }

    /// This client's own address (what the server sees as its peer).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.reader.get_ref().local_addr().ok()
    }

    /// Sends bytes (all of them).
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) -> StepResult {
        let name = &self.name;
        self.reader
            .get_mut()
            .write_all(bytes.as_ref())
            .map_err(|err| format!("{name} could not send: {err}"))
    }

    /// Reads one line (without its `\n`), failing with a clear reason when
    /// the server closes the connection or stays silent.
    pub fn line(&mut self) -> Result<String, String> {
        let mut line = Vec::new();
        match self.reader.read_until(b'\n', &mut line) {
            Ok(0) => Err(format!(
                "{} expected a line but the server closed the connection",
                self.name
            )),
            Ok(_) if !line.ends_with(b"\n") => Err(format!(
                "{} got {:?} and then the connection closed, without a newline",
                self.name,
                String::from_utf8_lossy(&line)
            )),
            Ok(_) => {
                line.pop();
                Ok(String::from_utf8_lossy(&line).into_owned())
            }
            Err(err) if is_timeout(&err) => Err(format!(
                "{} waited {} s for a line and got {}",
                self.name,
                REPLY_DEADLINE.as_secs(),
                if line.is_empty() {
                    "nothing".to_string()
                } else {
                    format!("only {:?} (no newline)", String::from_utf8_lossy(&line))
                }
            )),
            Err(err) => Err(format!("{} could not read: {err}", self.name)),
        }
    }

    /// Reads exactly `n` bytes (a body announced by a size).
    pub fn bytes(&mut self, n: usize) -> Result<Vec<u8>, String> {
        let mut body = vec![0u8; n];
        match self.reader.read_exact(&mut body) {
            Ok(()) => Ok(body),
            Err(err) if is_timeout(&err) => Err(format!(
                "{} waited {} s for the {n} bytes announced",
                self.name,
                REPLY_DEADLINE.as_secs()
            )),
            Err(err) => Err(format!("{} expected {n} bytes: {err}", self.name)),
        }
    }

    /// Reads until the server closes the connection.
    pub fn read_to_end(&mut self) -> Result<Vec<u8>, String> {
        let mut all = Vec::new();
        match self.reader.read_to_end(&mut all) {
            Ok(_) => Ok(all),
            Err(err) if is_timeout(&err) => Err(format!(
                "{} waited {} s for the server to close the connection; it got {:?} so far",
                self.name,
                REPLY_DEADLINE.as_secs(),
                String::from_utf8_lossy(&all)
            )),
            Err(err) => Err(format!("{} could not read: {err}", self.name)),
        }
    }

    /// Closes the sending half: the server reads end-of-file.
    pub fn close_write(&mut self) {
        let _ = self.reader.get_ref().shutdown(Shutdown::Write);
    }
}

fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The standard first line of a server: `Serving <what> on <host> port <port> ...`.
/// Call it as soon as your server listens, so the check knows the port.
pub fn announce(what: &str, address: &Address) {
    let line = match address {
        Address::Inet(addr) => format!("Serving {what} on {} port {} ...", addr.ip(), addr.port()),
        other => format!("Serving {what} on {other} ..."),
    };
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The learner's server, run as a separate process: this same program
/// started again with [`SERVE_ARG`]. Forking servers must run this way (a
/// check is multi-threaded, and fork in a multi-threaded process is unsafe),
/// and so do servers that run their own loop, which a check cannot stop.
///
/// Dropping this kills the server and any children it forked, and reaps the
/// server; if the check dies first, the kernel kills the server
/// (`PR_SET_PDEATHSIG`).
pub struct ServeChild {
    child: Child,
    /// The port from its `Serving ... port N` line.
    pub port: u16,
    lines: Receiver<String>,
    /// The server's standard input, when the check types into it.
    stdin: Option<ChildStdin>,
}

impl ServeChild {
    /// Starts the server and waits for its `Serving` line.
    pub fn start() -> Result<ServeChild, String> {
        ServeChild::launch(false)?.read_port()
    }

    /// Starts the server with a pipe as its standard input (its "terminal":
    /// the check types lines with [`ServeChild::type_line`]) and waits for
    /// its `Serving` line.
    pub fn start_with_terminal() -> Result<ServeChild, String> {
        ServeChild::launch(true)?.read_port()
    }

    /// Starts the learner's program as a process of its own, for programs
    /// that are not servers (no `Serving` line is awaited; `port` stays 0).
    pub fn start_program() -> Result<ServeChild, String> {
        ServeChild::launch(false)
    }

    /// Starts the learner's program (not a server) with a pipe as its
    /// standard input, for the check to type commands into.
    pub fn start_program_with_terminal() -> Result<ServeChild, String> {
        ServeChild::launch(true)
    }

    /// Waits for the first line and reads the port out of it.
    fn read_port(mut self) -> Result<ServeChild, String> {
        let first = self
            .wait_for("", Duration::from_secs(10))
            .ok_or("your server printed nothing within 10 s (it should announce itself with kit::announce)")?;
        self.port = first
            .split(" port ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|port| port.parse().ok())
            .ok_or_else(|| format!("the first line has no port: {first:?}"))?;
        Ok(self)
    }

    /// Starts this program again with [`SERVE_ARG`], its output piped to us.
    fn launch(terminal: bool) -> Result<ServeChild, String> {
        use std::os::unix::process::CommandExt;
        // Children that the server forked and leaves behind when it is
        // killed become OUR children (not init's), so Drop can reap them.
        // SAFETY: prctl with these arguments only sets a flag of this process.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) };
        let exe = std::env::current_exe().map_err(|err| err.to_string())?;
        let mut command = Command::new(exe);
        command
            .args(std::env::args_os().skip(1))
            .arg(SERVE_ARG)
            .stdin(if terminal {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // SAFETY: prctl is async-signal-safe and touches no memory of ours;
        // it runs in the forked child just before exec.
        unsafe {
            command.pre_exec(|| {
                // If the check dies (watchdog, crash, kill -9), the server
                // dies with it instead of serving forever as an orphan.
                // It stays in our process group, so Ctrl+C reaches it too.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command
            .spawn()
            .map_err(|err| format!("could not start the server process: {err}"))?;
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Ok(ServeChild {
            child,
            port: 0,
            lines,
            stdin,
        })
    }

    /// Types one line into the server's standard input (its "terminal").
    pub fn type_line(&mut self, line: &str) -> StepResult {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or("the terminal of your server is closed")?;
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| stdin.flush())
            .map_err(|err| format!("could not type into your server's terminal: {err}"))
    }

    /// Closes the server's standard input: it reads end-of-file (Ctrl+D).
    pub fn close_terminal(&mut self) {
        self.stdin = None;
    }

    /// Waits up to `deadline` for the process to exit, and reaps it.
    pub fn wait_exit(&mut self, deadline: Duration) -> Option<ExitStatus> {
        let end = Instant::now() + deadline;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= end {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `deadline` for an output line containing `needle`.
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
}

impl Drop for ServeChild {
    fn drop(&mut self) {
        use nix::sys::signal::{Signal, kill};
        use nix::unistd::Pid;
        // The server's own children first (a forking server's), then the server.
        let children = child_processes(self.child.id());
        for &pid in &children {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Those the server did not reap were handed to us (we are their
        // subreaper): reap them, so that no zombie outlives the check.
        for pid in children {
            let _ = nix::sys::wait::waitpid(Pid::from_raw(pid as i32), None);
        }
    }
}

/// A field of `/proc/<pid>/status` (e.g. `Threads`), Linux only.
pub fn proc_status(pid: u32, field: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .map(|value| value.trim().to_string())
}

/// Pids of `parent`'s child processes (running or exited), Linux only.
pub fn child_processes(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| proc_status(pid, "PPid").as_deref() == Some(&parent.to_string()))
        .collect()
}

/// Pids of `parent`'s children that are zombies (exited, not yet reaped).
pub fn zombie_children(parent: u32) -> Vec<u32> {
    child_processes(parent)
        .into_iter()
        .filter(|&pid| proc_status(pid, "State").is_some_and(|s| s.starts_with('Z')))
        .collect()
}

/// Polls `condition` every 10 ms until it holds or `deadline` passes.
pub fn wait_until(deadline: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}
