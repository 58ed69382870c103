//! bench-http (`cargo bench-http`, `just bench-http`): `http-server` under
//! `wrk`, side by side with `python3 -m http.server --protocol HTTP/1.1` and
//! nginx (access log off; one worker, and `worker_processes auto`), in the
//! same run, on loopback. Ours runs on the event loop (one loop, and one per
//! core) and in the threading model.
//!
//! ```text
//! cargo bench-http [-- --duration 5 --connections 64 --rounds 1]
//! ```
//!
//! Three loads: a 1 KiB file over kept-alive connections, the same with
//! `Connection: close` (a new connection per request), and a 10 MiB file.
//! Each cell is `wrk -t1 -cC -dD --latency`; with several rounds the median
//! round (by requests/s) is shown, the servers taking turns so that a
//! change in the machine's load hits all of them alike.
//!
//! Then two figures of holding connections (`bench-http/hold.rs`): 10,000
//! idle kept-alive connections (RSS growth per connection), and a
//! slowloris of 1,000 half-sent heads while a bystander asks 100 times.
//!
//! Our server runs in this process's own executable (`bench-http
//! __http-server ...`), so the figures are of the code just built.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;

#[path = "bench-http/hold.rs"]
mod hold;
#[path = "bench-http/tls.rs"]
mod tls;

/// Benchmark http-server against python3 -m http.server and nginx with wrk.
#[derive(Parser, Debug)]
#[command(name = "bench-http")]
struct Args {
    /// Seconds per wrk run.
    #[arg(long, default_value_t = 5)]
    duration: u64,
    /// Concurrent connections (wrk -c).
    #[arg(long, default_value_t = 64)]
    connections: u32,
    /// Rounds per cell; the median is shown.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// Leave Python out (it is slow and noisy on Connection: close).
    #[arg(long)]
    no_python: bool,
    /// Idle kept-alive connections for the RSS figure (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    idle: usize,
}

/// One load to put on every server.
struct Load {
    name: &'static str,
    path: &'static str,
    close: bool,
}

const LOADS: [Load; 3] = [
    Load {
        name: "1 KiB keep-alive",
        path: "/1k.bin",
        close: false,
    },
    Load {
        name: "1 KiB Connection: close",
        path: "/1k.bin",
        close: true,
    },
    Load {
        name: "10 MiB keep-alive",
        path: "/10m.bin",
        close: false,
    },
];

/// What one wrk run measured.
#[derive(Debug, Clone, Default)]
struct Figures {
    requests_per_sec: f64,
    mb_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

/// A server process, stopped (with its whole process group) when dropped.
struct Running {
    name: &'static str,
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

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "__http-server") {
        return examples::http::main(args[1..].to_vec());
    }
    let args = Args::parse_from(args);
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench-http: {err}");
            ExitCode::FAILURE
        }
    }
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    if !have("wrk") {
        println!("bench-http: wrk is not installed, so there is nothing to measure with.");
        println!(
            "Install it with:  sudo apt-get install -y wrk   (Debian/Ubuntu; `brew install wrk` on macOS)"
        );
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    write_files(dir.path())?;
    let cpus = thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "bench-http: wrk -t1 -c{} -d{}s --latency, {} round(s); {cpus} CPUs; load average before: {}",
        args.connections,
        args.duration,
        args.rounds,
        loadavg()
    );

    examples::proc_info::raise_fd_limit();
    let mut servers = vec![
        start_ours(dir.path(), &["--model", "poll"], "poll")?,
        start_ours(
            dir.path(),
            &["--model", "poll", "--loops", &cpus.to_string()],
            "poll×N",
        )?,
        start_ours(dir.path(), &["--model", "threading"], "thread")?,
    ];
    for (workers, name) in [("1", "nginx1"), ("auto", "nginx")] {
        match start_nginx(dir.path(), workers, name, None) {
            Ok(Some(nginx)) => servers.push(nginx),
            Ok(None) => println!("nginx: not installed (sudo apt-get install -y nginx) — left out"),
            Err(err) => println!("nginx: could not start ({err}) — left out"),
        }
    }
    if !args.no_python {
        match start_python(dir.path()) {
            Ok(python) => servers.push(python),
            Err(err) => println!("python3: could not start ({err}) — left out"),
        }
    }
    for server in &servers {
        println!("  {:<8} on 127.0.0.1:{}", server.name, server.port);
    }

    // results[load][server] = figures of each round.
    let mut results = vec![vec![Vec::new(); servers.len()]; LOADS.len()];
    for round in 0..args.rounds {
        for (l, load) in LOADS.iter().enumerate() {
            for (s, server) in servers.iter().enumerate() {
                let url = format!("http://127.0.0.1:{}{}", server.port, load.path);
                let figures = wrk(args, &url, load)?;
                eprintln!(
                    "  round {} {:<24} {:<8} {:>10.0} req/s",
                    round + 1,
                    load.name,
                    server.name,
                    figures.requests_per_sec
                );
                results[l][s].push(figures);
            }
        }
    }
    let medians: Vec<Vec<Figures>> = results
        .into_iter()
        .map(|per_server| per_server.into_iter().map(median).collect())
        .collect();
    print_table(&servers, &medians);
    print_targets(&servers, &medians);
    if args.idle > 0 {
        hold::idle_figure(&servers, args.idle);
    }
    hold::slowloris_figure(&servers);
    drop(servers);
    tls::figure(args, dir.path())?;
    println!("\nload average after: {}", loadavg());
    Ok(())
}

