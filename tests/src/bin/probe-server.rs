//! probe-server: a server for the framework's own tests, whose handler does
//! what each line asks (fail, panic, hold the connection, sleep...), so that
//! tests can drive forking servers from outside, in their own process.
//!
//! ```text
//! probe-server [--transport tcp|unix] [--model sequential|threading|forking]
//!              [--max-children N] [--allow IP] [--poll-ms N] [--foreign-child]
//!              [--stderr-to-stdout] [--max-fds N] [PORT | PATH]
//! probe-server --exit-codes
//! ```
//!
//! Commands, one per line; each answer is one line:
//!
//! | line | answer |
//! |---|---|
//! | `pid` | `pid <process id of the process running the handler>` |
//! | `fail` | none: the handler returns an error (`failed on command`) |
//! | `panic` | none: the handler panics (`panicked on command`) |
//! | `hold` | `held <pid>`, then nothing until the client closes |
//! | `sleep <ms>` | `slept` after that many milliseconds |
//! | `leak <n>` | `leaked <n>` after opening `/dev/null` n times, never closed |
//! | anything else | the line itself (echo) |
//!
//! `--foreign-child` forks, before serving, a child that exits at once with
//! status 72 and is not the server's: the line `foreign child <pid>` follows
//! the Serving line, and when the server stops it reaps that child itself and
//! prints `foreign child exited with <status>` (or `foreign child was reaped
//! by someone else`). `--max-fds N` lowers the descriptor limit, to run the
//! server out of descriptors. `--exit-codes` checks that forked children leave with
//! status 0 after success and 1 after an error or a panic.

use std::io::{self, BufRead, Write};
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use framework::{
    Bind, ForkingMixIn, Job, MixIn, Sequential, Server, ServerOptions, StreamRequest, TcpTransport,
    ThreadingMixIn, Transport, UnixStreamTransport,
};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

/// Parsed command line.
struct Args {
    transport: String,
    model: String,
    max_children: usize,
    allow: Option<IpAddr>,
    poll: Duration,
    foreign_child: bool,
    stderr_to_stdout: bool,
    exit_codes: bool,
    max_fds: Option<u64>,
    target: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        transport: "tcp".into(),
        model: "threading".into(),
        max_children: 40,
        allow: None,
        poll: Duration::from_millis(500),
        foreign_child: false,
        stderr_to_stdout: false,
        exit_codes: false,
        max_fds: None,
        target: "0".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--transport" => args.transport = value("--transport")?,
            "--model" => args.model = value("--model")?,
            "--max-children" => {
                args.max_children = value("--max-children")?
                    .parse()
                    .map_err(|e| format!("{e}"))?
            }
            "--allow" => args.allow = Some(value("--allow")?.parse().map_err(|e| format!("{e}"))?),
            "--poll-ms" => {
                let ms: u64 = value("--poll-ms")?.parse().map_err(|e| format!("{e}"))?;
                args.poll = Duration::from_millis(ms);
            }
            "--foreign-child" => args.foreign_child = true,
            "--stderr-to-stdout" => args.stderr_to_stdout = true,
            "--exit-codes" => args.exit_codes = true,
            "--max-fds" => {
                args.max_fds = Some(value("--max-fds")?.parse().map_err(|e| format!("{e}"))?)
            }
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            other => args.target = other.to_string(),
        }
    }
    Ok(args)
}

/// Descriptors opened on purpose by `leak`, kept open for the process's life.
static LEAKED: parking_lot::Mutex<Vec<std::fs::File>> = parking_lot::Mutex::new(Vec::new());

/// Does what each line says (see the module docs).
struct Probe;

