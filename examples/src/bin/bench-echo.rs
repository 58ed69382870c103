//! bench-echo: how fast is the framework's echo server, in each of its
//! models, against a plain std thread-per-connection echo, a hand-written
//! epoll echo, and Python's socketserver and selectors?
//!
//! ```text
//! cargo bench-echo [--duration 2] [--rounds 3] [--workers 4] [--connections 64]
//!                   [--idle 10000,20000] [--no-python] [--no-build] [--only NAME,...]
//! ```
//!
//! Two figures per server, each measured for `--duration` seconds, in
//! `--rounds` rounds that take turns over all servers; the table shows the
//! median round:
//!
//! - **connection rate**: `--workers` threads each loop on connect, send
//!   64 bytes (one line), read the 64-byte echo, close;
//! - **ping-pong**: `--connections` persistent connections (opened one by
//!   one, each answered once before the next is opened, so that Python's
//!   listen backlog of 5 does not turn the start into a storm of SYN
//!   retries); one epoll thread keeps one 64-byte line in flight on each and
//!   counts round trips; p50 and p99 are round-trip latencies.
//!
//! Beside each figure: the CPU the load generator used, and the CPU the
//! server used (its children included), in percent of one core.
//! The machine has 2 cores: a generator near 100 % is a ceiling to keep in mind.
//!
//! Then the **idle** figure, for each `--idle` count: a fresh server of each
//! model that can hold that many connections gets that many clients that
//! connect and say nothing; the table shows the server's resident memory
//! (RSS) growth per connection and its thread count while they are held,
//! then every one of them sends a line and must get it back.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;

#[path = "bench-echo/idle.rs"]
mod idle;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::resource::{UsageWho, getrusage};

/// Echo benchmark: connection rate and ping-pong round trips.
#[derive(Parser)]
#[command(name = "bench-echo")]
struct Args {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 2.0)]
    duration: f64,
    /// Rounds over all servers; each figure is the median round.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Connecting workers for the connection-rate figure.
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Persistent connections for the ping-pong figure.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Skip Python's socketserver even if python3 is installed.
    #[arg(long)]
    no_python: bool,
    /// Do not run `cargo build --release` for the servers first.
    #[arg(long)]
    no_build: bool,
    /// Only these targets (names as in the table's first column, comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Idle connection counts to hold (0 skips the idle figure).
    #[arg(long, value_delimiter = ',', default_value = "10000,20000")]
    idle: Vec<usize>,
}

/// Each line sent is 63 bytes and a newline.
const LINE: &[u8; 64] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.\n";

/// Children a forking server may have at once in this benchmark: above the
/// ping-pong's connection count, since each connection holds a child.
const MAX_CHILDREN: usize = 128;

/// Python's socketserver echo, with a StreamRequestHandler.
const PYTHON_SERVER: &str = r#"
import socketserver, sys
class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)
cls = getattr(socketserver, sys.argv[1])
if sys.argv[1] == "ForkingTCPServer":
    cls.max_children = int(sys.argv[2])
with cls(("127.0.0.1", 0), Echo) as server:
    print(f"Serving python {sys.argv[1]} on 127.0.0.1 port {server.server_address[1]} ...", flush=True)
    server.serve_forever()
"#;

/// Python's `selectors` echo: one thread, non-blocking sockets, epoll
/// underneath (`DefaultSelector`), what a Python programmer writes for the
/// course's IO multiplexing model.
const PYTHON_SELECTORS: &str = r#"
import selectors, socket
sel = selectors.DefaultSelector()
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(socket.SOMAXCONN)
srv.setblocking(False)
sel.register(srv, selectors.EVENT_READ, None)
print(f"Serving python selectors on 127.0.0.1 port {srv.getsockname()[1]} ...", flush=True)
def close(conn):
    sel.unregister(conn)
    conn.close()
while True:
    for key, mask in sel.select():
        if key.data is None:
            while True:
                try:
                    conn, _ = srv.accept()
                except (BlockingIOError, InterruptedError):
                    break
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, b"")
            continue
        conn, out = key.fileobj, key.data
        if mask & selectors.EVENT_READ:
            try:
                data = conn.recv(65536)
            except (BlockingIOError, InterruptedError):
                data = None
            except ConnectionError:
                data = b""
            if data == b"":
                close(conn)
                continue
            if data:
                out += data
        try:
            sent = conn.send(out) if out else 0
        except (BlockingIOError, InterruptedError):
            sent = 0
        except ConnectionError:
            close(conn)
            continue
        rest = out[sent:]
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if rest else 0)
        sel.modify(conn, events, rest)
