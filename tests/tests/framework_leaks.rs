//! No descriptor leak: after 1,000 connections the server process has as
//! many descriptors open as before them (counted in `/proc/<pid>/fd`).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use tests::ServerProcess;
use tests::procfs::{children_of, fd_count, wait_until};

const CONNECTIONS: usize = 1000;
const DEADLINE: Duration = Duration::from_secs(10);

fn echo_once(addr: &str, text: &str) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream.write_all(text.as_bytes()).unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    assert_eq!(line, text);
}

fn no_leak_over_1000_connections(model: &str) {
    let server = ServerProcess::start("echo-server", &["--model", model, "0"]);
    let pid = server.pid();
    // Counted before any connection: nothing is open but stdio, the
    // listening socket, the wake-up pipe and what the runtime holds.
    let baseline = fd_count(pid);
    assert!(baseline >= 4, "stdio and the listening socket: {baseline}");
    let settled = |pid| wait_until(DEADLINE, || children_of(pid).is_empty());
    for i in 0..CONNECTIONS {
        echo_once(&server.addr(), &format!("connection {i}\n"));
    }
    assert!(settled(pid), "children left: {:?}", children_of(pid));
    // Handler threads close their descriptors as they end, a moment after
    // the client has its answer: wait for the count to come back.
    assert!(
        wait_until(DEADLINE, || fd_count(pid) == baseline),
        "{} descriptors open after {CONNECTIONS} connections, {baseline} before",
        fd_count(pid)
    );
}

#[test]
fn threading_leaks_no_descriptor() {
    no_leak_over_1000_connections("threading");
}

#[test]
fn forking_leaks_no_descriptor() {
    no_leak_over_1000_connections("forking");
}

#[test]
fn sequential_leaks_no_descriptor() {
    no_leak_over_1000_connections("sequential");
}