impl framework::RequestHandler<StreamRequest> for Probe {
    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        let mut line = String::new();
        while request.rfile.read_line(&mut line)? > 0 {
            let command = line.trim_end().to_string();
            line.clear();
            let answer = match command.split_once(' ').unwrap_or((&command, "")) {
                ("pid", _) => format!("pid {}", std::process::id()),
                ("fail", _) => return Err(io::Error::other("failed on command")),
                ("panic", _) => panic!("panicked on command"),
                ("hold", _) => {
                    request
                        .wfile
                        .write_all(format!("held {}\n", std::process::id()).as_bytes())?;
                    // Wait for the client to close; whatever it sends is ignored.
                    while request.rfile.read_line(&mut line)? > 0 {
                        line.clear();
                    }
                    return Ok(());
                }
                ("leak", n) => {
                    let n: usize = n.parse().map_err(io::Error::other)?;
                    let mut leaked = LEAKED.lock();
                    for _ in 0..n {
                        leaked.push(std::fs::File::open("/dev/null")?);
                    }
                    format!("leaked {n}")
                }
                ("sleep", ms) => {
                    let ms = ms.parse().map_err(io::Error::other)?;
                    std::thread::sleep(Duration::from_millis(ms));
                    "slept".to_string()
                }
                _ => command,
            };
            request.wfile.write_all(format!("{answer}\n").as_bytes())?;
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(err) => {
            eprintln!("probe-server: {err}");
            return ExitCode::from(2);
        }
    };
    if args.stderr_to_stdout {
        // SAFETY: dup2 on the two standard descriptors; nothing else owns fd 2.
        unsafe { libc::dup2(1, 2) };
    }
    if args.exit_codes {
        return check_exit_codes();
    }
    if let Some(max) = args.max_fds {
        use nix::sys::resource::{Resource, getrlimit, setrlimit};
        let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
        setrlimit(Resource::RLIMIT_NOFILE, max, hard).expect("setrlimit");
    }
    // Forked first, while this process still has a single thread.
    let foreign = args.foreign_child.then(fork_foreign_child);
    let result = match args.transport.as_str() {
        "tcp" => {
            let port: u16 = args.target.parse().unwrap_or(0);
            serve::<TcpTransport, _>(&args, ("127.0.0.1", port), foreign)
        }
        "unix" => serve::<UnixStreamTransport, _>(&args, args.target.clone(), foreign),
        other => Err(io::Error::other(format!("unknown transport {other}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("probe-server: {err}");
            ExitCode::FAILURE
        }
    }
}

fn serve<T, A>(args: &Args, address: A, foreign: Option<Pid>) -> io::Result<()>
where
    T: Bind<A> + Transport<Request = StreamRequest>,
{
    let options = ServerOptions::default();
    match args.model.as_str() {
        "sequential" => run(
            args,
            Server::<T, Sequential, _>::bind_with(address, &options, || Probe)?,
            foreign,
        ),
        "threading" => run(
            args,
            Server::<T, ThreadingMixIn, _>::bind_with(address, &options, || Probe)?,
            foreign,
        ),
        "forking" => {
            let mut server = Server::<T, ForkingMixIn, _>::bind_with(address, &options, || Probe)?;
            server.mixin_mut().max_children = args.max_children;
            run(args, server, foreign)
        }
        other => Err(io::Error::other(format!("unknown model {other}"))),
    }
}

fn run<T, M, F>(args: &Args, mut server: Server<T, M, F>, foreign: Option<Pid>) -> io::Result<()>
where
    T: Transport<Request = StreamRequest>,
    M: MixIn,
    F: Fn() -> Probe + Send + Sync + 'static,
{
    if let Some(allowed) = args.allow {
        server.set_verify_request(move |client| client.inet().map(|a| a.ip()) == Some(allowed));
    }
    let address = server.server_address();
    match address.inet() {
        Some(inet) => say(&format!(
            "Serving probe, {} on {} port {} ...",
            args.model,
            inet.ip(),
            inet.port()
        )),
        None => say(&format!("Serving probe, {} on {address} ...", args.model)),
    }
    if let Some(pid) = foreign {
        say(&format!("foreign child {pid}"));
    }
    server.shutdown_on_ctrl_c()?;
    server.serve_forever_with_poll_interval(args.poll)?;
    say("stopped");
    if let Some(pid) = foreign {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, status)) => {
                say(&format!("foreign child exited with {status}"))
            }
            other => say(&format!(
                "foreign child was reaped by someone else ({other:?})"
            )),
        }
    }
    server.server_close();
    say("closed");
    Ok(())
}

/// Prints one line and flushes it, so the test sees it at once.
fn say(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// A child that is not the server's: it exits at once with status 72 and
/// stays a zombie until `run` reaps it at the end.
fn fork_foreign_child() -> Pid {
    // SAFETY: called while the process has one thread; the child only calls _exit.
    match unsafe { fork() }.expect("fork works") {
        ForkResult::Parent { child } => child,
        ForkResult::Child => unsafe { libc::_exit(72) },
    }
}

/// Runs three jobs through `ForkingMixIn::process_request` (one succeeds,
/// one fails, one panics) and prints the exit status of each child.
fn check_exit_codes() -> ExitCode {
    let mixin = ForkingMixIn::default();
    type Body = fn() -> bool;
    let jobs: [(&str, Body); 3] = [
        ("success", || true),
        ("error", || false),
        ("panic", || panic!("a job panicked")),
    ];
    let mut statuses = Vec::new();
    for (name, body) in jobs {
        let (read_end, write_end) = nix::unistd::pipe().expect("pipe");
        let job: Job = Box::new(move || {
            let _ = nix::unistd::write(&write_end, std::process::id().to_string().as_bytes());
            drop(write_end);
            body()
        });
        mixin
            .process_request(job, &[])
            .expect("fork works in a single-threaded process");
        let mut text = String::new();
        io::Read::read_to_string(&mut std::fs::File::from(read_end), &mut text)
            .expect("the child writes its pid");
        let pid = Pid::from_raw(text.parse().expect("a pid"));
        // Waited for here, before the mix-in's own reaping can take it.
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, status)) => statuses.push(format!("{name}={status}")),
            other => statuses.push(format!("{name}={other:?}")),
        }
    }
    say(&format!("exit codes: {}", statuses.join(" ")));
    ExitCode::SUCCESS
}
