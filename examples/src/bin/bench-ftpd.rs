//! bench-ftpd (`cargo bench-ftpd`, `just bench-ftpd`): the standard FTP
//! server `ftpd` against pyftpdlib and vsftpd, measured in the same run.
//!
//! ```text
//! bench-ftpd [--size-mib N] [--runs N] [--clients N] [--dir DIR] [--only NAME,...]
//!            [--congestion ALGORITHM] [--leave-page-reporting]
//! ```
//!
//! 0. A reference without FTP: 1 GiB over one loopback TCP connection,
//!    sent by one whole-file `sendfile` (for RETR; the receiver discards)
//!    or by the client's own way into a receiver that splices it into a
//!    new file next to the uploads (for STOR).
//! 1. RETR of a 1 GiB file, and STOR of 1 GiB, each `--runs` times taking
//!    turns between the servers (median shown): MB/s, the same client code
//!    for every server, and one that costs as little as possible so that
//!    the servers' differences show (as `wrk` for HTTP): it drops what it
//!    downloads in the kernel (`recv` with `MSG_TRUNC`, no copy) and
//!    uploads with `sendfile` from a file on tmpfs.
//! 2. `--clients` (300) clients at once, each: connect, USER/PASS, EPSV,
//!    LIST, QUIT. Wall time from the start signal to the last goodbye.
//! 3. Memory with `--clients` idle logged-in sessions: the PSS (the
//!    process's own pages plus its share of shared ones) summed over the
//!    server's process tree, so that one process per session (vsftpd,
//!    ftpd forking) and one process for all (ftpd threading, pyftpdlib)
//!    are counted alike.
//!
//! The servers: `ftpd` poll, threading and forking (this executable run as
//! `bench-ftpd __server ...`), pyftpdlib (`pip install pyftpdlib`; skipped
//! with a note if missing), vsftpd (`apt-get install vsftpd`; skipped with
//! a note if missing or not root, which its anonymous mode needs). The
//! served directory is on tmpfs (`/dev/shm`) unless `--dir` says otherwise:
//! the figures are about servers and the network path, not the disk.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;

const MIB: u64 = 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(120);

/// The benchmark's command line.
#[derive(Parser)]
#[command(name = "bench-ftpd")]
struct Options {
    /// The test file's size, in MiB.
    #[arg(long, default_value_t = 1024)]
    size_mib: u64,
    /// How many times each transfer runs per server.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// How many clients list at once, and sit idle for the memory figure.
    #[arg(long, default_value_t = 300)]
    clients: usize,
    /// Where the served directory goes (default: /dev/shm).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Only these servers (comma-separated names as printed).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Run in a network namespace of its own whose TCP congestion control
    /// is this one (`reno`, say), the same for every server and client;
    /// needs root. Without it, the machine's own (its name is printed).
    #[arg(long)]
    congestion: Option<String>,
    /// Leave the machine's free page reporting as it is (see
    /// [`HeldFreePages`]): upload figures then swing by 3x.
    #[arg(long)]
    leave_page_reporting: bool,
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "__server") {
        let mut server_args = vec![std::ffi::OsString::from("ftpd")];
        server_args.extend(args[2..].iter().cloned());
        return examples::ftp::rfc959::handler::main(server_args);
    }
    if args.get(1).is_some_and(|a| a == "__plain") {
        return plain_server_side(&args[2..]);
    }
    let options = Options::parse_from(args);
    if let Some(algorithm) = &options.congestion {
        // Before any thread exists: a namespace belongs to the thread that
        // makes it, and to the threads and processes it starts afterwards.
        if let Err(message) = own_network(algorithm) {
            eprintln!("bench-ftpd: {message}");
            return ExitCode::FAILURE;
        }
    }
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-ftpd: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Where the kernel keeps the congestion control of new TCP connections
/// (of the network namespace of whoever reads it).
const CONGESTION: &str = "/proc/sys/net/ipv4/tcp_congestion_control";

