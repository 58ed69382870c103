//! soak (`cargo soak`, `just soak`): each server for a stated time under
//! load from its own clients, with faults mixed in, and what that did to it.
//!
//! ```text
//! cargo soak [-- --seconds 60 --clients 8 --only http|echo --model MODEL]
//! ```
//!
//! The servers run in this process's own executable (`soak __http-server
//! ...`), so the figures are of the code just built. Each client thread
//! loops until the time is up; of every ten connections six are
//! well-formed requests whose answers are checked, and four are faults: a
//! client that vanishes mid-request, a half-closed socket (request sent,
//! then `shutdown(Write)`, answer still read and checked), a slow reader
//! that stops reading a large answer and hangs up, an oversized line.
//! Printed per server: well-formed requests done, errors among them, faults
//! sent, RSS and open fds at the start, at 10 s and at the end, and zombie
//! children. Exits 1 on any error or zombie.

use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use std::os::unix::process::CommandExt;

/// Soak http-server and echo-server under load with faults.
#[derive(Parser)]
#[command(name = "soak")]
struct Args {
    /// Seconds per server.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Client threads.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Only this server (`http` or `echo`).
    #[arg(long)]
    only: Option<String>,
    /// The serving model to pass to both servers (default: each one's own).
    #[arg(long)]
    model: Option<String>,
}

/// A server process, killed with its process group when dropped.
struct Running {
    child: Child,
    port: u16,
}

impl Drop for Running {
    fn drop(&mut self) {
        let group = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

/// What the clients counted.
#[derive(Default)]
struct Counts {
    done: AtomicU64,
    errors: AtomicU64,
    faults: AtomicU64,
}

/// RSS (KiB) and open fds of a process, from /proc.
fn rss_and_fds(pid: u32) -> (u64, usize) {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let fds = fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
    (rss, fds)
}

/// Children of `pid` that are zombies (state `Z` in /proc/N/stat).
fn zombies(pid: u32) -> usize {
    let Ok(entries) = fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            // pid (comm) state ppid ...: the comm may hold spaces, so split after ')'.
            let Some((_, rest)) = stat.rsplit_once(')') else {
                return false;
            };
            let mut fields = rest.split_whitespace();
            let state = fields.next();
            let ppid = fields.next().and_then(|p| p.parse::<u32>().ok());
            state == Some("Z") && ppid == Some(pid)
        })
        .count()
}

fn start(kind: &str, dir: &Path, model: Option<&str>) -> Result<Running, String> {
    let mut command = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
    command.arg(format!("__{kind}-server"));
    if kind == "http" {
        command.arg("-q").arg("--directory").arg(dir);
    }
    if let Some(model) = model {
        command.args(["--model", model]);
    }
    command
        .arg("0")
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().map_err(|e| e.to_string())?;
    let line = examples::serving::first_line(&mut child, Duration::from_secs(10));
    let port = line.as_deref().and_then(examples::serving::port_in);
    match port {
        Some(port) => Ok(Running { child, port }),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("{kind}-server printed no port: {line:?}"))
        }
    }
}

fn connect(port: u16) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    Ok(stream)
}

/// One well-formed exchange (half-closed after the request when `half`);
/// `Ok(false)` when the answer was wrong.
fn well_formed(kind: &str, port: u16, i: u64, half: bool) -> std::io::Result<bool> {
    let mut stream = connect(port)?;
    if kind == "http" {
        stream.write_all(b"GET /hello.txt HTTP/1.0\r\nHost: soak\r\n\r\n")?;
        if half {
            stream.shutdown(Shutdown::Write)?;
        }
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        // The server answers as HTTP/1.1 (its protocol version), closing.
        let ok = answer.starts_with(b"HTTP/1.") && answer.get(8..13) == Some(b" 200 ");
        Ok(ok && answer.ends_with(&[b'h'; 1024]))
    } else {
        let line = format!("line {i} {}\n", "e".repeat((i % 200) as usize));
        stream.write_all(line.as_bytes())?;
        if half {
            stream.shutdown(Shutdown::Write)?;
        }
        let mut answer = vec![0; line.len()];
        stream.read_exact(&mut answer)?;
        Ok(answer == line.as_bytes())
    }
}

