//! Lesson 18: the chat room. The course's UDP protocol with real clients,
//! the administrator, identity by address, the heartbeat timeout; then the
//! same room over TCP for `nc`, and a member that stops reading.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

use examples::lesson_kit::{Program, heading, read_next, say};
use socket2::{Domain, Socket, Type};

use crate::LessonResult;

const WAIT: Duration = Duration::from_secs(10);

/// Waits for `needle` in a program's output, or fails the lesson.
fn expect(program: &Program, needle: &str) -> Result<String, String> {
    program
        .wait_for(needle, WAIT)
        .ok_or_else(|| format!("did not see {needle:?} within 10 s"))
}

/// Runs the lesson.
pub fn run() -> LessonResult {
    udp_room()?;
    tcp_room()?;
    read_next(
        "notes/18-chat-room.md",
        &[
            "examples/src/chat/protocol.rs (names, limits, the L/C/Q/H requests)",
            "examples/src/chat/udp.rs (the room on a UdpServer: members by address, timeouts)",
            "examples/src/chat/tcp.rs (the room on the event loop: one thread for every member)",
            "examples/src/chat/tcp_room.rs (the burst policy: slow the talker, cut off who does not read)",
            "examples/src/chat/client.rs (three threads, one event loop, heartbeats)",
            "tests/tests/snapshots/chat_udp__udp_chat_session_transcript.snap",
        ],
    );
    Ok(())
}

fn udp_room() -> LessonResult {
    heading("The course's chat room over UDP");
    say("chat-server keeps {address -> name} and relays text datagrams: L name joins,");
    say("C name text talks, Q name leaves (the reply EXIT ends the client).");
    say("The server drops members silent for 2 s here; the clients beat every 0.4 s.");
    let mut server = Program::server("server", "chat-server", &["--timeout", "2", "0"])?;
    let addr = format!("127.0.0.1:{}", server.port);
    let client =
        |name: &str| Program::start(name, "chat-client", &["--heartbeat", "0.4", &addr, name]);
    let mut alice = client("alice")?;
    expect(&alice, "joined the chat room")?;
    let mut bob = client("bob")?;
    expect(&bob, "joined the chat room")?;
    expect(&alice, "* bob has joined the chat")?;

    heading("A message reaches everyone but its sender");
    alice.type_line("hello bob")?;
    expect(&bob, "alice: hello bob")?;
    bob.type_line("hi alice!")?;
    expect(&alice, "bob: hi alice!")?;

    heading("A name that is taken is refused");
    let mut again = Program::start("alice-2", "chat-client", &[&addr, "alice"])?;
    again.close_stdin();
    let status = again
        .wait_exit(WAIT)
        .ok_or("the refused client did not exit")?;
    say(&format!("the second alice exited with {status}"));

    heading("The administrator types at the server's terminal");
    server.type_line("welcome, both of you")?;
    expect(&alice, "admin: welcome, both of you")?;
    expect(&bob, "admin: welcome, both of you")?;

    heading("Identity is the address: a raw socket tries to speak for alice");
    let mallory = UdpSocket::bind("127.0.0.1:0")?;
    mallory.connect(&addr)?;
    mallory.set_read_timeout(Some(WAIT))?;
    for request in [
        "C alice I am alice, honest",
        "Q alice",
        "L mallory",
        "C mallory hi all",
    ] {
        mallory.send(request.as_bytes())?;
        println!("[mallory ->] {request}");
        if !request.starts_with("C mallory") {
            let mut buf = [0u8; 2048];
            let n = mallory.recv(&mut buf)?;
            println!("[mallory <-] {}", String::from_utf8_lossy(&buf[..n]));
        }
    }
    expect(&alice, "mallory: hi all")?;
    say("mallory now sends nothing, not even a heartbeat...");
    expect(&alice, "* mallory has left the chat (timed out)")?;

    heading("Leaving: quit, and end of input");
    bob.type_line("quit")?;
    bob.wait_exit(WAIT).ok_or("bob did not leave")?;
    expect(&alice, "* bob has left the chat")?;
    alice.close_stdin();
    alice.wait_exit(WAIT).ok_or("alice did not leave")?;
    expect(&server, "* alice has left the chat")?;
    server.interrupt();
    Ok(())
}