"#;

/// A server to measure.
struct Target {
    name: &'static str,
    command: Command,
    /// Whether it serves many persistent connections at once.
    concurrent: bool,
}

/// Workers of the pool model: above the ping-pong's connection count,
/// since a blocking handler holds its worker for its connection's life.
const POOL_WORKERS: usize = 128;

fn targets(args: &Args, dir: &Path) -> Vec<Target> {
    let mut list: Vec<Target> = [
        ("framework poll", "poll", true),
        ("framework threading", "threading", true),
        ("framework pool", "pool", true),
        ("framework forking", "forking", true),
        ("framework sequential", "sequential", false),
    ]
    .into_iter()
    .map(|(name, model, concurrent)| Target {
        name,
        command: framework_command(dir, model),
        concurrent,
    })
    .collect();
    for (name, program) in [
        ("raw epoll", "raw-epoll-echo"),
        ("plain std threads", "plain-echo"),
    ] {
        let mut command = Command::new(dir.join(program));
        command.arg("0");
        list.push(Target {
            name,
            command,
            concurrent: true,
        });
    }
    if args.no_python {
        println!("(Python skipped: --no-python)");
    } else if Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        for (name, class, concurrent) in [
            ("python Threading", "ThreadingTCPServer", true),
            ("python Forking", "ForkingTCPServer", true),
            ("python TCPServer", "TCPServer", false),
        ] {
            let mut command = Command::new("python3");
            command.args(["-c", PYTHON_SERVER, class, &MAX_CHILDREN.to_string()]);
            list.push(Target {
                name,
                command,
                concurrent,
            });
        }
        let mut selectors = Command::new("python3");
        selectors.args(["-c", PYTHON_SELECTORS]);
        list.push(Target {
            name: "python selectors",
            command: selectors,
            concurrent: true,
        });
    } else {
        println!("(Python skipped: python3 is not installed)");
    }
    if !args.only.is_empty() {
        list.retain(|t| args.only.iter().any(|o| o == t.name));
    }
    list
}

/// `echo-server` in one model, as the benchmark runs it.
fn framework_command(dir: &Path, model: &str) -> Command {
    let mut command = Command::new(dir.join("echo-server"));
    command.args([
        "--model",
        model,
        "--max-children",
        &MAX_CHILDREN.to_string(),
        "--workers",
        &POOL_WORKERS.to_string(),
        "0",
    ]);
    command
}

/// A running server, killed when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
}

impl Server {
    pub(crate) fn start(command: &mut Command) -> io::Result<Server> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let line =
            examples::serving::first_line(&mut child, Duration::from_secs(10)).unwrap_or_default();
        let port = examples::serving::port_in(&line);
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other(format!("no Serving line, got {line:?}")));
        };
        Ok(Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        })
    }

    /// CPU seconds the server has used: its own, its reaped children's, and
    /// its live children's (a forking server's work is done in children).
    fn cpu_seconds(&self) -> f64 {
        let pid = self.child.id();
        let mut ticks = stat_ticks(pid).map_or(0.0, |(own, reaped, _)| own + reaped);
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Some(other) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                    continue;
                };
                if let Some((own, _, ppid)) = stat_ticks(other) {
                    if ppid == pid {
                        ticks += own;
                    }
                }
            }
        }
        // SAFETY: sysconf only reads a system constant.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        ticks / hz
    }
}