/// Moves this process into a new network namespace, brings its loopback
/// up, and makes `algorithm` the congestion control of every TCP
/// connection made in it. The servers and clients started afterwards
/// inherit the namespace, so every server is measured with the same
/// algorithm, and the machine's own setting is left as it was.
///
/// Why it matters on loopback: with BBR (the default of some machines,
/// this project's among them) one loopback connection stays near 2 GB/s
/// whatever the sender does, while Reno or CUBIC move 10 GB/s; see
/// `notes/17-ftp-server.md`.
fn own_network(algorithm: &str) -> Result<(), String> {
    use nix::sched::{CloneFlags, unshare};
    unshare(CloneFlags::CLONE_NEWNET)
        .map_err(|e| format!("cannot make a network namespace (root is needed): {e}"))?;
    let up = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status()
        .map_err(|e| format!("cannot run `ip link set lo up` (iproute2): {e}"))?;
    if !up.success() {
        return Err(format!("`ip link set lo up` failed: {up}"));
    }
    fs::write(CONGESTION, algorithm).map_err(|e| {
        let allowed = fs::read_to_string("/proc/sys/net/ipv4/tcp_allowed_congestion_control")
            .unwrap_or_default();
        format!(
            "cannot make {algorithm} the congestion control: {e} (allowed here: {})",
            allowed.trim()
        )
    })
}

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    FtpdPoll,
    FtpdThreading,
    FtpdForking,
    Pyftpdlib,
    Vsftpd,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::FtpdPoll => "ftpd poll",
            Kind::FtpdThreading => "ftpd threading",
            Kind::FtpdForking => "ftpd forking",
            Kind::Pyftpdlib => "pyftpdlib",
            Kind::Vsftpd => "vsftpd",
        }
    }
}

/// A server started as a child process, killed (with its children) when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    _config: Option<tempfile::NamedTempFile>,
}

const PYFTPDLIB: &str = r#"
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
import logging
logging.disable(logging.CRITICAL)
auth = DummyAuthorizer()
auth.add_anonymous(sys.argv[1], perm="elradfmwMT")
FTPHandler.authorizer = auth
FTPHandler.banner = "pyftpdlib ready."
server = FTPServer(("127.0.0.1", 0), FTPHandler, backlog=1024)
server.max_cons = 2000
server.max_cons_per_ip = 0
print("Serving pyftpdlib on 127.0.0.1 port %d ..." % server.address[1], flush=True)
server.serve_forever()
"#;

impl Server {
    fn start(kind: Kind, root: &Path) -> Result<Server, String> {
        let root_text = root.to_str().ok_or("a non-UTF-8 path")?;
        match kind {
            Kind::FtpdPoll | Kind::FtpdThreading | Kind::FtpdForking => {
                let exe = std::env::current_exe().map_err(|e| e.to_string())?;
                let model = kind.name().trim_start_matches("ftpd ");
                let mut command = Command::new(exe);
                command.args([
                    "__server",
                    "--model",
                    model,
                    "--max-children",
                    "2000",
                    "--writable",
                    "--max-connections",
                    "2000",
                    "--max-per-address",
                    "0",
                    "--directory",
                    root_text,
                    "0",
                ]);
                Server::spawn(command, None)
            }
            Kind::Pyftpdlib => {
                let mut command = Command::new("python3");
                command.args(["-c", PYFTPDLIB, root_text]);
                Server::spawn(command, None)
            }
            Kind::Vsftpd => {
                // vsftpd cannot listen on port 0: take a free port and hand it over.
                let port = TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .map_err(|e| e.to_string())?
                    .port();
                let mut config = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
                fs::create_dir_all("/var/run/vsftpd/empty").map_err(|e| e.to_string())?;
                write!(
                    config,
                    "listen=YES\nlisten_address=127.0.0.1\nlisten_port={port}\nbackground=NO\n\
                     anonymous_enable=YES\nanon_root={root_text}\nno_anon_password=YES\n\
                     local_enable=NO\nwrite_enable=YES\nanon_upload_enable=YES\n\
                     anon_other_write_enable=YES\nseccomp_sandbox=NO\nmax_clients=2000\n\
                     max_per_ip=0\npasv_enable=YES\nsecure_chroot_dir=/var/run/vsftpd/empty\n\
                     xferlog_enable=NO\n"
                )
                .map_err(|e| e.to_string())?;
                let mut command = Command::new("/usr/sbin/vsftpd");
                command.arg(config.path());
                let mut server = Server::spawn_without_line(command, port)?;
                server._config = Some(config);
                Ok(server)
            }
        }
    }