fn write_files(dir: &Path) -> std::io::Result<()> {
    // Not all zeros, so nothing can compress or dedupe it on the way.
    let pattern = |len: usize| -> Vec<u8> { (0..len).map(|i| (i * 131 % 251) as u8).collect() };
    fs::write(dir.join("1k.bin"), pattern(1024))?;
    fs::write(dir.join("10m.bin"), pattern(10 * 1024 * 1024))
}

/// A free loopback port: bind port 0, read the port, let it go. (nginx
/// cannot listen on port 0 and report the port, so it gets one this way.)
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn spawn(mut command: Command) -> std::io::Result<Child> {
    // Its own process group, so that Drop stops it and all its children.
    command.process_group(0).stdin(Stdio::null()).spawn()
}

/// Waits for a `Serving ... port N` line on the child's stdout.
fn read_port(child: &mut Child) -> Result<u16, Box<dyn std::error::Error>> {
    let line = examples::serving::first_line(child, Duration::from_secs(10))
        .ok_or("no first line on stdout within 10 s")?;
    let port = examples::serving::port_in(&line).ok_or_else(|| format!("no port in {line:?}"))?;
    Ok(port)
}

fn start_ours(
    dir: &Path,
    model: &[&str],
    name: &'static str,
) -> Result<Running, Box<dyn std::error::Error>> {
    let mut command = Command::new(std::env::current_exe()?);
    // -q: no access log, as nginx runs with access_log off.
    command
        .args(["__http-server", "-q"])
        .args(model)
        .arg("--directory")
        .arg(dir)
        .args(["--max-connections", "16384", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = spawn(command)?;
    let port = read_port(&mut child)?;
    Ok(Running { name, child, port })
}

fn start_python(dir: &Path) -> Result<Running, Box<dyn std::error::Error>> {
    let mut command = Command::new("python3");
    // -u: unbuffered, or the banner would sit in a pipe buffer.
    command
        .args([
            "-u",
            "-m",
            "http.server",
            "--protocol",
            "HTTP/1.1",
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(dir)
        .arg("0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = spawn(command)?;
    let port = read_port(&mut child)?;
    Ok(Running {
        name: "python",
        child,
        port,
    })
}

fn start_nginx(
    dir: &Path,
    workers: &str,
    name: &'static str,
    tls: Option<&tls::Files>,
) -> Result<Option<Running>, Box<dyn std::error::Error>> {
    let nginx = [
        "/usr/sbin/nginx",
        "/usr/local/sbin/nginx",
        "/usr/local/nginx/sbin/nginx",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists());
    let Some(nginx) = nginx else {
        return Ok(None);
    };
    let prefix = dir.join(name);
    fs::create_dir_all(prefix.join("logs"))?;
    let port = free_port()?;
    let conf = prefix.join("nginx.conf");
    let p = prefix.display();
    // No access log, sendfile on; tcp_nopush off (the issue's setting for
    // the latency comparison) and tcp_nodelay on; enough connections per
    // worker for the idle figure.
    fs::write(
        &conf,
        format!(
            "worker_processes {workers};\ndaemon off;\npid {p}/nginx.pid;\nerror_log {p}/logs/error.log;\n\
             worker_rlimit_nofile 20000;\nevents {{ worker_connections 19000; }}\n\
             http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush off;\n  tcp_nodelay on;\n  \
             keepalive_requests 1000000;\n  client_body_temp_path {p}/body;\n  proxy_temp_path {p}/proxy;\n  \
             fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n  \
             server {{ listen 127.0.0.1:{port}{}; root {}; }}\n}}\n",
            tls.map_or(String::new(), |t| format!(
                " ssl; ssl_certificate {}; ssl_certificate_key {}; ssl_session_cache off",
                t.cert.display(),
                t.key.display()
            )),
            dir.display()
        ),
    )?;
    let mut command = Command::new(nginx);
    command
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .arg(&prefix)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let child = spawn(command)?;
    let running = Running { name, child, port };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("nginx did not listen within 10 s".into());
        }
        thread::sleep(Duration::from_millis(20));
    }
    Ok(Some(running))
}

fn wrk(args: &Args, url: &str, load: &Load) -> Result<Figures, Box<dyn std::error::Error>> {
    let mut command = Command::new("wrk");
    command.args([
        "-t1",
        &format!("-c{}", args.connections),
        &format!("-d{}s", args.duration),
        "--timeout",
        "5s",
        "--latency",
    ]);
    if load.close {
        command.args(["-H", "Connection: close"]);
    }
    command.arg(url);
    let output = command.output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse_wrk(&text).ok_or_else(|| format!("could not read wrk's output:\n{text}").into())
}

/// Reads `Requests/sec`, `Transfer/sec`, the 50% and 99% latencies and the
/// error counts from wrk's report.
fn parse_wrk(text: &str) -> Option<Figures> {
    let mut figures = Figures::default();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", value] => figures.requests_per_sec = value.parse().ok()?,
            ["Transfer/sec:", value] => figures.mb_per_sec = bytes(value)? / 1e6,
            ["50%", value] => figures.p50_ms = millis(value)?,
            ["99%", value] => figures.p99_ms = millis(value)?,
            ["Socket", "errors:", rest @ ..] => {
                figures.errors += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            ["Non-2xx", "or", "3xx", "responses:", n] => figures.errors += n.parse::<u64>().ok()?,
            _ => {}
        }
    }
    (figures.requests_per_sec > 0.0).then_some(figures)
}

fn split_unit(value: &str) -> Option<(f64, &str)> {
    let at = value.find(|c: char| c.is_ascii_alphabetic())?;
    Some((value[..at].parse().ok()?, &value[at..]))
}

fn millis(value: &str) -> Option<f64> {
    let (n, unit) = split_unit(value)?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => return None,
    })
}

