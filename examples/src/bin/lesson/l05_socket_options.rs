//! Lesson 05: socket options and attributes. A socket is a file descriptor
//! with settings (getsockopt/setsockopt) and two addresses
//! (getsockname/getpeername). `socket2` reaches every option; std has the
//! common ones.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use examples::lesson_kit::{Program, heading, labelled, read_next, say};
use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::LessonResult;
use crate::tcp_states::print_table;

/// Runs the lesson.
pub fn run() -> LessonResult {
    a_socket_is_a_file()?;
    options()?;
    names()?;
    reuse_address()?;
    nodelay()?;
    read_next(
        "notes/05-socket-options.md",
        &[
            "examples/src/bin/lesson/l05_socket_options.rs  (this lesson)",
            "framework/src/options.rs                       (ServerOptions: allow_reuse_address, ...)",
            "framework/src/transport.rs                     (where the framework sets them)",
        ],
    );
    Ok(())
}

/// Part 1: file descriptor, family, type (s.fileno(), s.family, s.type).
fn a_socket_is_a_file() -> LessonResult {
    heading("1. A socket is a file descriptor with a family and a type");
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    let fd = socket.as_raw_fd();
    let link = std::fs::read_link(format!("/proc/self/fd/{fd}"))?;
    say(&format!("socket(AF_INET, SOCK_STREAM) -> fileno() = {fd}"));
    say(&format!(
        "/proc/self/fd/{fd} -> {:?}: the kernel's socket number (inode)",
        link
    ));
    say(&format!(
        "family {:?}, type {:?} (SO_TYPE), protocol {:?}",
        socket.domain()?,
        socket.r#type()?,
        socket.protocol()?
    ));
    let udp = Socket::new(Domain::IPV4, Type::DGRAM, None)?;
    say(&format!(
        "a UDP socket: fileno() = {}, type {:?}",
        udp.as_raw_fd(),
        udp.r#type()?
    ));
    say("0, 1 and 2 are stdin, stdout and stderr: sockets take the next free numbers.");
    Ok(())
}

/// Part 2: reading and changing options.
fn options() -> LessonResult {
    heading("2. getsockopt / setsockopt");
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    let before_rcv = socket.recv_buffer_size()?;
    let before_snd = socket.send_buffer_size()?;
    socket.set_recv_buffer_size(4096)?;
    socket.set_send_buffer_size(4096)?;
    println!(
        "    SO_RCVBUF    default {before_rcv:>8}   set 4096 -> reads back {}",
        socket.recv_buffer_size()?
    );
    println!(
        "    SO_SNDBUF    default {before_snd:>8}   set 4096 -> reads back {}",
        socket.send_buffer_size()?
    );
    say("(Linux doubles the size asked for, to leave room for its own bookkeeping.)");
    let keepalive = socket.keepalive()?;
    socket.set_keepalive(true)?;
    println!(
        "    SO_KEEPALIVE default {keepalive:>8}   set true -> {}",
        socket.keepalive()?
    );
    let nodelay = socket.tcp_nodelay()?;
    socket.set_tcp_nodelay(true)?;
    println!(
        "    TCP_NODELAY  default {nodelay:>8}   set true -> {}",
        socket.tcp_nodelay()?
    );
    let reuse = socket.reuse_address()?;
    socket.set_reuse_address(true)?;
    println!(
        "    SO_REUSEADDR default {reuse:>8}   set true -> {}",
        socket.reuse_address()?
    );
    let udp = Socket::new(Domain::IPV4, Type::DGRAM, None)?;
    let broadcast = udp.broadcast()?;
    udp.set_broadcast(true)?;
    println!(
        "    SO_BROADCAST default {broadcast:>8}   set true -> {}  (UDP; lesson 06)",
        udp.broadcast()?
    );
    let listener = TcpListener::bind("127.0.0.1:0")?;
    say(&format!(
        "std's TcpListener::bind sets SO_REUSEADDR itself: {}",
        SockRef::from(&listener).reuse_address()?
    ));
    say(&format!(
        "SO_ERROR (the pending error, read once) of a fresh socket: {:?}",
        socket.take_error()?
    ));
    Ok(())
}

