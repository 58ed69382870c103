//! Lesson 03: UDP sockets. Datagrams instead of a byte stream: no
//! connection, message boundaries kept, no delivery guarantee.

pub mod raw_server;

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::time::Duration;

use examples::lesson_kit::{Program, heading, labelled, read_next, say};

use crate::LessonResult;

const WAIT: Duration = Duration::from_secs(5);

/// Runs the lesson.
pub fn run() -> LessonResult {
    say("A UDP server: socket -> bind -> recvfrom/sendto. A client: socket -> sendto/recvfrom.");
    framework_echo()?;
    raw_echo()?;
    boundaries()?;
    no_connection()?;
    read_next(
        "notes/03-udp.md",
        &[
            "examples/src/echo.rs                           (EchoDatagram: the UDP handler)",
            "examples/src/bin/lesson/l03_udp/raw_server.rs  (recvfrom/sendto by hand)",
            "examples/src/bin/lesson/l03_udp.rs             (this lesson: the clients)",
            "framework/src/request.rs                       (DatagramRequest: packet in, reply out)",
        ],
    );
    Ok(())
}

/// A fresh client socket on a kernel-chosen port, that gives up after `WAIT`.
fn client_socket() -> std::io::Result<UdpSocket> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(WAIT))?;
    Ok(socket)
}

/// Part 1: the framework's echo server over UDP.
fn framework_echo() -> LessonResult {
    heading("1. The framework's echo server over UDP");
    let server = Program::server("server", "echo-server", &["--transport", "udp", "0"])?;
    let client = client_socket()?;
    let target = ("127.0.0.1", server.port);
    let sent = client.send_to(b"hello over UDP", target)?;
    labelled(
        "client",
        &format!(
            "sendto(127.0.0.1:{}) -> {sent} bytes, no connect() needed",
            server.port
        ),
    );
    let mut buffer = [0u8; 1024];
    let (n, from) = client.recv_from(&mut buffer)?;
    let reply = String::from_utf8_lossy(&buffer[..n]);
    labelled("client", &format!("recvfrom() -> {reply:?} from {from}"));
    if &buffer[..n] != b"hello over UDP" {
        return Err(format!("the UDP echo server answered {reply:?}").into());
    }
    server.interrupt();
    Ok(())
}

/// Part 2: the raw server, and two clients served by its one socket.
fn raw_echo() -> LessonResult {
    heading("2. The same with bare calls: one socket serves every client");
    let server = Program::server("server", "raw-udp-server", &["0"])?;
    let target = ("127.0.0.1", server.port);
    for (name, text) in [("client A", "hi from A"), ("client B", "hi from B")] {
        let client = client_socket()?;
        client.send_to(text.as_bytes(), target)?;
        labelled(
            name,
            &format!("sendto() {text:?} from {}", client.local_addr()?),
        );
        server
            .wait_for("sendto(", WAIT)
            .ok_or("the raw UDP server did not answer")?;
        let mut buffer = [0u8; 1024];
        let (n, _) = client.recv_from(&mut buffer)?;
        labelled(
            name,
            &format!("recvfrom() -> {:?}", String::from_utf8_lossy(&buffer[..n])),
        );
    }
    say("The server never accepted anything: each datagram told it where to answer.");
    server.interrupt();
    Ok(())
}

/// Part 3: each datagram is one message; a short buffer cuts it.
fn boundaries() -> LessonResult {
    heading("3. Message boundaries are kept (no 粘包 in UDP)");
    let receiver = client_socket()?;
    let sender = client_socket()?;
    let to = receiver.local_addr()?;
    for text in ["one", "two", "three"] {
        sender.send_to(text.as_bytes(), to)?;
    }
    labelled(
        "sender",
        "three sendto() calls: \"one\", \"two\", \"three\"",
    );
    let mut buffer = [0u8; 1024];
    for _ in 0..3 {
        let n = receiver.recv(&mut buffer)?;
        labelled(
            "receiver",
            &format!(
                "recv(1024) -> one datagram {:?}",
                String::from_utf8_lossy(&buffer[..n])
            ),
        );
    }
    say("Three sends, three receives, even with a big buffer: UDP keeps each message whole.");
    sender.send_to(&[b'x'; 100], to)?;
    sender.send_to(b"next", to)?;
    labelled("sender", "sendto() a 100-byte datagram, then \"next\"");
    let mut small = [0u8; 10];
    let n = receiver.recv(&mut small)?;
    labelled(
        "receiver",
        &format!("recv(10) -> {n} bytes; the other 90 are discarded"),
    );
    let n = receiver.recv(&mut buffer)?;
    labelled(
        "receiver",
        &format!(
            "recv(1024) -> {:?}: the next datagram, not the rest of the first",
            String::from_utf8_lossy(&buffer[..n])
        ),
    );
    match sender.send_to(&vec![0u8; 70_000], to) {
        Ok(n) => labelled(
            "sender",
            &format!("sendto() 70000 bytes -> {n} (unexpected)"),
        ),
        Err(err) => labelled("sender", &format!("sendto() 70000 bytes -> error: {err}")),
    }
    say("A datagram holds at most 65507 bytes of data over IPv4.");
    Ok(())
}

/// Part 4: nobody listening, and UDP only finds out by accident.
fn no_connection() -> LessonResult {
    heading("4. No connection, no guarantee");
    // Bind a socket to learn a free port, then close it: nobody listens there.
    let port = UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port();
    let client = client_socket()?;
    client.set_read_timeout(Some(Duration::from_secs(3)))?;
    let sent = client.send_to(b"anyone?", ("127.0.0.1", port))?;
    labelled(
        "client",
        &format!(
            "sendto(127.0.0.1:{port}) where nobody listens -> {sent} bytes: \"sent\", and lost"
        ),
    );
    // connect() on UDP sets a default peer, and lets the kernel report the
    // ICMP "port unreachable" that came back as an error on this socket.
    client.connect(("127.0.0.1", port))?;
    client.send(b"anyone?")?;
    let mut buffer = [0u8; 64];
    match client.recv(&mut buffer) {
        Ok(n) => labelled("client", &format!("recv() -> {n} bytes (unexpected)")),
        Err(err) if err.kind() == ErrorKind::ConnectionRefused => labelled(
            "client",
            &format!(
                "after connect() + send(), recv() -> error: {err} (an ICMP reply, not TCP's RST)"
            ),
        ),
        Err(err) => labelled("client", &format!("recv() -> {err}: no answer at all")),
    }
    say("TCP would have refused the connect(); UDP sends first and maybe hears later.");
    Ok(())
}