fn bytes(value: &str) -> Option<f64> {
    let (n, unit) = split_unit(value)?;
    Some(match unit {
        "B" => n,
        "KB" => n * 1024.0,
        "MB" => n * 1024.0 * 1024.0,
        "GB" => n * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    })
}

/// The round with the median requests/s.
fn median(mut rounds: Vec<Figures>) -> Figures {
    rounds.sort_by(|a, b| a.requests_per_sec.total_cmp(&b.requests_per_sec));
    rounds[rounds.len() / 2].clone()
}

fn find(servers: &[Running], name: &str) -> Option<usize> {
    servers.iter().position(|s| s.name == name)
}

fn print_table(servers: &[Running], medians: &[Vec<Figures>]) {
    let nginx = find(servers, "nginx");
    let nginx1 = find(servers, "nginx1");
    let python = find(servers, "python");
    println!(
        "\n{:<24} {:<7} {:>10} {:>9} {:>9} {:>9} {:>7} {:>9} {:>9} {:>9}",
        "load",
        "server",
        "req/s",
        "MB/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "÷ nginx",
        "÷ nginx1",
        "÷ python"
    );
    for (l, load) in LOADS.iter().enumerate() {
        for (s, server) in servers.iter().enumerate() {
            let f = &medians[l][s];
            let ratio = |other: Option<usize>| match other {
                Some(o) if medians[l][o].requests_per_sec > 0.0 => {
                    format!(
                        "{:.2}×",
                        f.requests_per_sec / medians[l][o].requests_per_sec
                    )
                }
                _ => "-".to_string(),
            };
            println!(
                "{:<24} {:<7} {:>10.0} {:>9.1} {:>9.2} {:>9.2} {:>7} {:>9} {:>9} {:>9}",
                load.name,
                server.name,
                f.requests_per_sec,
                f.mb_per_sec,
                f.p50_ms,
                f.p99_ms,
                f.errors,
                ratio(nginx),
                ratio(nginx1),
                ratio(python)
            );
        }
    }
}