    fn spawn(
        mut command: Command,
        config: Option<tempfile::NamedTempFile>,
    ) -> Result<Server, String> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {command:?}: {e}"))?;
        let first =
            examples::serving::first_line(&mut child, Duration::from_secs(10)).unwrap_or_default();
        let Some(port) = examples::serving::port_in(&first) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no Serving line within 10 s: {first:?}"));
        };
        Ok(Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            _config: config,
        })
    }

    /// vsftpd prints nothing: wait until its port answers with a greeting.
    fn spawn_without_line(mut command: Command, port: u16) -> Result<Server, String> {
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {command:?}: {e}"))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut server = Server {
            child,
            addr,
            _config: None,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(mut c) = Client::connect(addr) {
                if c.cmd("QUIT").is_ok() {
                    return Ok(server);
                }
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("vsftpd exited: {status}"));
            }
            thread::sleep(Duration::from_millis(50));
        }
        Err("vsftpd did not answer within 10 s".to_string())
    }

    /// PSS in KiB, summed over the server and all its descendants.
    fn pss_kib(&self) -> u64 {
        let mut total = 0;
        let mut stack = vec![self.child.id()];
        while let Some(pid) = stack.pop() {
            let rollup =
                fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
            total += rollup
                .lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
            let children =
                fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
            stack.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
        total
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // vsftpd and forking servers leave session processes: end them too.
        let mut stack = vec![self.child.id()];
        let mut all = Vec::new();
        while let Some(pid) = stack.pop() {
            all.push(pid);
            let children =
                fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
            stack.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
        for pid in all.iter().skip(1) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(*pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal FTP client, the same for every server.
struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Result<Client, String> {
        Client::connect_patiently(addr, TIMEOUT, &AtomicUsize::new(0))
    }

    /// Connects and waits at most `greeting` for the `220`; if none comes,
    /// connects again (counted in `retries`), as a client with a timeout
    /// would. Needed for a server with a short listen queue (vsftpd's is
    /// 32): under a burst of connections the kernel answers with SYN
    /// cookies, the handshake's last ACK can be dropped, and a client that
    /// waits for the server to speak first would wait forever on a
    /// connection the server never saw.
    fn connect_patiently(
        addr: SocketAddr,
        greeting: Duration,
        retries: &AtomicUsize,
    ) -> Result<Client, String> {
        for _ in 0..20 {
            let stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
            stream
                .set_read_timeout(Some(greeting))
                .map_err(|e| e.to_string())?;
            stream.set_nodelay(true).map_err(|e| e.to_string())?;
            let reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
            let mut client = Client { stream, reader };
            match client.expect('2') {
                Ok(_) => {
                    client
                        .stream
                        .set_read_timeout(Some(TIMEOUT))
                        .map_err(|e| e.to_string())?;
                    return Ok(client);
                }
                Err(e) if e.contains("os error 11") => {
                    retries.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => return Err(e),
            }
        }
        Err("no greeting after 20 tries".to_string())
    }

    /// One whole reply; its text.
    fn reply(&mut self) -> Result<String, String> {
        let mut first = String::new();
        self.reader
            .read_line(&mut first)
            .map_err(|e| format!("reply: {e}"))?;
        if first.len() < 4 {
            return Err(format!("short reply {first:?}"));
        }
        if first.as_bytes()[3] == b'-' {
            let end = format!("{} ", &first[..3]);
            loop {
                let mut line = String::new();
                if self
                    .reader
                    .read_line(&mut line)
                    .map_err(|e| e.to_string())?
                    == 0
                {
                    return Err("closed in a reply".into());
                }
                if line.starts_with(&end) {
                    break;
                }
            }
        }
        Ok(first)
    }

    fn expect(&mut self, class: char) -> Result<String, String> {
        let r = self.reply()?;
        if r.starts_with(class) {
            Ok(r)
        } else {
            Err(format!("unexpected reply {r:?}"))
        }
    }

    fn cmd(&mut self, line: &str) -> Result<String, String> {
        self.stream
            .write_all(format!("{line}\r\n").as_bytes())
            .map_err(|e| e.to_string())?;
        self.reply()
    }

    fn ok(&mut self, line: &str) -> Result<String, String> {
        let r = self.cmd(line)?;
        if r.starts_with('2') || r.starts_with('3') {
            Ok(r)
        } else {
            Err(format!("{line}: {r:?}"))
        }
    }

    fn login(addr: SocketAddr) -> Result<Client, String> {
        let mut c = Client::connect(addr)?;
        c.ok("USER anonymous")?;
        c.ok("PASS bench@example.org")?;
        Ok(c)
    }

    /// EPSV, then `command`; the data connection once the server said 150.
    fn transfer(&mut self, command: &str) -> Result<TcpStream, String> {
        let r = self.ok("EPSV")?;
        let port: u16 = r
            .split("|||")
            .nth(1)
            .and_then(|p| p.split('|').next())
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("no port in {r:?}"))?;
        let data = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("data: {e}"))?;
        data.set_read_timeout(Some(TIMEOUT))
            .map_err(|e| e.to_string())?;
        let r = self.cmd(command)?;
        if !r.starts_with('1') {
            return Err(format!("{command}: {r:?}"));
        }
        Ok(data)
    }
}

/// Reads everything from `socket` until its end and drops it in the
/// kernel: `recv` with `MSG_TRUNC` on a TCP socket (Linux) discards the
/// bytes without copying them to us, so that the client costs as little
/// as possible and the server's cost shows (as `wrk` does for HTTP).
/// Returns the byte count.
fn discard(socket: &TcpStream) -> std::io::Result<u64> {
    use std::os::fd::AsRawFd;
    let mut got = 0u64;
    loop {
        // SAFETY: with MSG_TRUNC, TCP writes nothing into the buffer (it
        // may be null); it only counts the bytes it drops.
        let n = unsafe {
            libc::recv(
                socket.as_raw_fd(),
                std::ptr::null_mut(),
                16 << 20,
                libc::MSG_TRUNC,
            )
        };
        match n {
            0 => return Ok(got),
            n if n > 0 => got += n as u64,
            _ => {
                let err = std::io::Error::last_os_error();
                if err.kind() != std::io::ErrorKind::Interrupted {
                    return Err(err);
                }
            }
        }
    }
}

/// Sends `size` bytes of `file` (on tmpfs) to `socket` with `sendfile`,
/// from the page cache: the cheapest way for a client to send.
fn send_from(socket: &TcpStream, file: &fs::File, size: u64) -> std::io::Result<()> {
    let mut offset: i64 = 0;
    while (offset as u64) < size {
        let count = (size - offset as u64).min(1 << 30) as usize;
        match nix::sys::sendfile::sendfile(socket, file, Some(&mut offset), count) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(errno) => return Err(errno.into()),
        }
    }
    Ok(())
}

/// Seconds for one RETR of `name` (`size` bytes), dropped by [`discard`].
fn retr_once(addr: SocketAddr, name: &str, size: u64) -> Result<f64, String> {
    let mut c = Client::login(addr)?;
    c.ok("TYPE I")?;
    let start = Instant::now();
    let data = c.transfer(&format!("RETR {name}"))?;
    let got = discard(&data).map_err(|e| format!("RETR: {e}"))?;
    c.expect('2')?;
    let secs = start.elapsed().as_secs_f64();
    if got != size {
        return Err(format!("RETR: {got} bytes of {size}"));
    }
    let _ = c.cmd("QUIT");
    Ok(secs)
}

/// Seconds for one STOR as `name` of the `size` bytes of `source`, sent
/// by [`send_from`].
fn stor_once(addr: SocketAddr, name: &str, size: u64, source: &Path) -> Result<f64, String> {
    let file = fs::File::open(source).map_err(|e| e.to_string())?;
    let mut c = Client::login(addr)?;
    c.ok("TYPE I")?;
    let start = Instant::now();
    let data = c.transfer(&format!("STOR {name}"))?;
    send_from(&data, &file, size).map_err(|e| format!("STOR: {e}"))?;
    drop(data);
    c.expect('2')?;
    let secs = start.elapsed().as_secs_f64();
    let _ = c.cmd("QUIT");
    Ok(secs)
}

/// Seconds for `clients` clients at once to connect, log in, LIST and
/// QUIT, and how many connections got no greeting within 2 s and were
/// made again.
fn many_sessions(addr: SocketAddr, clients: usize) -> Result<(f64, usize), String> {
    let barrier = Arc::new(Barrier::new(clients + 1));
    let retries = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let retries = Arc::clone(&retries);
            thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || -> Result<(), String> {
                    barrier.wait();
                    let greeting = Duration::from_secs(2);
                    let mut c = Client::connect_patiently(addr, greeting, &retries)?;
                    c.ok("USER anonymous")?;
                    c.ok("PASS bench@example.org")?;
                    let mut data = c.transfer("LIST")?;
                    let mut listing = Vec::new();
                    data.read_to_end(&mut listing).map_err(|e| e.to_string())?;
                    c.expect('2')?;
                    c.ok("QUIT")?;
                    Ok(())
                })
                .expect("a client thread")
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    for worker in workers {
        worker
            .join()
            .map_err(|_| "a client panicked".to_string())??;
    }
    Ok((
        start.elapsed().as_secs_f64(),
        retries.load(Ordering::Relaxed),
    ))
}

