//! The idle figure: how much does a server pay for a client that is
//! connected and says nothing? A thread per connection pays a thread (its
//! stack pages, its kernel task); an event loop pays a table entry.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

use examples::proc_info::{fd_count, status_field};

use super::{LINE, Server, framework_command};

/// Clients per source address: the 4-tuple must be unique, and one source
/// address has about 28,000 ephemeral ports.
const PER_SOURCE: usize = 10_000;

/// The next unused source address (127.1.x.y). Each measurement takes
/// fresh ones: ports of closed clients stay in TIME_WAIT for a minute.
static NEXT_SOURCE: AtomicUsize = AtomicUsize::new(0);

/// Descriptors a process may open here (the hard limit, once raised as far
/// as this process may).
pub(crate) fn fd_limit() -> usize {
    nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map_or(1024, |(soft, _)| soft as usize)
}

/// Sets the descriptor limit (soft and hard) to at least `wanted`, if
/// this process may (root may raise the hard limit); reports what it got.
pub(crate) fn raise_fd_limit(wanted: usize) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return;
    };
    let wanted = wanted as u64;
    if soft >= wanted {
        return;
    }
    if setrlimit(Resource::RLIMIT_NOFILE, wanted, wanted.max(hard)).is_err() {
        // Raising the hard limit needs CAP_SYS_RESOURCE.
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

/// One server's idle figure.
struct Idle {
    name: &'static str,
    rss_before_kib: u64,
    rss_held_kib: u64,
    threads_before: u64,
    threads_held: u64,
    connect_secs: f64,
    answered: usize,
    note: String,
}

/// Connects from source address number `source` (127.1.x.y), so that
/// 20,000 clients do not run out of ports on one address.
fn connect_from(source: usize, server: SocketAddr) -> io::Result<TcpStream> {
    let source = Ipv4Addr::new(127, 1, (source / 250) as u8, (source % 250 + 1) as u8);
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&SocketAddr::V4(SocketAddrV4::new(source, 0)).into())?;
    socket.connect(&server.into())?;
    Ok(socket.into())
}

