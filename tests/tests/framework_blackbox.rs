//! The black-box cases of CPython's `test_socketserver.py`, against
//! `echo-server`, for all 18 transport × model combinations (4 transports
//! × sequential, threading, forking, pool; the event loop on the 2 stream
//! transports): three clients
//! one after another each send `hello world\n` and must get it back. Then, as
//! CPython checks after each run: the server stops cleanly (here on SIGTERM),
//! a forking server leaves no child behind, and a Unix socket file is gone.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, UdpSocket};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::Signal;
use tests::ServerProcess;
use tests::procfs::{children_of, wait_until};

const TEST_STR: &[u8] = b"hello world\n";
const DEADLINE: Duration = Duration::from_secs(10);

/// A short directory under /tmp: a Unix socket path must fit in ~108 bytes.
fn short_tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("fw")
        .tempdir_in("/tmp")
        .expect("a temporary directory")
}

fn stream_client(mut stream: impl std::io::Read + Write) {
    stream.write_all(TEST_STR).unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line).unwrap();
    assert_eq!(line, TEST_STR);
}

fn tcp_client(server: &ServerProcess) {
    let stream = TcpStream::connect(server.addr()).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream_client(stream);
}

fn unix_stream_client(path: &Path) {
    let stream = UnixStream::connect(path).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream_client(stream);
}

fn udp_client(server: &ServerProcess) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    socket.send_to(TEST_STR, server.addr()).unwrap();
    let mut buf = [0u8; 100];
    let (n, from) = socket.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], TEST_STR);
    assert_eq!(
        from.port(),
        server.port,
        "the reply comes from the server's socket"
    );
}

/// Like CPython's test, the client binds its own path so it can be answered.
fn unix_datagram_client(server_path: &Path, client_path: &Path) {
    let socket = UnixDatagram::bind(client_path).unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    socket.send_to(TEST_STR, server_path).unwrap();
    let mut buf = [0u8; 100];
    let n = socket.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], TEST_STR);
}

fn run(transport: &str, model: &str) {
    let dir = short_tempdir();
    let socket_path: PathBuf = dir.path().join("s");
    let unix = transport.starts_with("unix");
    let target = if unix {
        socket_path.to_str().unwrap().to_string()
    } else {
        "0".to_string()
    };
    let mut server = ServerProcess::start(
        "echo-server",
        &["--transport", transport, "--model", model, &target],
    );
    assert!(
        server.serving_line.contains(model),
        "{}",
        server.serving_line
    );
    if unix {
        assert!(server.serving_line.contains(target.as_str()));
    } else {
        assert_ne!(server.port, 0, "port 0 became the real port");
    }
    for i in 0..3 {
        match transport {
            "tcp" => tcp_client(&server),
            "udp" => udp_client(&server),
            "unix" => unix_stream_client(&socket_path),
            "unix-dgram" => unix_datagram_client(&socket_path, &dir.path().join(format!("c{i}"))),
            other => panic!("unknown transport {other}"),
        }
    }
    if model == "forking" {
        // CPython asserts `not active_children` after server_close; here the
        // children must be gone (reaped, not zombies) while it still runs.
        let pid = server.pid();
        assert!(
            wait_until(DEADLINE, || children_of(pid).is_empty()),
            "children left: {:?}",
            children_of(pid)
        );
    }
    server.signal(Signal::SIGTERM);
    let status = server
        .wait_exit(DEADLINE)
        .expect("the server stops on SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    if unix {
        assert!(!socket_path.exists(), "the socket file is removed on close");
    }
}

#[test]
fn tcp_sequential() {
    run("tcp", "sequential");
}

#[test]
fn tcp_threading() {
    run("tcp", "threading");
}

#[test]
fn tcp_forking() {
    run("tcp", "forking");
}

#[test]
fn udp_sequential() {
    run("udp", "sequential");
}

#[test]
fn udp_threading() {
    run("udp", "threading");
}

#[test]
fn udp_forking() {
    run("udp", "forking");
}

#[test]
fn unix_stream_sequential() {
    run("unix", "sequential");
}

#[test]
fn unix_stream_threading() {
    run("unix", "threading");
}

#[test]
fn unix_stream_forking() {
    run("unix", "forking");
}

#[test]
fn unix_datagram_sequential() {
    run("unix-dgram", "sequential");
}

#[test]
fn unix_datagram_threading() {
    run("unix-dgram", "threading");
}

#[test]
fn unix_datagram_forking() {
    run("unix-dgram", "forking");
}

#[test]
fn tcp_pool() {
    run("tcp", "pool");
}

#[test]
fn udp_pool() {
    run("udp", "pool");
}

#[test]
fn unix_stream_pool() {
    run("unix", "pool");
}

#[test]
fn unix_datagram_pool() {
    run("unix-dgram", "pool");
}

#[test]
fn tcp_poll() {
    run("tcp", "poll");
}

#[test]
fn unix_stream_poll() {
    run("unix", "poll");
}

/// A datagram server is already one loop over one socket: `--model poll`
/// says so and exits instead of pretending.
#[test]
fn poll_refuses_datagram_transports_with_a_reason() {
    for transport in ["udp", "unix-dgram"] {
        let output = std::process::Command::new(tests::bin_path("echo-server"))
            .args(["--transport", transport, "--model", "poll", "0"])
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("stream sockets"), "{stderr}");
        assert!(output.stdout.is_empty(), "no Serving line");
    }
}

/// Ctrl+C (SIGINT) stops a server as gracefully as SIGTERM does.
#[test]
fn ctrl_c_stops_the_server_gracefully() {
    let mut server = ServerProcess::start("echo-server", &["--model", "threading", "0"]);
    tcp_client(&server);
    server.signal(Signal::SIGINT);
    let status = server
        .wait_exit(DEADLINE)
        .expect("the server stops on SIGINT");
    assert!(status.success(), "exit status {status:?}");
}
