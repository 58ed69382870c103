//! bench-ftp (`cargo bench-ftp`, `just bench-ftp`): the FTP-style server
//! against the loopback limit, measured in the same run.
//!
//! ```text
//! bench-ftp [--size-mib N] [--runs N] [--clients N] [--dir DIR]
//! ```
//!
//! 1. A plain socket copy of the test file (read 256 KiB, write, receiver
//!    discards): the reference, what one loopback TCP connection carries.
//! 2. Download (`G`): the server sends with splice through a 1 MiB pipe
//!    (`ftp::transfer::send_file`); the client discards. Next to it, the
//!    same zero-copy send without server or protocol, to separate the cost
//!    of the mechanism from the cost of the server.
//! 3. Upload (`P`): the client sends as the plain copy does; the server writes the
//!    library file (a hidden temporary file, renamed when complete). A plain
//!    write of the same size to the library's file system is shown next to
//!    it (the library is on tmpfs, `/dev/shm`, unless `--dir` says otherwise).
//!    Next to it, the plain copy once more, but with a receiver that writes
//!    a new file in the library: what the machine allows an upload.
//! 4. N clients at once that connect, list and quit: total time
//!    (threading and forking servers).
//! 5. The threading server's peak RSS with N idle clients connected.
//!
//! Each transfer runs `--runs` times (8), taking turns (the three copies
//! of step 1 and 2 change which goes first each run); the table shows the
//! median of the runs (on a shared machine a single run can be 30% off
//! either way, and a best-of figure is decided by that one run), every run
//! and the bests are printed below the table, with
//! the CPU time the reading thread used in the plain, zero-copy and
//! download runs. The server
//! is this same executable run as `bench-ftp __server ...`, so that a plain
//! `cargo run --bin bench-ftp` builds everything the benchmark needs.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

use clap::Parser;
use nix::time::{ClockId, clock_gettime};

use examples::ftp::client::Session;

const MIB: u64 = 1024 * 1024;