/// Holds `count` idle clients on a fresh `server`, then has each of them
/// send a line and checks that every one is answered.
fn measure(name: &'static str, mut command: Command, count: usize) -> Idle {
    let mut idle = Idle {
        name,
        rss_before_kib: 0,
        rss_held_kib: 0,
        threads_before: 0,
        threads_held: 0,
        connect_secs: 0.0,
        answered: 0,
        note: String::new(),
    };
    let server = match Server::start(&mut command) {
        Ok(server) => server,
        Err(err) => {
            idle.note = format!("did not start: {err}");
            return idle;
        }
    };
    let pid = server.child.id();
    let first_source = NEXT_SOURCE.fetch_add(count / PER_SOURCE + 2, Ordering::Relaxed);
    // Warm up (lazy start-up allocations are not the connections' cost),
    // then let handler threads of the warm-up end.
    for i in 0..20 {
        if let Ok(mut client) = connect_from(first_source + i / PER_SOURCE, server.addr) {
            let _ = client.write_all(LINE);
            let _ = client.read_exact(&mut [0u8; 64]);
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    idle.rss_before_kib = status_field(pid, "VmRSS");
    idle.threads_before = status_field(pid, "Threads");
    let fds_before = fd_count(pid);

    let started = Instant::now();
    let mut clients = Vec::with_capacity(count);
    for i in 0..count {
        match connect_from(first_source + 1 + i / PER_SOURCE, server.addr) {
            Ok(client) => clients.push(client),
            Err(err) => {
                idle.note = format!("connect {i} failed: {err}");
                break;
            }
        }
    }
    // Held: the server has accepted every one (a descriptor each at
    // least), or its count has stopped growing (out of descriptors).
    let (mut last, mut since) = (0, Instant::now());
    while fd_count(pid) < fds_before + clients.len() && since.elapsed() < Duration::from_secs(3) {
        let now = fd_count(pid);
        if now != last {
            (last, since) = (now, Instant::now());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    idle.connect_secs = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(300));
    idle.rss_held_kib = status_field(pid, "VmRSS");
    idle.threads_held = status_field(pid, "Threads");

    // Every one still answered: all send, then all read.
    for client in &mut clients {
        let _ = client.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = client.write_all(LINE);
    }
    for client in &mut clients {
        let mut echo = [0u8; 64];
        if client.read_exact(&mut echo).is_ok() && &echo == LINE {
            idle.answered += 1;
        }
    }
    drop(clients);
    idle
}

/// Measures and prints the idle figure for `requested` connections (fewer
/// if the descriptor limit cannot hold them in one process).
pub(crate) fn figure(dir: &Path, requested: usize, only: &[String], python: bool) {
    let limit = fd_limit();
    // The server and this generator each need one descriptor per client,
    // plus a few of their own.
    let count = requested.min(limit.saturating_sub(100));
    if count < requested {
        println!(
            "\n(idle {requested}: the descriptor limit is {limit} and cannot be raised here \
             (that needs CAP_SYS_RESOURCE), so {count} clients are measured)"
        );
    }
    let mut targets: Vec<(&'static str, Command)> = vec![
        ("framework poll", framework_command(dir, "poll")),
        ("raw epoll", Command::new(dir.join("raw-epoll-echo"))),
    ];
    // A thread per client: once at the smaller count is enough to see the
    // cost, and the framework's needs two descriptors per client (rfile is
    // a dup of the socket).
    if count <= 10_000 {
        targets.push(("framework threading", framework_command(dir, "threading")));
        targets.push(("plain std threads", Command::new(dir.join("plain-echo"))));
    }
    if python {
        let mut selectors = Command::new("python3");
        selectors.args(["-c", super::PYTHON_SELECTORS]);
        targets.push(("python selectors", selectors));
    }
    for (_, command) in &mut targets {
        if command.get_args().next().is_none() {
            command.arg("0");
        }
    }
    if !only.is_empty() {
        targets.retain(|(name, _)| only.iter().any(|o| o == name));
    }
    println!();
    println!(
        "idle: {count} clients connect and say nothing, then each sends a line \
         (a fresh server each; descriptor limit {limit}; the pool and forking models \
         cannot hold them: a worker or a child per client)"
    );
    println!(
        "{:<22} {:>10} {:>10} {:>9} {:>9} {:>8} {:>10}",
        "server", "RSS before", "RSS held", "KiB/conn", "threads", "connect", "answered"
    );
    let mut rows = Vec::new();
    for (name, command) in targets {
        eprint!("\r  idle {count}: {name:<24}");
        let row = measure(name, command, count);
        let per_conn = (row.rss_held_kib as f64 - row.rss_before_kib as f64) / count as f64;
        println!(
            "{:<22} {:>7} KiB {:>6} KiB {:>9.2} {:>4}->{:<4} {:>7.2}s {:>5}/{count}{}",
            row.name,
            row.rss_before_kib,
            row.rss_held_kib,
            per_conn,
            row.threads_before,
            row.threads_held,
            row.connect_secs,
            row.answered,
            if row.note.is_empty() {
                String::new()
            } else {
                format!("  ({})", row.note)
            }
        );
        rows.push((row, per_conn));
    }
    eprintln!();
    if let Some((row, per_conn)) = rows.iter().find(|(r, _)| r.name == "framework poll") {
        let verdict = |ok: bool| if ok { "meets" } else { "MISSES" };
        println!(
            "framework poll, {count} idle: {per_conn:.2} KiB per connection (target <= 1 KiB: {}), \
             {} of {count} answered afterwards ({})",
            verdict(*per_conn <= 1.0),
            row.answered,
            verdict(row.answered == count)
        );
    }
}