/// From `/proc/<pid>/stat`: (utime + stime, cutime + cstime, ppid), in ticks.
fn stat_ticks(pid: u32) -> Option<(f64, f64, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name: state ppid ... utime(14) stime cutime cstime(17).
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split_whitespace().collect();
    let num = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let ppid = fields.get(1)?.parse().ok()?;
    Some((num(11) + num(12), num(13) + num(14), ppid))
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU seconds this process (the load generator) has used.
fn own_cpu_seconds() -> f64 {
    let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    secs(usage.user_time()) + secs(usage.system_time())
}

/// One figure, with what it cost.
#[derive(Clone, Copy, Default)]
struct Figure {
    rate: f64,
    gen_cpu: f64,
    server_cpu: f64,
    errors: u64,
    p50_us: f64,
    p99_us: f64,
}

/// Measures `body` for its duration, with the CPU both sides used.
fn measured(server: &Server, body: impl FnOnce() -> (u64, u64)) -> Figure {
    // The server's figure first: reading it walks /proc, work that must not
    // count as the generator's.
    let srv0 = server.cpu_seconds();
    let (gen0, start) = (own_cpu_seconds(), Instant::now());
    let (count, errors) = body();
    let elapsed = start.elapsed().as_secs_f64();
    Figure {
        rate: count as f64 / elapsed,
        gen_cpu: 100.0 * (own_cpu_seconds() - gen0) / elapsed,
        server_cpu: 100.0 * (server.cpu_seconds() - srv0) / elapsed,
        errors,
        ..Figure::default()
    }
}

/// One connection: connect, send a line, read it back, close.
fn one_connection(addr: SocketAddr) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(LINE)?;
    let mut echo = [0u8; 64];
    stream.read_exact(&mut echo)?;
    if &echo != LINE {
        return Err(io::Error::other("wrong echo"));
    }
    Ok(())
}

fn connection_rate(server: &Server, workers: usize, duration: Duration) -> Figure {
    measured(server, || {
        let done = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let end = Instant::now() + duration;
        let addr = server.addr;
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (done, failed) = (Arc::clone(&done), Arc::clone(&failed));
                thread::spawn(move || {
                    while Instant::now() < end {
                        match one_connection(addr) {
                            Ok(()) => done.fetch_add(1, Ordering::Relaxed),
                            Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                        };
                    }
                })
            })
            .collect();
        for handle in handles {
            let _ = handle.join();
        }
        (done.load(Ordering::Relaxed), failed.load(Ordering::Relaxed))
    })
}

/// One persistent ping-pong connection driven by the epoll loop.
struct Pinger {
    stream: TcpStream,
    sent_at: Instant,
    received: usize,
}