fn print_targets(servers: &[Running], medians: &[Vec<Figures>]) {
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    let rps = |l: usize, s: usize| medians[l][s].requests_per_sec;
    println!("\ntargets (issue 13):");
    for ours in ["poll", "poll×N"] {
        let Some(o) = find(servers, ours) else {
            continue;
        };
        if let Some(n) = find(servers, "nginx") {
            let r = rps(0, o) / rps(0, n);
            let p99 = (medians[0][o].p99_ms, medians[0][n].p99_ms);
            println!(
                "  {ours}: 1 KiB keep-alive {r:.2}× nginx auto (≥ 1.0×: {}); p99 {:.2} ms vs {:.2} ms (no worse: {})",
                verdict(r >= 1.0),
                p99.0,
                p99.1,
                verdict(p99.0 <= p99.1)
            );
        }
        if let Some(n) = find(servers, "nginx1") {
            let r = rps(0, o) / rps(0, n);
            let p99 = (medians[0][o].p99_ms, medians[0][n].p99_ms);
            println!(
                "  {ours}: 1 KiB keep-alive {r:.2}× nginx w1 (≥ 1.2×: {}); p99 {:.2} ms vs {:.2} ms (no worse: {})",
                verdict(r >= 1.2),
                p99.0,
                p99.1,
                verdict(p99.0 <= p99.1)
            );
            let r = rps(1, o) / rps(1, n);
            println!(
                "  {ours}: 1 KiB Connection: close {r:.2}× nginx w1 (≥ 1.0×: {})",
                verdict(r >= 1.0)
            );
            let r = rps(2, o) / rps(2, n);
            println!("  {ours}: 10 MiB keep-alive {r:.2}× nginx w1");
        }
        if let Some(p) = find(servers, "python") {
            let r = rps(0, o) / rps(0, p);
            println!("  {ours}: 1 KiB keep-alive {r:.0}× python http.server");
        }
    }
    if let (Some(o), Some(t)) = (find(servers, "poll"), find(servers, "thread")) {
        println!(
            "  poll / threading, 1 KiB keep-alive: {:.2}×; Connection: close: {:.2}×; 10 MiB: {:.2}×",
            rps(0, o) / rps(0, t),
            rps(1, o) / rps(1, t),
            rps(2, o) / rps(2, t)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let text = "  Latency Distribution\n     50%  601.00us\n     75%    1.00ms\n     99%    7.80ms\n\
                    Socket errors: connect 0, read 3, write 0, timeout 2\n\
                    Requests/sec:  54480.06\nTransfer/sec:     65.83MB\n";
        let f = parse_wrk(text).unwrap();
        assert_eq!(f.requests_per_sec, 54480.06);
        assert!((f.p50_ms - 0.601).abs() < 1e-9);
        assert_eq!(f.p99_ms, 7.8);
        assert_eq!(f.errors, 5);
        assert!((f.mb_per_sec - 65.83 * 1.048576).abs() < 0.01);
    }
}