/// Part 3: both ends' addresses on a real connection.
fn names() -> LessonResult {
    heading("3. getsockname and getpeername on a real connection");
    let server = Program::server("server", "echo-server", &["0"])?;
    let stream = TcpStream::connect(("127.0.0.1", server.port))?;
    labelled(
        "client",
        &format!("getsockname() -> {} (my end)", stream.local_addr()?),
    );
    labelled(
        "client",
        &format!(
            "getpeername() -> {} (the server's end)",
            stream.peer_addr()?
        ),
    );
    let lonely = UdpSocket::bind("127.0.0.1:0")?;
    match lonely.peer_addr() {
        Ok(peer) => say(&format!("an unconnected socket has a peer?! {peer}")),
        Err(err) => say(&format!(
            "getpeername() on an unconnected UDP socket -> error: {err}"
        )),
    }
    drop(stream);
    server.interrupt();
    Ok(())
}

/// Part 4: why servers set SO_REUSEADDR.
fn reuse_address() -> LessonResult {
    heading("4. SO_REUSEADDR: restarting a server on the same port");
    let old = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    old.set_reuse_address(true)?;
    old.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    old.listen(5)?;
    let old: TcpListener = old.into();
    let address = old.local_addr()?;
    let client = TcpStream::connect(address)?;
    let client_address = client.local_addr()?;
    let (connection, _) = old.accept()?;
    // The server closes first (as an HTTP/1.0 server does after its
    // answer), so the TIME_WAIT is on the server's side, on its port.
    drop(connection);
    let mut byte = [0u8; 1];
    let _ = (&client).read(&mut byte)?; // the server's FIN
    drop(client);
    drop(old);
    labelled(
        "old server",
        &format!(
            "served a client on port {}, closed it first, and exited",
            address.port()
        ),
    );
    say("What the kernel still holds for that port:");
    match (address, client_address) {
        (SocketAddr::V4(server), SocketAddr::V4(client)) => print_table(server, client),
        _ => say("(not IPv4: no table)"),
    }
    let plain = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    match plain.bind(&address.into()) {
        Ok(()) => labelled("new server", "bind() without SO_REUSEADDR -> worked"),
        Err(err) => labelled(
            "new server",
            &format!("bind() without SO_REUSEADDR -> error: {err}"),
        ),
    }
    let reusing = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    reusing.set_reuse_address(true)?;
    match reusing
        .bind(&address.into())
        .and_then(|()| reusing.listen(5))
    {
        Ok(()) => labelled(
            "new server",
            "bind() with SO_REUSEADDR -> worked, listening again at once",
        ),
        Err(err) => labelled(
            "new server",
            &format!("bind() with SO_REUSEADDR -> error: {err}"),
        ),
    }
    say("The TIME_WAIT entry would block the port for 60 s. SO_REUSEADDR (on the old");
    say("socket and the new one) lets a restarted server bind anyway; Python's");
    say("allow_reuse_address and the framework's ServerOptions::reuse_address() set it.");
    Ok(())
}

/// Part 5: Nagle's algorithm and delayed ACKs, measured.
fn nodelay() -> LessonResult {
    heading("5. TCP_NODELAY: two small writes, then a read");
    let server = Program::server("server", "echo-server", &["0"])?;
    say("Each round: write(\"head\"), write(\"body\\n\"), read the echoed line.");
    let rounds = 10;
    let slow = round_trip(server.port, false, false, rounds)?;
    let fast = round_trip(server.port, true, false, rounds)?;
    let single = round_trip(server.port, false, true, rounds)?;
    println!(
        "    Nagle on  (default), two writes   {:>8.2} ms per round",
        ms(slow)
    );
    println!(
        "    TCP_NODELAY on,      two writes   {:>8.2} ms per round",
        ms(fast)
    );
    println!(
        "    Nagle on,  one write of both      {:>8.2} ms per round",
        ms(single)
    );
    say("With Nagle, the second small write waits for the ACK of the first, and the");
    say("server delays that ACK (~40 ms on Linux) hoping to send it with an answer.");
    say("Fix it with TCP_NODELAY, or better, by writing a whole message at once.");
    server.interrupt();
    Ok(())
}

/// The average time of one write-write-read round.
fn round_trip(port: u16, nodelay: bool, one_write: bool, rounds: u32) -> std::io::Result<Duration> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_nodelay(nodelay)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut line = String::new();
    let start = Instant::now();
    for _ in 0..rounds {
        if one_write {
            writer.write_all(b"headbody\n")?;
        } else {
            writer.write_all(b"head")?;
            writer.write_all(b"body\n")?;
        }
        line.clear();
        reader.read_line(&mut line)?;
    }
    Ok(start.elapsed() / rounds)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