/// PSS (KiB) of a fresh server with no client, then with `clients`
/// logged-in idle sessions.
fn idle_pss(kind: Kind, root: &Path, clients: usize) -> Result<(u64, u64), String> {
    let server = Server::start(kind, root)?;
    thread::sleep(Duration::from_millis(200));
    let before = server.pss_kib();
    let mut idle = Vec::with_capacity(clients);
    for _ in 0..clients {
        idle.push(Client::login(server.addr)?);
    }
    // Every session answered a command: its thread or process exists.
    for c in &mut idle {
        c.ok("NOOP")?;
    }
    let with = server.pss_kib();
    drop(idle);
    Ok((before, with))
}

/// The reference: the `size` bytes of `source` over one loopback TCP
/// connection without FTP, each end doing what the benchmark's client
/// does on its side and the simplest cheap thing on the server's side,
/// and the server's side in a process of its own, as every server is
/// (this executable run as `bench-ftpd __plain ...`, see
/// [`plain_server_side`]). Without `into` (what a download could reach):
/// the whole file handed to one `sendfile` (not ftpd's code, so that ftpd
/// is measured against something other than itself), dropped by
/// [`discard`]. With `into` (what an upload could reach): sent by
/// [`send_from`], spliced into a new file there as ftpd stores one.
/// Seconds, from the connection to the last byte handled.
fn plain_copy(size: u64, source: &Path, into: Option<&Path>) -> Result<f64, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut command = Command::new(exe);
    command.arg("__plain").arg(port.to_string());
    match into {
        Some(path) => command.arg("receive").arg(path),
        None => command.arg("send").arg(source).arg(size.to_string()),
    };
    let mut child = command
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {command:?}: {e}"))?;
    let (socket, _) = listener.accept().map_err(|e| e.to_string())?;
    let start = Instant::now();
    let moved = match into {
        Some(_) => {
            let file = fs::File::open(source).map_err(|e| e.to_string())?;
            let sent = send_from(&socket, &file, size);
            drop(socket);
            sent.map(|()| size)
        }
        None => discard(&socket),
    };
    let status = child.wait().map_err(|e| e.to_string())?;
    let secs = start.elapsed().as_secs_f64();
    if let Some(path) = into {
        let _ = fs::remove_file(path);
    }
    match moved {
        Ok(n) if n == size && status.success() => Ok(secs),
        Ok(n) => Err(format!("plain copy: {n} of {size} bytes, {status}")),
        Err(e) => Err(format!("plain copy: {e}")),
    }
}