fn ping_pong(server: &Server, connections: usize, duration: Duration) -> io::Result<Figure> {
    // Opened one at a time, each answered once, so every one is accepted
    // (and, for a forking server, has its child) before the next arrives.
    let mut pingers = Vec::with_capacity(connections);
    for _ in 0..connections {
        let mut stream = TcpStream::connect(server.addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.write_all(LINE)?;
        let mut echo = [0u8; 64];
        stream.read_exact(&mut echo)?;
        stream.set_nonblocking(true)?;
        pingers.push(Pinger {
            stream,
            sent_at: Instant::now(),
            received: 0,
        });
    }
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
    for (i, p) in pingers.iter().enumerate() {
        epoll.add(
            p.stream.as_fd(),
            EpollEvent::new(EpollFlags::EPOLLIN, i as u64),
        )?;
    }
    let mut latencies: Vec<u32> = Vec::with_capacity(1 << 20);
    let mut figure = measured(server, || {
        let end = Instant::now() + duration;
        for p in &mut pingers {
            p.sent_at = Instant::now();
            if (&p.stream).write_all(LINE).is_err() {
                return (0, 1);
            }
        }
        let mut events = vec![EpollEvent::empty(); connections];
        let mut buf = [0u8; 64];
        let mut errors = 0;
        // A server that closes a connection ends the measurement: it failed.
        let mut closed = false;
        while Instant::now() < end && !closed {
            let n = match epoll.wait(&mut events, EpollTimeout::from(100u16)) {
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => break,
            };
            for event in &events[..n] {
                let p = &mut pingers[event.data() as usize];
                match (&p.stream).read(&mut buf[..64 - p.received]) {
                    Ok(0) => {
                        errors += 1;
                        closed = true;
                    }
                    Ok(k) => {
                        p.received += k;
                        if p.received == 64 {
                            let now = Instant::now();
                            latencies.push((now - p.sent_at).as_micros() as u32);
                            p.received = 0;
                            p.sent_at = now;
                            // 64 bytes fit in any socket buffer: never blocks.
                            if (&p.stream).write_all(LINE).is_err() {
                                errors += 1;
                            }
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => errors += 1,
                }
            }
        }
        (latencies.len() as u64, errors)
    });
    // End politely: say we are done and read the last echo, so that no
    // server sees a reset (and reports it as a failed request).
    for p in &pingers {
        let _ = p.stream.set_nonblocking(false);
        let _ = p.stream.shutdown(std::net::Shutdown::Write);
        let _ = io::copy(&mut &p.stream, &mut io::sink());
    }
    latencies.sort_unstable();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .map_or(0.0, |&v| v as f64)
    };
    figure.p50_us = pick(0.50);
    figure.p99_us = pick(0.99);
    Ok(figure)
}

/// Both figures for one target.
struct Row {
    name: &'static str,
    conn: Option<Figure>,
    ping: Option<Figure>,
    note: String,
}

/// A started target and every figure measured on it so far.
struct Started {
    name: &'static str,
    concurrent: bool,
    server: Option<Server>,
    conn: Vec<Figure>,
    ping: Vec<Figure>,
    note: String,
}

impl Started {
    fn start(mut target: Target) -> Started {
        let mut started = Started {
            name: target.name,
            concurrent: target.concurrent,
            server: None,
            conn: Vec::new(),
            ping: Vec::new(),
            note: String::new(),
        };
        match Server::start(&mut target.command) {
            Ok(server) => {
                // A short warm-up, so that lazy start-up work is not measured.
                for _ in 0..20 {
                    let _ = one_connection(server.addr);
                }
                started.server = Some(server);
            }
            Err(err) => started.note = format!("did not start: {err}"),
        }
        started
    }

    /// One round: the connection rate, then (if it serves connections
    /// side by side) the ping-pong.
    fn measure(&mut self, args: &Args) {
        let Some(server) = &self.server else { return };
        let duration = Duration::from_secs_f64(args.duration);
        self.conn
            .push(connection_rate(server, args.workers, duration));
        if !self.concurrent {
            self.note = "one connection at a time: no ping-pong".into();
            return;
        }
        match ping_pong(server, args.connections, duration) {
            Ok(figure) => self.ping.push(figure),
            Err(err) => self.note = format!("ping-pong failed: {err}"),
        }
    }

    /// The median round of each figure.
    fn row(&self) -> Row {
        Row {
            name: self.name,
            conn: median(&self.conn),
            ping: median(&self.ping),
            note: self.note.clone(),
        }
    }
}

/// The figure with the median rate (its CPU and latencies come with it).
fn median(figures: &[Figure]) -> Option<Figure> {
    let mut sorted = figures.to_vec();
    sorted.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    sorted.get(sorted.len() / 2).copied()
}

fn build_servers() {
    let Some(cargo) = std::env::var_os("CARGO") else {
        println!("(not run by cargo: using the servers already built next to bench-echo)");
        return;
    };
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let status = Command::new(cargo)
        .args([
            "build",
            "-q",
            "--release",
            "-p",
            "examples",
            "--bins",
            "--manifest-path",
        ])
        .arg(manifest)
        .status();
    if !status.is_ok_and(|s| s.success()) {
        println!("(cargo build --release failed: using whatever is built)");
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Thousands of idle connections need a descriptor each on both sides;
    // the servers started below inherit the limit.
    idle::raise_fd_limit(4 * args.idle.iter().max().copied().unwrap_or(0) + 1024);
    let dir: PathBuf = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .expect("the executable has a directory");
    if !args.no_build {
        build_servers();
    }
    for needed in ["echo-server", "plain-echo", "raw-epoll-echo"] {
        if !dir.join(needed).exists() {
            eprintln!(
                "bench-echo: {} is missing; run `cargo build --release -p examples --bins`",
                dir.join(needed).display()
            );
            return ExitCode::FAILURE;
        }
    }
    println!(
        "bench-echo: {:.1} s per figure, median of {} rounds; {} connecting workers; {} ping-pong connections; \
         64-byte lines; forking servers with max_children {MAX_CHILDREN}; {} cores, load average {} at start",
        args.duration,
        args.rounds,
        args.workers,
        args.connections,
        thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    // Every server runs for the whole benchmark; the rounds take turns, so
    // that a burst of load from elsewhere on the machine hits all of them.
    let mut started: Vec<Started> = targets(&args, &dir)
        .into_iter()
        .map(Started::start)
        .collect();
    for round in 1..=args.rounds {
        for target in &mut started {
            eprint!("\r  round {round}/{}: {:<24}", args.rounds, target.name);
            target.measure(&args);
            // Let exiting children and closing connections settle.
            thread::sleep(Duration::from_millis(200));
        }
    }
    eprintln!();
    let rows: Vec<Row> = started.iter().map(Started::row).collect();
    drop(started);
    print_table(&rows);
    for &count in args.idle.iter().filter(|&&n| n > 0) {
        idle::figure(&dir, count, &args.only, !args.no_python);
    }
    println!("load average at end: {}", load_average());
    ExitCode::SUCCESS
}

fn print_table(rows: &[Row]) {
    let by_name: HashMap<&str, &Row> = rows.iter().map(|r| (r.name, r)).collect();
    let plain = by_name.get("plain std threads");
    let ratio = |value: f64, reference: Option<f64>| match reference {
        Some(r) if r > 0.0 => format!("{:.2}x", value / r),
        _ => "-".into(),
    };
    println!();
    println!(
        "{:<22} {:>9} {:>7} {:>5} {:>5} {:>4} | {:>9} {:>7} {:>6} {:>6} {:>5} {:>5}",
        "server",
        "conn/s",
        "/plain",
        "gen%",
        "srv%",
        "err",
        "rt/s",
        "/plain",
        "p50us",
        "p99us",
        "gen%",
        "srv%"
    );
    for row in rows {
        let mut line = format!("{:<22}", row.name);
        match row.conn {
            Some(c) => {
                line += &format!(
                    " {:>9.0} {:>7} {:>5.0} {:>5.0} {:>4}",
                    c.rate,
                    ratio(c.rate, plain.and_then(|p| p.conn).map(|f| f.rate)),
                    c.gen_cpu,
                    c.server_cpu,
                    c.errors
                )
            }
            None => line += &format!(" {:>9} {:>7} {:>5} {:>5} {:>4}", "-", "-", "-", "-", "-"),
        }
        line += " |";
        match row.ping {
            Some(p) => {
                line += &format!(
                    " {:>9.0} {:>7} {:>6.0} {:>6.0} {:>5.0} {:>5.0}",
                    p.rate,
                    ratio(p.rate, plain.and_then(|p| p.ping).map(|f| f.rate)),
                    p.p50_us,
                    p.p99_us,
                    p.gen_cpu,
                    p.server_cpu
                )
            }
            None => line += &format!(" {:>9}", "-"),
        }
        if !row.note.is_empty() {
            line += &format!("  ({})", row.note);
        }
        println!("{line}");
    }
    println!();
    // The targets: the framework costs nothing against plain std or a
    // hand-written epoll loop, the event loop beats threads at ping-pong,
    // and the framework beats Python's servers.
    let targets: [(&str, &str, usize, Option<f64>); 9] = [
        ("framework threading", "plain std threads", 0, Some(0.9)),
        ("framework threading", "plain std threads", 1, Some(0.9)),
        ("framework poll", "raw epoll", 1, Some(0.9)),
        ("framework poll", "framework threading", 1, Some(1.5)),
        ("framework poll", "python selectors", 1, None),
        ("framework pool", "framework threading", 1, None),
        ("framework threading", "python Threading", 0, Some(3.5)),
        ("framework threading", "python Threading", 1, Some(3.5)),
        ("framework forking", "python Forking", 0, Some(3.0)),
    ];
    for (a, b, which, target) in targets {
        let (Some(x), Some(y)) = (by_name.get(a), by_name.get(b)) else {
            continue;
        };
        let pick = |row: &Row| if which == 0 { row.conn } else { row.ping };
        let (Some(xv), Some(yv)) = (pick(x), pick(y)) else {
            continue;
        };
        let label = if which == 0 { "conn/s" } else { "rt/s" };
        let r = xv.rate / yv.rate;
        match target {
            Some(target) => {
                let verdict = if r >= target { "meets" } else { "MISSES" };
                println!("{a} / {b}, {label}: {r:.2}x (target >= {target}x: {verdict})");
            }
            None => println!("{a} / {b}, {label}: {r:.2}x"),
        }
    }
    println!(
        "gen% / srv%: CPU of the load generator / of the server, in % of one core. \
         err: failed connections."
    );
}
