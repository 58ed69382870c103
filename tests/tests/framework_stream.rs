//! Stream requests and socket options, in process: the unbuffered writer
//! (a 16 MiB write completes, bytes reach the peer without a flush), the
//! per-handler timeout and nodelay, IPv6, SO_REUSEADDR / SO_REUSEPORT, and
//! the default listen backlog.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use framework::{
    RequestError, RequestHandler, ServerOptions, StreamRequest, TcpServer, ThreadingTcpServer,
    UdpServer,
};
use tests::in_process::{DEADLINE, Echo, Gate, Running, WaitAtGate, ask, connect, read_in, within};
use tests::procfs::wait_until;

fn timed_out(err: &io::Error) -> bool {
    matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Writes 16 MiB in one write_all.
struct Big;

const BIG: usize = 16 * 1024 * 1024;

impl RequestHandler<StreamRequest> for Big {
    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        let data: Vec<u8> = (0..BIG).map(|i| (i % 251) as u8).collect();
        request.wfile.write_all(&data)
    }
}

#[test]
fn a_16_mib_write_completes() {
    let running = Running::start(
        ThreadingTcpServer::bind("127.0.0.1:0", || Big).unwrap(),
        Duration::from_millis(50),
    );
    let mut client = connect(running.addr());
    let mut got = Vec::with_capacity(BIG);
    client.read_to_end(&mut got).unwrap();
    assert_eq!(got.len(), BIG);
    assert!(got.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    running.stop();
}

/// Writes a greeting, then waits for the client without flushing anything.
struct Greeter;

impl RequestHandler<StreamRequest> for Greeter {
    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        request.wfile.write_all(b"hello\n")?;
        let mut line = String::new();
        request.rfile.read_line(&mut line)?;
        request.wfile.write_all(b"bye\n")
    }
}

#[test]
fn bytes_reach_the_peer_without_a_flush() {
    let running = Running::start(
        ThreadingTcpServer::bind("127.0.0.1:0", || Greeter).unwrap(),
        Duration::from_millis(50),
    );
    let mut client = connect(running.addr());
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut line = String::new();
    // A buffered wfile would keep "hello" until the handler returns, which
    // it only does after our next line: this read would time out.
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "hello\n");
    client.write_all(b"thanks\n").unwrap();
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "bye\n");
    running.stop();
}

/// Sets a 200 ms timeout (Python's `StreamRequestHandler.timeout`) and
/// Nagle off, and reports the socket's option before and after.
struct Impatient;

impl RequestHandler<StreamRequest> for Impatient {
    fn setup(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        let before = socket2::SockRef::from(request.connection()).tcp_nodelay()?;
        request.set_nodelay(true)?;
        let after = socket2::SockRef::from(request.connection()).tcp_nodelay()?;
        request.set_timeout(Some(Duration::from_millis(200)))?;
        request
            .wfile
            .write_all(format!("nodelay {before} -> {after}\n").as_bytes())
    }

    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        let mut line = String::new();
        request.rfile.read_line(&mut line)?;
        request.wfile.write_all(b"got a line\n")
    }
}

#[test]
fn per_handler_timeout_and_nodelay() {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let mut server = ThreadingTcpServer::bind("127.0.0.1:0", || Impatient).unwrap();
    let e = Arc::clone(&errors);
    server.set_handle_error(move |_, error: &RequestError| {
        let timed_out = matches!(error, RequestError::Io(err) if timed_out(err));
        e.lock().unwrap().push(timed_out);
    });
    let running = Running::start(server, Duration::from_millis(50));
    // A client that says nothing: the handler gives up after 200 ms and the
    // connection is closed.
    let mut silent = connect(running.addr());
    let started = Instant::now();
    let mut got = String::new();
    silent.read_to_string(&mut got).unwrap();
    assert_eq!(got, "nodelay false -> true\n");
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    assert!(wait_until(DEADLINE, || errors.lock().unwrap().len() == 1));
    assert_eq!(*errors.lock().unwrap(), vec![true], "reported as a timeout");
    // A client that answers in time is served.
    let mut quick = connect(running.addr());
    quick.write_all(b"here\n").unwrap();
    let mut got = String::new();
    quick.read_to_string(&mut got).unwrap();
    assert_eq!(got, "nodelay false -> true\ngot a line\n");
    running.stop();
}