/// A scripted `nc`: prints what it sends and receives.
struct Nc {
    name: &'static str,
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Nc {
    fn connect(name: &'static str, port: u16) -> std::io::Result<Nc> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(WAIT))?;
        let reader = BufReader::new(stream.try_clone()?);
        Ok(Nc {
            name,
            stream,
            reader,
        })
    }

    fn send(&mut self, line: &str) -> std::io::Result<()> {
        if line.len() > 60 {
            println!(
                "[{} ->] {}... ({} bytes)",
                self.name,
                &line[..20],
                line.len()
            );
        } else {
            println!("[{} ->] {line}", self.name);
        }
        writeln!(self.stream, "{line}")
    }

    fn hear(&mut self, quiet: bool) -> std::io::Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            // Without this, a loop waiting for lines would spin on "".
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        if !quiet {
            println!("[{} <-] {}", self.name, line.trim_end());
        }
        Ok(line)
    }
}

fn tcp_room() -> LessonResult {
    heading("The same room over TCP lines, for nc 127.0.0.1 PORT");
    say("An EpollTcpServer: one thread waits on every member's socket, one shared room.");
    let server = Program::server(
        "tcp-server",
        "chat-server",
        &["--tcp", "--quiet", "--queue", "16", "0"],
    )?;
    let port = server.port;
    let mut carol = Nc::connect("carol", port)?;
    carol.hear(false)?;
    carol.send("carol")?;
    carol.hear(false)?;
    carol.hear(false)?;
    let mut dave = Nc::connect("dave", port)?;
    dave.hear(false)?;
    dave.send("carol")?;
    dave.hear(false)?;
    dave.hear(false)?;
    dave.send("dave")?;
    dave.hear(false)?;
    dave.hear(false)?;
    carol.hear(false)?;
    dave.send("hello carol")?;
    carol.hear(false)?;
    dave.send(&"x".repeat(2000))?;
    dave.hear(false)?;

    heading("Backpressure: a member that never reads");
    say("sleeper joins with a tiny receive buffer and then reads nothing. Every member has");
    say("a send queue of 16 KiB (--queue 16); queueing a line never blocks the room.");
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_recv_buffer_size(4096)?;
    socket.connect(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into())?;
    let mut sleeper: TcpStream = socket.into();
    sleeper.write_all(b"sleeper\n")?;
    expect(&server, "+ sleeper joined")?;
    carol.hear(false)?;
    dave.hear(false)?;
    say("dave sends 300 lines of 1000 bytes; carol reads them (printed: the first and the last).");
    let text = "m".repeat(990);
    let mut received = 0;
    let mut notice = None;
    for batch in 0..30 {
        for i in 0..10 {
            writeln!(dave.stream, "{:04} {text}", batch * 10 + i)?;
        }
        while received < (batch + 1) * 10 {
            let line = carol.hear(true)?;
            if line.starts_with("dave: ") {
                received += 1;
                if received == 1 || received == 300 {
                    println!("[carol <-] {}...", &line[..16]);
                }
            } else {
                println!("[carol <-] {}", line.trim_end());
                notice = Some(line);
            }
        }
    }
    if notice.is_none() {
        carol.hear(false)?;
    }
    say(&format!(
        "carol received all {received} messages. A full queue slows the talker (dave), but"
    ));
    say("a member whose socket takes nothing for 0.2 s holds no one: the sleeper's queue");
    say("passed 16 KiB and it was cut off. With an unbounded queue the server's memory would");
    say("grow without end; with a blocking one, everyone would wait for the sleeper.");
    drop(sleeper);
    server.interrupt();
    Ok(())
}