/// The benchmark's command line.
#[derive(Parser)]
#[command(name = "bench-ftp")]
struct Options {
    /// The test file's size, in MiB.
    #[arg(long, default_value_t = 1024)]
    size_mib: u64,
    /// How many times each transfer runs.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// How many clients list at once, and sit idle for the RSS figure.
    #[arg(long, default_value_t = 300)]
    clients: usize,
    /// Where the library goes (default: /dev/shm, when it has room).
    #[arg(long)]
    dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "__server") {
        // The server under test, in its own process (for RSS, and for fork).
        let mut server_args = vec![std::ffi::OsString::from("ftp-server")];
        server_args.extend(args[2..].iter().cloned());
        return examples::ftp::server::main(server_args);
    }
    let options = Options::parse_from(args);
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-ftp: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A server started as a child process, killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(library: &Path, model: &str) -> Result<Server, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .args(["__server", "--model", model, "--max-children", "400"])
            .arg("--directory")
            .arg(library)
            .arg("0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the server: {e}"))?;
        // The request log that follows is read and dropped, so that the
        // server never blocks on it.
        let first = examples::serving::first_line(&mut child, std::time::Duration::from_secs(10))
            .unwrap_or_default();
        let Some(port) = examples::serving::port_in(&first) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "no Serving line from the server within 10 s: {first:?}"
            ));
        };
        Ok(Server {
            child,
            addr: format!("127.0.0.1:{port}"),
        })
    }

    /// A line of `/proc/<pid>/status`, in KiB (e.g. `VmHWM`, `VmRSS`).
    fn status_kib(&self, field: &str) -> Option<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(options: &Options) -> Result<(), String> {
    // tmpfs by default: the figures are about the server and the network
    // path, not the disk (on a virtual disk, writing 1 GiB can be the slowest
    // part by far; `--dir` measures another place, and the table shows the
    // plain write speed of wherever the library is).
    // The test file and two more of its size (an upload and a reference)
    // live there at once; a container's /dev/shm is often 64 MiB.
    let size = options.size_mib * MIB;
    let shm = Path::new("/dev/shm");
    let shm_has_room = nix::sys::statvfs::statvfs(shm).is_ok_and(|fs| {
        fs.blocks_available().saturating_mul(fs.fragment_size()) > 3 * size + 256 * MIB
    });
    let base = match &options.dir {
        Some(dir) => tempfile::tempdir_in(dir),
        None if shm_has_room => tempfile::tempdir_in(shm),
        None => tempfile::tempdir(),
    }
    .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    let library = base.path().join("library");
    fs::create_dir(&library).map_err(|e| e.to_string())?;
    let source = library.join("big.bin");
    println!(
        "bench-ftp: {} MiB file in {}, median of {} runs; {} clients",
        options.size_mib,
        base.path().display(),
        options.runs,
        options.clients
    );
    make_file(&source, size).map_err(|e| format!("cannot write the test file: {e}"))?;
    let upload_source = base.path().join("upload.bin");
    fs::hard_link(&source, &upload_source).map_err(|e| e.to_string())?;

    // The RSS figure first, on a fresh server, so that the transfers below
    // (and their buffers) do not count in its peak.
    let idle = idle_rss(&library, options.clients)?;

    // The three transfers take turns, run after run, so that a busy moment
    // of the (shared) machine does not fall on one of them only.
    let server = Server::start(&library, "threading")?;
    // Every run of each transfer, in seconds.
    let mut runs: [Vec<f64>; 6] = Default::default();
    // The reading thread's CPU time in the plain, zero-copy and download runs.
    let mut reader_cpu: [Vec<f64>; 3] = Default::default();
    let [
        plain_runs,
        sendfile_runs,
        download_runs,
        upload_runs,
        landed_runs,
        write_runs,
    ] = &mut runs;
    for run in 0..options.runs as usize {
        // The three take turns going first: whichever runs right after
        // the writes below meets a machine still settling from them.
        let mut copies = [None; 3];
        for turn in 0..3 {
            let which = (run + turn) % 3;
            copies[which] = Some(match which {
                0 => plain_copy(&source, size)?,
                1 => sendfile_copy(&source, size)?,
                _ => download_once(&server.addr, size)?,
            });
        }
        let copies = copies.map(|copy| copy.expect("each of the three ran"));
        plain_runs.push(copies[0].secs);
        sendfile_runs.push(copies[1].secs);
        download_runs.push(copies[2].secs);
        for (cpu, copy) in reader_cpu.iter_mut().zip(copies) {
            cpu.push(copy.reader_cpu);
        }
        // The three that write a new 1 GiB file run back to back, the
        // plain write first: on a virtual machine that gives freed memory
        // back to the host (free page reporting, about 2 s after it is
        // freed), the first to need new pages after a pause pays the host's
        // page faults. The upload and its reference take turns second.
        write_runs.push(local_write(&library, size)?);
        if run % 2 == 0 {
            upload_runs.push(upload_once(&server.addr, &library, &upload_source)?);
            landed_runs.push(receive_and_write_copy(&source, &library, size)?);
        } else {
            landed_runs.push(receive_and_write_copy(&source, &library, size)?);
            upload_runs.push(upload_once(&server.addr, &library, &upload_source)?);
        }
    }
    let [plain, sendfile, download, upload, landed, write] = runs.each_ref().map(|r| median(r));
    drop(server);

    let mut crowd = Vec::new();
    for model in ["threading", "forking"] {
        let server = Server::start(&library, model)?;
        let took = many_lists(&server.addr, options.clients)?;
        crowd.push((model, took));
    }

    let mbps = |secs: f64| size as f64 / secs / 1e6;
    println!();
    println!("| measurement | result | reference | ratio | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| plain socket copy, {} MiB | {:.0} MB/s | - | 1.00 | - |",
        options.size_mib,
        mbps(plain)
    );
    println!(
        "| zero-copy socket copy, send_file (no protocol) | {:.0} MB/s | {:.0} MB/s | {:.2} | - |",
        mbps(sendfile),
        mbps(plain),
        plain / sendfile
    );
    println!(
        "| download (G, splice) | {:.0} MB/s | {:.0} MB/s | {:.2} | >= 0.90 {} |",
        mbps(download),
        mbps(plain),
        plain / download,
        verdict(plain / download >= 0.9)
    );
    println!(
        "| plain file write to the library's file system | {:.0} MB/s | - | - | - |",
        mbps(write)
    );
    println!(
        "| plain socket copy whose receiver writes a new file in the library (no server) | {:.0} MB/s | {:.0} MB/s | {:.2} | - |",
        mbps(landed),
        mbps(plain),
        plain / landed,
    );
    println!(
        "| upload (P, temp file + rename) | {:.0} MB/s | {:.0} MB/s | {:.2} | >= 0.80 {} |",
        mbps(upload),
        mbps(plain),
        plain / upload,
        verdict(plain / upload >= 0.8)
    );
    println!(
        "| upload against the receive-and-write copy above | {:.0} MB/s | {:.0} MB/s | {:.2} | - |",
        mbps(upload),
        mbps(landed),
        landed / upload,
    );
    for (model, took) in &crowd {
        let target = if *model == "threading" {
            format!("< 1 s {}", verdict(*took < 1.0))
        } else {
            "-".to_string()
        };
        println!(
            "| {} clients connect+list+quit at once, {model} | {:.3} s | - | - | {target} |",
            options.clients, took
        );
    }
    println!(
        "| threading server RSS, idle (no client) | {:.1} MiB | - | - | - |",
        idle.0 as f64 / 1024.0
    );
    println!(
        "| threading server peak RSS (VmHWM), {} idle clients | {:.1} MiB | - | - | <= 16 MiB {} |",
        options.clients,
        idle.1 as f64 / 1024.0,
        verdict(idle.1 <= 16 * 1024)
    );
    println!(
        "| threading server RSS (VmRSS), {} idle clients | {:.1} MiB | - | - | - |",
        options.clients,
        idle.2 as f64 / 1024.0
    );
    let each = |runs: &[f64]| {
        runs.iter()
            .map(|secs| format!("{:.0}", mbps(*secs)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("\nEvery run, MB/s (the table shows the median of each):");
    for (name, runs) in [
        ("plain socket copy", &runs[0]),
        ("zero-copy socket copy", &runs[1]),
        ("download", &runs[2]),
        ("upload", &runs[3]),
        ("receive-and-write copy", &runs[4]),
        ("plain file write", &runs[5]),
    ] {
        println!("  {name:24} {}", each(runs));
    }
    println!(
        "CPU time of the reading thread, median: plain copy {:.2} s, zero-copy copy {:.2} s, download {:.2} s",
        median(&reader_cpu[0]),
        median(&reader_cpu[1]),
        median(&reader_cpu[2])
    );
    let best = |runs: &[f64]| runs.iter().copied().fold(f64::MAX, f64::min);
    let plain_best = best(&runs[0]);
    println!(
        "Bests instead of medians: download {:.2}x, upload {:.2}x the plain copy",
        plain_best / best(&runs[2]),
        plain_best / best(&runs[3])
    );
    println!("(loopback on a shared machine: figures vary by +-15% or more between runs;");
    println!(" writing a new file needs new pages, and on a virtual machine whose freed");
    println!(" pages go back to the host, touching them again can cost more than the copy)");
    Ok(())
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 0 {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "(met)" } else { "(NOT met)" }
}

/// Writes `size` bytes of a non-repeating-looking pattern, 1 MiB at a time.
fn make_file(path: &Path, size: u64) -> std::io::Result<()> {
    let mut file = File::create(path)?;
    let mut chunk = vec![0u8; MIB as usize];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut written = 0;
    while written < size {
        for byte in chunk.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = state as u8;
        }
        let n = chunk.len().min((size - written) as usize);
        file.write_all(&chunk[..n])?;
        written += n as u64;
    }
    file.sync_all()
}

/// The second reference: writing the same amount to a new file in the
/// library's directory (256 KiB writes), which an upload must also do.
fn local_write(library: &Path, size: u64) -> Result<f64, String> {
    let path = library.join(".write-test");
    let chunk = vec![7u8; 256 * 1024];
    let start = Instant::now();
    let mut file = File::create(&path).map_err(|e| e.to_string())?;
    let mut written = 0;
    while written < size {
        let n = chunk.len().min((size - written) as usize);
        file.write_all(&chunk[..n]).map_err(|e| e.to_string())?;
        written += n as u64;
    }
    drop(file);
    let took = start.elapsed().as_secs_f64();
    fs::remove_file(&path).map_err(|e| e.to_string())?;
    Ok(took)
}

/// Reads `size` bytes from `reader` and throws them away.
fn discard(reader: impl Read, size: u64) -> Result<(), String> {
    read_exactly(reader, size, 256 * 1024, |_| Ok(()))
}

/// Reads `size` bytes from `reader`, `chunk` bytes at most per read, and
/// hands each read's bytes to `each`.
fn read_exactly(
    mut reader: impl Read,
    size: u64,
    chunk: usize,
    mut each: impl FnMut(&[u8]) -> Result<(), String>,
) -> Result<(), String> {
    let mut buffer = vec![0u8; chunk];
    let mut left = size;
    while left > 0 {
        let want = buffer.len().min(left as usize);
        match reader.read(&mut buffer[..want]) {
            Ok(0) => return Err(format!("stream ended {left} bytes early")),
            Ok(n) => {
                each(&buffer[..n])?;
                left -= n as u64;
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(())
}

/// The reference: the file through one loopback connection with plain
/// read/write calls, no protocol and no server.
fn plain_copy(source: &Path, size: u64) -> Result<Transfer, String> {
    let source = source.to_path_buf();
    loopback_copy(size, move |mut socket| write_file_to(&source, &mut socket))
}

/// Times `size` bytes through one loopback connection: `send` writes them
/// on the accepted side (in a thread), this side reads and throws them away.
fn loopback_copy(
    size: u64,
    send: impl FnOnce(TcpStream) -> std::io::Result<()> + Send + 'static,
) -> Result<Transfer, String> {
    loopback_copy_into(send, |stream| discard(stream, size))
}

/// Times one loopback connection: `send` writes on the accepted side (in a
/// thread), `receive` reads on this side.
fn loopback_copy_into(
    send: impl FnOnce(TcpStream) -> std::io::Result<()> + Send + 'static,
    receive: impl FnOnce(&TcpStream) -> Result<(), String>,
) -> Result<Transfer, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let sender = thread::spawn(move || -> std::io::Result<()> {
        let (socket, _) = listener.accept()?;
        send(socket)
    });
    let timer = Transfer::start();
    let stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    receive(&stream)?;
    let took = timer.stop();
    sender
        .join()
        .map_err(|_| "the sender panicked".to_string())?
        .map_err(|e| e.to_string())?;
    Ok(took)
}

/// How long a transfer took, and how much CPU time the reading thread used
/// meanwhile (which shows where the loopback limit lies).
#[derive(Clone, Copy)]
struct Transfer {
    secs: f64,
    reader_cpu: f64,
}

impl Transfer {
    /// Starts timing, on the reading thread.
    fn start() -> Transfer {
        Transfer {
            secs: now_secs(),
            reader_cpu: thread_cpu_secs(),
        }
    }

    /// The time and CPU time since `start`.
    fn stop(self) -> Transfer {
        Transfer {
            secs: now_secs() - self.secs,
            reader_cpu: thread_cpu_secs() - self.reader_cpu,
        }
    }
}

fn now_secs() -> f64 {
    clock_secs(ClockId::CLOCK_MONOTONIC)
}

fn thread_cpu_secs() -> f64 {
    clock_secs(ClockId::CLOCK_THREAD_CPUTIME_ID)
}

fn clock_secs(clock: ClockId) -> f64 {
    clock_gettime(clock).map_or(0.0, |t| t.tv_sec() as f64 + t.tv_nsec() as f64 / 1e9)
}

/// `G big.bin`, the body read and thrown away.
fn download_once(addr: &str, size: u64) -> Result<Transfer, String> {
    let timer = Transfer::start();
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream
        .write_all(b"G big.bin\n")
        .map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(&stream);
    let mut header = String::new();
    reader.read_line(&mut header).map_err(|e| e.to_string())?;
    if header.trim_end() != format!("OK {size}") {
        return Err(format!("unexpected reply {header:?}"));
    }
    discard(reader, size)?;
    Ok(timer.stop())
}

/// `P up.bin`, the file's bytes sent the same way as in the plain copy
/// (read 256 KiB, write), so that only the receiving side differs.
fn upload_once(addr: &str, library: &Path, source: &Path) -> Result<f64, String> {
    let size = fs::metadata(source).map_err(|e| e.to_string())?.len();
    let start = Instant::now();
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
    let mut reply = || -> Result<String, String> {
        let mut line = String::new();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        Ok(line.trim_end().to_string())
    };
    stream
        .write_all(format!("P {size} up.bin\n").as_bytes())
        .map_err(|e| e.to_string())?;
    if reply()? != "OK" {
        return Err("the upload was refused".into());
    }
    write_file_to(source, &mut stream).map_err(|e| e.to_string())?;
    let stored = reply()?;
    let took = start.elapsed().as_secs_f64();
    if stored != "OK" {
        return Err(format!("the upload failed: {stored}"));
    }
    fs::remove_file(library.join("up.bin")).map_err(|e| e.to_string())?;
    Ok(took)
}

/// A third reference: the plain copy, but the receiver writes what it reads
/// into a new file in the library (1 MiB reads, then `write`), as an upload
/// must: the loopback limit and the file system's together, without server
/// or protocol.
fn receive_and_write_copy(source: &Path, library: &Path, size: u64) -> Result<f64, String> {
    let source = source.to_path_buf();
    let path = library.join(".receive-test");
    let took = loopback_copy_into(
        move |mut socket| write_file_to(&source, &mut socket),
        |stream| {
            let mut file = File::create(&path).map_err(|e| e.to_string())?;
            read_exactly(stream, size, 1024 * 1024, |bytes| {
                file.write_all(bytes).map_err(|e| e.to_string())
            })
        },
    )?;
    fs::remove_file(&path).map_err(|e| e.to_string())?;
    Ok(took.secs)
}

/// The plain way to send a file: read 256 KiB, write it, until the end.
fn write_file_to(source: &Path, socket: &mut TcpStream) -> std::io::Result<()> {
    let mut file = File::open(source)?;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(());
        }
        socket.write_all(&buffer[..n])?;
    }
}

/// A second reference: the same loopback copy, sent with the server's
/// zero-copy `send_file` and no protocol, to show what the mechanism itself
/// costs on loopback.
fn sendfile_copy(source: &Path, size: u64) -> Result<Transfer, String> {
    let source = source.to_path_buf();
    loopback_copy(size, move |socket| {
        let file = File::open(source)?;
        examples::ftp::transfer::send_file(&socket, &file, size, |_| {})
    })
}

/// `clients` threads that each connect, list and quit, started together.
fn many_lists(addr: &str, clients: usize) -> Result<f64, String> {
    let barrier = Arc::new(Barrier::new(clients + 1));
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let addr = addr.to_string();
            thread::spawn(move || -> Result<(), String> {
                barrier.wait();
                let mut session = Session::connect(&addr)?;
                session.list().map_err(|f| f.message().to_string())?;
                session.quit().map_err(|f| f.message().to_string())
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    for worker in workers {
        worker
            .join()
            .map_err(|_| "a client panicked".to_string())??;
    }
    Ok(start.elapsed().as_secs_f64())
}

/// A fresh threading server: RSS with no client, then peak and current RSS
/// (KiB) with `clients` connected clients that have each listed once and
/// then sit idle.
fn idle_rss(library: &Path, clients: usize) -> Result<(u64, u64, u64), String> {
    let server = Server::start(library, "threading")?;
    let before = server.status_kib("VmRSS:").unwrap_or(0);
    let mut idle = Vec::with_capacity(clients);
    for _ in 0..clients {
        // One request each, so that every connection has its thread running.
        let mut session = Session::connect(&server.addr)?;
        session.list().map_err(|f| f.message().to_string())?;
        idle.push(session);
    }
    let peak = server.status_kib("VmHWM:").unwrap_or(0);
    let now = server.status_kib("VmRSS:").unwrap_or(0);
    drop(idle);
    Ok((before, peak, now))
}
