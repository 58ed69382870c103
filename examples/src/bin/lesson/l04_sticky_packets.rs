//! Lesson 04: sticky packets (粘包). TCP delivers a stream of bytes, not
//! messages: several sends can arrive as one recv, and one send can take
//! many recvs. First the problem, happening for real; then the fix, framing.

pub mod framing;
pub mod server;

use std::io::Write;
use std::net::{Shutdown, SocketAddr, SocketAddrV4, TcpStream};
use std::time::Duration;

use examples::lesson_kit::{Program, heading, labelled, read_next, say};

use crate::LessonResult;
use crate::tcp_states::wait_for_state;
use framing::write_frame;

const WAIT: Duration = Duration::from_secs(5);

/// Runs the lesson.
pub fn run() -> LessonResult {
    say("TCP is a byte stream: it keeps the order of the bytes, not the edges of your sends.");
    glued()?;
    cut()?;
    length_prefix()?;
    lines()?;
    read_next(
        "notes/04-sticky-packets.md",
        &[
            "examples/src/bin/lesson/l04_sticky_packets/framing.rs  (write_frame / read_frame)",
            "examples/src/bin/lesson/l04_sticky_packets/server.rs   (the four ways of reading)",
            "examples/src/bin/lesson/l04_sticky_packets.rs          (this lesson: the client)",
            "examples/src/echo.rs                                   (line framing with read_until)",
        ],
    );
    Ok(())
}

/// A client connection to `server`, with the addresses of both ends.
struct Client {
    stream: TcpStream,
    me: SocketAddrV4,
    server: SocketAddrV4,
}

impl Client {
    fn connect(server: &Program) -> Result<Client, Box<dyn std::error::Error>> {
        let stream = TcpStream::connect(("127.0.0.1", server.port))?;
        // Send each write at once, as its own packet, instead of letting the
        // kernel collect small writes (Nagle's algorithm, lesson 05): the
        // gluing seen below is then the receiver's doing, not the sender's.
        stream.set_nodelay(true)?;
        let me = v4(stream.local_addr()?)?;
        let server_address = v4(stream.peer_addr()?)?;
        Ok(Client {
            stream,
            me,
            server: server_address,
        })
    }

    fn send(&mut self, bytes: &[u8]) -> LessonResult {
        self.stream.write_all(bytes)?;
        Ok(())
    }

    /// Ends the stream, waits until the server's kernel has every byte (its
    /// side of the connection is in CLOSE_WAIT once our FIN, which comes
    /// after all data, has arrived), then lets the busy server read.
    fn finish_and_let_server_read(self, server: &mut Program) -> LessonResult {
        self.stream.shutdown(Shutdown::Write)?;
        let state = wait_for_state(self.server, self.me, "CLOSE_WAIT");
        if state != Some("CLOSE_WAIT") {
            say(&format!(
                "(the server's side is {state:?}, not CLOSE_WAIT yet)"
            ));
        }
        labelled(
            "client",
            "done sending; everything is in the server's receive buffer",
        );
        server.type_line("read now")?;
        Ok(())
    }
}

fn v4(address: SocketAddr) -> Result<SocketAddrV4, String> {
    match address {
        SocketAddr::V4(v4) => Ok(v4),
        SocketAddr::V6(v6) => Err(format!("expected an IPv4 address, got {v6}")),
    }
}

/// The problem, part 1: three sends, one recv.
fn glued() -> LessonResult {
    heading("1. The problem: three sends arrive as one recv");
    let mut server = Program::server("server", "sticky-server", &["raw", "0"])?;
    let mut client = Client::connect(&server)?;
    server
        .wait_for("busy:", WAIT)
        .ok_or("the server did not accept")?;
    for message in ["msg1;", "msg2;", "msg3;"] {
        client.send(message.as_bytes())?;
        labelled("client", &format!("send({message:?})"));
    }
    client.finish_and_let_server_read(&mut server)?;
    let first = server
        .wait_for("recv(1024) ->", WAIT)
        .ok_or("the server read nothing")?;
    server
        .wait_for("end of stream", WAIT)
        .ok_or("the server did not reach the end of the stream")?;
    if first.contains("msg1;msg2;msg3;") {
        say("Three send() calls, ONE recv(): the messages stuck together. That is 粘包.");
    } else {
        say("This time the kernel handed the bytes over in several pieces; either way,");
    }
    say("recv() returns whatever bytes have arrived; the edges of the sends are gone.");
    Ok(())
}

/// The problem, part 2: one send, many recvs.
fn cut() -> LessonResult {
    heading("2. The problem the other way: one send is cut into many recvs");
    let server = Program::server("server", "sticky-server", &["count", "0"])?;
    let mut client = Client::connect(&server)?;
    let message = vec![b'x'; 1024 * 1024];
    client.send(&message)?;
    labelled("client", "ONE sendall() of a 1 MiB message");
    client.stream.shutdown(Shutdown::Write)?;
    server
        .wait_for("pieces", WAIT)
        .ok_or("the server did not count the pieces")?;
    say("The server's recv() had room for the whole message, yet it got it in pieces:");
    say("a recv() can only return what has arrived, and no more than the buffers hold.");
    Ok(())
}

/// The fix, part 1: a length in front of every message.
fn length_prefix() -> LessonResult {
    heading("3. The fix: a length prefix in front of every message");
    let mut server = Program::server("server", "sticky-server", &["length", "0"])?;
    let mut client = Client::connect(&server)?;
    server
        .wait_for("busy:", WAIT)
        .ok_or("the server did not accept")?;
    for message in ["msg1;", "a longer second message", "3"] {
        let mut frame = Vec::new();
        write_frame(&mut frame, message.as_bytes())?;
        client.send(&frame)?;
        labelled(
            "client",
            &format!(
                "send({message:?}) as a frame: {:02x?} + the bytes",
                &frame[..4]
            ),
        );
    }
    client.finish_and_let_server_read(&mut server)?;
    server
        .wait_for("end of stream after", WAIT)
        .ok_or("the server did not read the frames")?;
    say("The same glued bytes, but the receiver knows where each message ends:");
    say("read 4 bytes of length, then exactly that many bytes (read_exact).");
    Ok(())
}

/// The fix, part 2: a delimiter, here the newline, for text protocols.
fn lines() -> LessonResult {
    heading("4. The fix for text: end every message with a newline");
    let mut server = Program::server("server", "sticky-server", &["lines", "0"])?;
    let mut client = Client::connect(&server)?;
    server
        .wait_for("busy:", WAIT)
        .ok_or("the server did not accept")?;
    for piece in ["hello\nwor", "ld\nlast line\n", "unfinished"] {
        client.send(piece.as_bytes())?;
        labelled("client", &format!("send({piece:?})"));
    }
    client.finish_and_let_server_read(&mut server)?;
    server
        .wait_for("end of stream after", WAIT)
        .ok_or("the server did not read the lines")?;
    say("\"world\" was split across two sends and still came out whole; a message");
    say("without its newline is visibly incomplete instead of silently merged.");
    say("The course's other remedy, sleeping between sends, only makes 粘包 less likely.");
    Ok(())
}
