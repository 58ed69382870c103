//! No descriptor leak: after 1,000 connections (5,000 for the event loop)
//! the server process has as many descriptors open as before them (counted
//! in `/proc/<pid>/fd`).

use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

use tests::ServerProcess;
use tests::in_process::{ask, connect};
use tests::procfs::{children_of, fd_count, wait_until};

const DEADLINE: Duration = Duration::from_secs(10);

fn echo_once(addr: &str, text: &str) {
    let mut stream = connect(addr.parse().unwrap());
    assert_eq!(ask(&mut stream, text), text);
}

fn no_leak_over(connections: usize, model: &str) {
    let server = ServerProcess::start("echo-server", &["--model", model, "0"]);
    let pid = server.pid();
    // Counted before any connection: nothing is open but stdio, the
    // listening socket, the wake-up pipe and what the runtime holds.
    let baseline = fd_count(pid);
    assert!(baseline >= 4, "stdio and the listening socket: {baseline}");
    let settled = |pid| wait_until(DEADLINE, || children_of(pid).is_empty());
    for i in 0..connections {
        echo_once(&server.addr(), &format!("connection {i}\n"));
    }
    assert!(settled(pid), "children left: {:?}", children_of(pid));
    // Handler threads close their descriptors as they end, a moment after
    // the client has its answer: wait for the count to come back.
    assert!(
        wait_until(DEADLINE, || fd_count(pid) == baseline),
        "{} descriptors open after {connections} connections, {baseline} before",
        fd_count(pid)
    );
}

#[test]
fn threading_leaks_no_descriptor() {
    no_leak_over(1000, "threading");
}

#[test]
fn forking_leaks_no_descriptor() {
    no_leak_over(1000, "forking");
}

#[test]
fn sequential_leaks_no_descriptor() {
    no_leak_over(1000, "sequential");
}

#[test]
fn pool_leaks_no_descriptor() {
    no_leak_over(1000, "pool");
}

#[test]
fn the_event_loop_leaks_no_descriptor_over_5000_connections() {
    no_leak_over(5000, "poll");
}

/// How many of the descriptor numbers below `limit` are in use: the limit
/// bounds numbers, not the count (an inherited descriptor may sit above it).
fn fds_below(pid: u32, limit: usize) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<usize>().ok())
        .filter(|&fd| fd < limit)
        .count()
}

/// CPU time (user + system) a process has used, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Out of descriptors, `accept` fails while the client stays queued and the
/// listening socket stays readable. Python's loop then spins at full CPU;
/// this one pauses, and serves the client once a descriptor is free.
#[test]
fn out_of_descriptors_the_loop_waits_instead_of_spinning() {
    const LIMIT: usize = 64;
    let server = ServerProcess::start(
        "probe-server",
        &["--model", "threading", "--max-fds", &LIMIT.to_string(), "0"],
    );
    let pid = server.pid();
    let addr: std::net::SocketAddr = server.addr().parse().unwrap();
    let connect = || connect(addr);
    // Fill the table up to two below the limit (this connection holds two
    // while it asks: accept's and the reader's)...
    let mut filler = connect();
    // One answer first: the connection is accepted and its handler runs.
    assert_eq!(ask(&mut filler, "ready?\n"), "ready?\n");
    let leak = LIMIT - fds_below(pid, LIMIT);
    assert_eq!(
        ask(&mut filler, &format!("leak {leak}\n")),
        format!("leaked {leak}\n")
    );
    drop(filler);
    assert!(wait_until(DEADLINE, || fds_below(pid, LIMIT) == LIMIT - 2));
    // ...then one held connection takes the last two.
    let mut holder = connect();
    assert!(ask(&mut holder, "hold\n").starts_with("held "));
    assert_eq!(fds_below(pid, LIMIT), LIMIT);
    // The next client is queued by the kernel; accept fails with EMFILE.
    let mut queued = connect();
    queued.write_all(b"pid\n").unwrap();
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_millis(500));
    let used = cpu_ticks(pid) - before;
    // SAFETY: sysconf only reads a system constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    assert!(
        used * 4 < hz,
        "the loop used {used} ticks of CPU in 0.5 s while out of descriptors (spinning?)"
    );
    // A descriptor frees up: the queued client is served.
    drop(holder);
    let mut answer = String::new();
    BufReader::new(&mut queued).read_line(&mut answer).unwrap();
    assert!(answer.starts_with("pid "), "{answer:?}");
}