/// One fault: 0 vanish mid-request, 1 slow reader that gives up, 2 oversized line.
fn fault(kind: &str, port: u16, which: u64) -> std::io::Result<()> {
    let mut stream = connect(port)?;
    match (which, kind) {
        (0, "http") => stream.write_all(b"GET /hello.t")?,
        (0, _) => stream.write_all(b"half a li")?,
        (1, "http") => {
            stream.write_all(b"GET /big.bin HTTP/1.0\r\n\r\n")?;
            let mut some = [0; 1024];
            let _ = stream.read(&mut some)?;
            std::thread::sleep(Duration::from_millis(20));
        }
        (1, _) => {
            // 256 KiB of lines, never read: the server's writes fill up.
            stream.set_nonblocking(true)?;
            let lines = "x".repeat(1023) + "\n";
            for _ in 0..256 {
                if stream.write_all(lines.as_bytes()).is_err() {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        (_, "http") => {
            let line = format!("GET /{} HTTP/1.0\r\n\r\n", "a".repeat(70_000));
            stream.write_all(line.as_bytes())?;
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
        }
        (_, _) => {
            stream.set_nonblocking(true)?;
            let _ = stream.write_all(&[b'y'; 200_000]);
        }
    }
    Ok(())
}

fn soak(kind: &str, args: &Args, dir: &Path) -> Result<bool, String> {
    let server = start(kind, dir, args.model.as_deref())?;
    let pid = server.child.id();
    let counts = Counts::default();
    let begin = Instant::now();
    let end = begin + Duration::from_secs(args.seconds);
    let at_start = rss_and_fds(pid);
    let mut at_ten = None;
    std::thread::scope(|scope| {
        for client in 0..args.clients as u64 {
            let counts = &counts;
            scope.spawn(move || {
                let mut i = client;
                while Instant::now() < end {
                    i += args.clients as u64;
                    match i % 10 {
                        n @ 0..=5 => match well_formed(kind, server.port, i, n == 5) {
                            Ok(true) => counts.done.fetch_add(1, Ordering::Relaxed),
                            _ => counts.errors.fetch_add(1, Ordering::Relaxed),
                        },
                        n => {
                            let _ = fault(kind, server.port, n - 6);
                            counts.faults.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
            });
        }
        while Instant::now() < end {
            std::thread::sleep(Duration::from_millis(200));
            if at_ten.is_none() && begin.elapsed() >= Duration::from_secs(10) {
                at_ten = Some(rss_and_fds(pid));
            }
        }
    });
    // Let the server close what the last clients left.
    std::thread::sleep(Duration::from_millis(500));
    let at_end = rss_and_fds(pid);
    let zombies = zombies(pid);
    let (done, errors, faults) = (
        counts.done.into_inner(),
        counts.errors.into_inner(),
        counts.faults.into_inner(),
    );
    let ten = at_ten.map_or("-".to_string(), |(rss, fds)| {
        format!("{rss} KiB, {fds} fds")
    });
    println!(
        "{kind}-server ({} s, {} clients, model {}): {done} requests, {errors} errors, {faults} faults; \
         RSS/fds start {} KiB, {} fds; at 10 s {ten}; end {} KiB, {} fds; zombies {zombies}",
        args.seconds,
        args.clients,
        args.model.as_deref().unwrap_or("default"),
        at_start.0,
        at_start.1,
        at_end.0,
        at_end.1,
    );
    Ok(errors == 0 && zombies == 0)
}

fn main() -> ExitCode {
    let argv: Vec<_> = std::env::args_os().collect();
    match argv.get(1).and_then(|a| a.to_str()) {
        Some("__http-server") => return examples::http::main(argv[1..].to_vec()),
        Some("__echo-server") => return examples::echo::main(argv[1..].to_vec()),
        _ => {}
    }
    let args = Args::parse_from(argv);
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(err) => {
            eprintln!("soak: {err}");
            return ExitCode::FAILURE;
        }
    };
    let written = fs::write(dir.path().join("hello.txt"), [b'h'; 1024])
        .and_then(|()| fs::write(dir.path().join("big.bin"), vec![7u8; 4 << 20]));
    if let Err(err) = written {
        eprintln!("soak: {err}");
        return ExitCode::FAILURE;
    }
    let mut all_good = true;
    for kind in ["http", "echo"] {
        if args.only.as_deref().is_some_and(|only| only != kind) {
            continue;
        }
        match soak(kind, &args, dir.path()) {
            Ok(good) => all_good &= good,
            Err(err) => {
                eprintln!("soak: {err}");
                all_good = false;
            }
        }
    }
    if all_good {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