#[test]
fn ipv6_tcp_and_udp() {
    let running = Running::start(
        ThreadingTcpServer::bind("[::1]:0", || Echo).unwrap(),
        Duration::from_millis(50),
    );
    let addr = running.addr();
    assert!(
        addr.is_ipv6() && addr.ip().is_loopback() && addr.port() != 0,
        "{addr}"
    );
    let mut client = connect(addr);
    assert_eq!(ask(&mut client, "six\n"), "six\n");
    drop(client);
    running.stop();

    struct EchoDatagram;
    impl RequestHandler<framework::DatagramRequest> for EchoDatagram {
        fn handle(&mut self, request: &mut framework::DatagramRequest) -> io::Result<()> {
            let packet = request.packet().to_vec();
            request.wfile.extend_from_slice(&packet);
            Ok(())
        }
    }
    let server = Arc::new(UdpServer::bind(("::1", 0), || EchoDatagram).unwrap());
    let addr = server.server_address().inet().unwrap();
    assert!(addr.is_ipv6());
    let looping = Arc::clone(&server);
    let thread = thread::spawn(move || looping.serve_forever());
    let socket = std::net::UdpSocket::bind("[::1]:0").unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    socket.send_to(b"datagram six", addr).unwrap();
    let mut buf = [0u8; 64];
    let (n, from) = socket.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"datagram six"[..], addr));
    within(DEADLINE, move || {
        server.shutdown();
        thread.join().unwrap().unwrap();
    });
}

#[test]
fn allow_reuse_address_and_allow_reuse_port() {
    let plain = TcpServer::bind("127.0.0.1:0", || Echo).unwrap();
    assert!(!socket2::SockRef::from(&plain).reuse_address().unwrap());
    let reuse = ServerOptions {
        allow_reuse_address: true,
        allow_reuse_port: true,
        ..ServerOptions::default()
    };
    let first = TcpServer::bind_with("127.0.0.1:0", &reuse, || Echo).unwrap();
    assert!(socket2::SockRef::from(&first).reuse_address().unwrap());
    assert!(socket2::SockRef::from(&first).reuse_port().unwrap());
    let port = first.server_address().port().unwrap();
    // SO_REUSEPORT on both: a second server binds the same port.
    let second = TcpServer::bind_with(("127.0.0.1", port), &reuse, || Echo).unwrap();
    assert_eq!(second.server_address(), first.server_address());
    // Without it, the port is taken.
    let err = TcpServer::bind(("127.0.0.1", port), || Echo).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
}

/// The default backlog is the system's maximum, not Python's old 5: fifty
/// clients complete their connection while the server is busy with another.
#[test]
fn default_backlog_queues_many_clients() {
    assert_eq!(ServerOptions::default().request_queue_size, libc::SOMAXCONN);
    let gate = Gate::default();
    let g = gate.clone();
    let server = TcpServer::bind("127.0.0.1:0", move || WaitAtGate(g.clone())).unwrap();
    let running = Running::start(server, Duration::from_millis(50));
    let mut busy = connect(running.addr());
    read_in(&mut busy);
    // With a backlog of 5, the 7th connection's SYN would be dropped and
    // connect would wait a second or more for the retry.
    let queued: Vec<TcpStream> = (0..50)
        .map(|_| TcpStream::connect_timeout(&running.addr(), Duration::from_millis(900)).unwrap())
        .collect();
    gate.open();
    drop(queued);
    drop(busy);
    running.stop();
}

/// Writes "handled" and detaches: the connection goes to the test through
/// `parked`, outliving the request.
struct Detacher {
    parked: Arc<Mutex<Vec<framework::Connection>>>,
}

impl RequestHandler<StreamRequest> for Detacher {
    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        request.wfile.write_all(b"handled\n")?;
        let connection = request.detach()?;
        self.parked.lock().unwrap().push(connection);
        Ok(())
    }
}

#[test]
fn a_detached_connection_outlives_its_request() {
    let parked = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::clone(&parked);
    let running = Running::start(
        TcpServer::bind("127.0.0.1:0", move || Detacher {
            parked: Arc::clone(&shared),
        })
        .unwrap(),
        Duration::from_millis(50),
    );
    let client = connect(running.addr());
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "handled\n");
    // The request has ended (the loop server handles the next one only
    // after it), yet the client has not seen end-of-file...
    let mut second = connect(running.addr());
    let mut greeting = [0u8; 8];
    second.read_exact(&mut greeting).unwrap();
    client
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut byte = [0u8; 1];
    let early = (&client).read(&mut byte);
    assert!(
        early.as_ref().is_err_and(timed_out),
        "the server ended a detached connection: {early:?}"
    );
    // ...and whoever holds the detached connection still talks on it.
    let connection = parked.lock().unwrap().remove(0);
    (&connection).write_all(b"later\n").unwrap();
    drop(connection);
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "later\n");
    line.clear();
    assert_eq!(reader.read_line(&mut line).unwrap(), 0, "closed at last");
    running.stop();
}