/// The server's side of [`plain_copy`], in a process of its own: connects
/// to the benchmark's port, then `send FILE SIZE` sends the file with
/// `sendfile`, or `receive FILE` splices what comes into a new file as
/// ftpd does.
fn plain_server_side(args: &[std::ffi::OsString]) -> ExitCode {
    let run = || -> Result<(), String> {
        let text = |i: usize| {
            args.get(i)
                .and_then(|a| a.to_str())
                .ok_or("missing argument")
        };
        let port: u16 = text(0)?.parse().map_err(|_| "bad port")?;
        let socket = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        match text(1)? {
            "send" => {
                let file = fs::File::open(text(2)?).map_err(|e| e.to_string())?;
                let size: u64 = text(3)?.parse().map_err(|_| "bad size")?;
                send_from(&socket, &file, size).map_err(|e| e.to_string())
            }
            "receive" => {
                let mut file = fs::File::create(text(2)?).map_err(|e| e.to_string())?;
                examples::ftp::rfc959::store::receive(&socket, &mut file)
                    .map(|_| ())
                    .map_err(|e| format!("{e:?}"))
            }
            other => Err(format!("unknown plain side {other:?}")),
        }
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-ftpd __plain: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Where this kind of virtual machine says how long a freed page stays
/// free before the guest reports it to the host (which then takes it
/// back). Not every kernel has it.
const MIN_FREE_MS: &str = "/sys/module/page_reporting/parameters/min_free_ms";

/// How long [`HeldFreePages`] keeps freed pages in the guest, in seconds.
const HOLD_SECONDS: u32 = 300;

/// Free page reporting held back for as long as this value lives.
///
/// On this project's virtual machine the guest reports each page it frees
/// to the host at once (`min_free_ms` 0), and the host takes it back: the
/// next writer of that page pays a host page fault for it. A STOR writes
/// 1 GiB of fresh tmpfs pages, so its speed depended on which pages it
/// got, not on the server: measured, every server's uploads came out at
/// either about 800 or about 2,000 MB/s, at random. While this lives, a
/// freed page stays the guest's for 5 minutes (this kernel refused 10);
/// the old setting comes back on drop (after Ctrl-C, write it back by
/// hand: the message says how).
struct HeldFreePages {
    old: String,
}

impl HeldFreePages {
    fn hold() -> Option<HeldFreePages> {
        let old = fs::read_to_string(MIN_FREE_MS).ok()?;
        match fs::write(MIN_FREE_MS, (HOLD_SECONDS * 1000).to_string()) {
            Ok(()) => {
                let old_ms = old.trim();
                println!(
                    "free page reporting: freed pages are held {HOLD_SECONDS} s before they go \
                     back (it was {old_ms} ms; `echo {old_ms} > {MIN_FREE_MS}` puts it back)"
                );
                Some(HeldFreePages { old })
            }
            Err(e) => {
                println!("note: free page reporting left as it is ({e}): STOR figures may swing");
                None
            }
        }
    }
}

impl Drop for HeldFreePages {
    fn drop(&mut self) {
        let _ = fs::write(MIN_FREE_MS, self.old.trim());
    }
}

/// Writes and deletes a file of `size` bytes next to the uploads, just
/// before each STOR, so that every server's upload starts from the same
/// state: pages just used and freed (see [`HeldFreePages`] for why fresh
/// pages cost more here, and `notes/17-ftp-server.md`).
fn warm_pages(root: &Path, size: u64, chunk: &[u8]) -> Result<(), String> {
    let path = root.join("up/.warm");
    let mut f = fs::File::create(&path).map_err(|e| e.to_string())?;
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        f.write_all(&chunk[..n]).map_err(|e| e.to_string())?;
        left -= n as u64;
    }
    drop(f);
    fs::remove_file(&path).map_err(|e| e.to_string())
}

/// `theirs / ours` (seconds, so the speed of ours over theirs) for each
/// round, and their median: `round by round 1.20 1.31 ... (median 1.25x)`.
fn round_by_round(theirs: &[f64], ours: &[f64]) -> String {
    let ratios: Vec<f64> = theirs.iter().zip(ours).map(|(t, o)| t / o).collect();
    let shown: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
    format!(
        "round by round {} (median {:.2}x)",
        shown.join(" "),
        median(&ratios)
    )
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    sorted[sorted.len() / 2]
}

fn run(options: &Options) -> Result<(), String> {
    let size = options.size_mib * MIB;
    let base = match &options.dir {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir()),
    }
    .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    // The root belongs to root and is not writable by others (vsftpd
    // refuses a writable anonymous root); uploads go to up/, open to all.
    let root = base.path().join("root");
    let up = root.join("up");
    fs::create_dir_all(&up).map_err(|e| e.to_string())?;
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
    fs::set_permissions(&up, fs::Permissions::from_mode(0o777)).map_err(|e| e.to_string())?;
    for i in 0..20 {
        fs::write(root.join(format!("file-{i:02}.txt")), format!("file {i}\n"))
            .map_err(|e| e.to_string())?;
    }
    let chunk: Vec<u8> = (0..MIB).map(|i| (i * 7 % 251) as u8).collect();
    {
        let mut f = fs::File::create(root.join("big.bin")).map_err(|e| e.to_string())?;
        for _ in 0..options.size_mib {
            f.write_all(&chunk).map_err(|e| e.to_string())?;
        }
    }
    // What the client uploads: the same bytes, outside the served tree.
    let source = base.path().join("source.bin");
    fs::copy(root.join("big.bin"), &source).map_err(|e| e.to_string())?;

    let mut kinds = vec![Kind::FtpdPoll, Kind::FtpdThreading, Kind::FtpdForking];
    let python = Command::new("python3")
        .args(["-c", "import pyftpdlib"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if python {
        kinds.push(Kind::Pyftpdlib);
    } else {
        println!("note: pyftpdlib is not installed (pip install pyftpdlib): skipped");
    }
    // /proc/self belongs to the process's effective user.
    let root_user = fs::metadata("/proc/self").is_ok_and(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid() == 0
    });
    if Path::new("/usr/sbin/vsftpd").exists() && root_user {
        kinds.push(Kind::Vsftpd);
    } else {
        println!(
            "note: vsftpd is not installed (apt-get install vsftpd) or this is not root: skipped"
        );
    }
    if !options.only.is_empty() {
        kinds.retain(|k| options.only.iter().any(|o| o == k.name()));
    }
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let congestion = fs::read_to_string(CONGESTION).unwrap_or_default();
    println!(
        "bench-ftpd: {} MiB file in {}, median of {} runs; {} clients; TCP congestion control {}{}; {} cores, load average {}",
        options.size_mib,
        base.path().display(),
        options.runs,
        options.clients,
        congestion.trim(),
        if options.congestion.is_some() {
            " (a network namespace of its own)"
        } else {
            " (the machine's)"
        },
        thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );

    // Memory first, on fresh servers.
    let mut memory = Vec::new();
    for &kind in &kinds {
        memory.push(idle_pss(kind, &root, options.clients)?);
    }

    let held = if options.leave_page_reporting {
        None
    } else {
        HeldFreePages::hold()
    };
    if held.is_some() {
        // Pages for the first round's uploads too: written and freed now,
        // held from now on (the plain copy and a STOR each take a file's worth).
        warm_pages(&root, 3 * size, &chunk)?;
    }
    let servers: Vec<Server> = kinds
        .iter()
        .map(|&k| Server::start(k, &root))
        .collect::<Result<_, _>>()?;
    let mut retr: Vec<Vec<f64>> = vec![Vec::new(); kinds.len()];
    let mut stor: Vec<Vec<f64>> = vec![Vec::new(); kinds.len()];
    let mut sessions: Vec<Vec<f64>> = vec![Vec::new(); kinds.len()];
    let mut retried: Vec<usize> = vec![0; kinds.len()];
    let (mut plain_down, mut plain_up) = (Vec::new(), Vec::new());
    for run in 0..options.runs as usize {
        plain_down.push(plain_copy(size, &source, None)?);
        warm_pages(&root, size, &chunk)?;
        plain_up.push(plain_copy(size, &source, Some(&up.join(".plain")))?);
        // Take turns, starting with a different server each run.
        for k in 0..kinds.len() {
            let i = (k + run) % kinds.len();
            let addr = servers[i].addr;
            retr[i].push(
                retr_once(addr, "big.bin", size)
                    .map_err(|e| format!("{}: {e}", kinds[i].name()))?,
            );
            let name = format!("up/run-{run}-{i}.bin");
            warm_pages(&root, size, &chunk)?;
            stor[i].push(
                stor_once(addr, &name, size, &source)
                    .map_err(|e| format!("{}: {e}", kinds[i].name()))?,
            );
            let stored = fs::metadata(root.join(&name)).map(|m| m.len()).unwrap_or(0);
            if stored != size {
                return Err(format!(
                    "{}: STOR stored {stored} of {size} bytes",
                    kinds[i].name()
                ));
            }
            let _ = fs::remove_file(root.join(&name));
            let (secs, retries) = many_sessions(addr, options.clients)
                .map_err(|e| format!("{}: {e}", kinds[i].name()))?;
            sessions[i].push(secs);
            retried[i] += retries;
        }
    }

    let mb = size as f64 / 1e6;
    let rows: Vec<(f64, f64, f64)> = (0..kinds.len())
        .map(|i| {
            (
                mb / median(&retr[i]),
                mb / median(&stor[i]),
                median(&sessions[i]),
            )
        })
        .collect();
    println!();
    println!(
        "{:<16} {:>10} {:>10} {:>14} {:>12} {:>14}",
        "server", "RETR MB/s", "STOR MB/s", "sessions s", "PSS idle", "PSS +sessions"
    );
    println!(
        "{:<16} {:>10.0} {:>10.0}   (one TCP connection, no FTP: one sendfile; a splice into a file)",
        "plain TCP copy",
        mb / median(&plain_down),
        mb / median(&plain_up),
    );
    for (i, kind) in kinds.iter().enumerate() {
        let (r, s, t) = rows[i];
        let (before, with) = memory[i];
        println!(
            "{:<16} {:>10.0} {:>10.0} {:>14.3} {:>9.1} MiB {:>10.1} MiB",
            kind.name(),
            r,
            s,
            t,
            before as f64 / 1024.0,
            with as f64 / 1024.0
        );
    }
    println!();
    println!(
        "every run, in order (RETR MB/s | STOR MB/s | {} sessions, s | connections made again after 2 s without a greeting):",
        options.clients
    );
    let f = |v: &[f64], per: bool| {
        v.iter()
            .map(|x| {
                if per {
                    format!("{:.0}", mb / x)
                } else {
                    format!("{x:.3}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "  {:<16} {} | {}",
        "plain TCP copy",
        f(&plain_down, true),
        f(&plain_up, true)
    );
    for (i, kind) in kinds.iter().enumerate() {
        println!(
            "  {:<16} {} | {} | {} | {}",
            kind.name(),
            f(&retr[i], true),
            f(&stor[i], true),
            f(&sessions[i], false),
            retried[i]
        );
    }
    println!();
    let find = |k: Kind| kinds.iter().position(|&x| x == k);
    for ours in [Kind::FtpdPoll, Kind::FtpdThreading, Kind::FtpdForking] {
        let Some(us) = find(ours) else { continue };
        for (other, target) in [(Kind::Vsftpd, 1.0), (Kind::Pyftpdlib, 2.0)] {
            let Some(o) = find(other) else { continue };
            for (what, a, b, times) in [
                ("RETR", rows[us].0, rows[o].0, &retr),
                ("STOR", rows[us].1, rows[o].1, &stor),
            ] {
                let ratio = a / b;
                // The two servers' runs of the same round came minutes
                // apart at most: their ratio is less swayed by the load
                // of a shared machine, which moves every figure together.
                println!(
                    "{} / {}, {what}: {ratio:.2}x (target >= {target}x: {}); {}",
                    ours.name(),
                    other.name(),
                    if ratio >= target { "meets" } else { "MISSES" },
                    round_by_round(&times[o], &times[us])
                );
            }
            let ratio = rows[o].2 / rows[us].2;
            println!(
                "{} vs {}, {} sessions: {ratio:.2}x as fast (target: faster: {})",
                ours.name(),
                other.name(),
                options.clients,
                if ratio > 1.0 { "meets" } else { "MISSES" }
            );
            let (_, our_pss) = memory[us];
            let (_, their_pss) = memory[o];
            println!(
                "{} / {}, PSS with {} idle sessions: {:.2}x",
                ours.name(),
                other.name(),
                options.clients,
                our_pss as f64 / their_pss as f64
            );
        }
    }
    // How far above a server the plain copy (no FTP, the simplest cheap
    // way on each side) was, round by round: what a server gets from the
    // kernel's plain bulk calls alone.
    for other in [Kind::Pyftpdlib, Kind::Vsftpd] {
        let Some(o) = find(other) else { continue };
        for (what, plain, times) in [("RETR", &plain_down, &retr), ("STOR", &plain_up, &stor)] {
            println!(
                "plain TCP copy / {}, {what}: {}",
                other.name(),
                round_by_round(&times[o], plain)
            );
        }
    }
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at end: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(())
}
