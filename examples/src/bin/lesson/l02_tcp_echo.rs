//! Lesson 02: a TCP echo server and its client, three times over:
//! the framework's `echo-server`, the same server with bare socket calls,
//! and the connection's life as the kernel sees it (三次握手 / 四次挥手).

pub mod raw_server;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::time::Duration;

use examples::lesson_kit::{Program, heading, labelled, read_next, say};

use crate::LessonResult;
use crate::tcp_states::{print_table, wait_for_state};

const WAIT: Duration = Duration::from_secs(5);

/// Runs the lesson.
pub fn run() -> LessonResult {
    say("A TCP server: socket -> bind -> listen -> accept -> recv/send -> close.");
    say("A TCP client: socket -> connect -> send/recv -> close.");
    framework_echo()?;
    raw_echo()?;
    handshake_and_close()?;
    read_next(
        "notes/02-tcp-echo.md",
        &[
            "examples/src/echo.rs                                (the echo server on the framework)",
            "examples/src/bin/lesson/l02_tcp_echo/raw_server.rs  (the same with bare socket calls)",
            "examples/src/bin/lesson/l02_tcp_echo.rs             (this lesson: the clients)",
            "framework/src/server.rs                             (serve_forever, accept, handle)",
        ],
    );
    Ok(())
}

/// Part 1: `echo-server` as its own process; the client is this lesson.
fn framework_echo() -> LessonResult {
    heading("1. The framework's echo server, a real program");
    let server = Program::server("server", "echo-server", &["0"])?;
    let address = format!("127.0.0.1:{}", server.port);
    let stream = TcpStream::connect(&address)?;
    labelled(
        "client",
        &format!(
            "connect({address}) -> connected; my own address is {}",
            stream.local_addr()?
        ),
    );
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    for message in ["hello, echo", "第二行, a second line"] {
        writer.write_all(format!("{message}\n").as_bytes())?;
        labelled("client", &format!("sent     {:?}", format!("{message}\n")));
        let mut reply = String::new();
        reader.read_line(&mut reply)?;
        labelled("client", &format!("got back {reply:?}"));
        if reply != format!("{message}\n") {
            return Err(format!("the echo server answered {reply:?}").into());
        }
    }
    // Both handles share one socket: it closes when the last one goes.
    drop(writer);
    drop(reader);
    labelled("client", "close()");
    say("The framework wrote socket/bind/listen/accept for us; echo.rs only says");
    say("what to do with one connection: read a line, write it back.");
    server.interrupt();
    Ok(())
}

/// Part 2: the raw server (one printed line per system call) and a raw client.
fn raw_echo() -> LessonResult {
    heading("2. The same server with bare socket calls");
    let server = Program::server("server", "raw-echo-server", &["0"])?;
    server
        .wait_for("accept() ...", WAIT)
        .ok_or("the raw server never reached accept()")?;
    let mut stream = TcpStream::connect(("127.0.0.1", server.port))?;
    labelled(
        "client",
        &format!("connect() from {}", stream.local_addr()?),
    );
    server
        .wait_for("accept() ->", WAIT)
        .ok_or("the raw server did not accept")?;
    let message = b"ping over raw sockets";
    stream.write_all(message)?;
    labelled("client", &format!("sendall() {} bytes", message.len()));
    // Wait for the server's own account before printing ours, so the two
    // programs' lines appear in the order things happened.
    server
        .wait_for("sendall() ->", WAIT)
        .ok_or("the raw server did not answer")?;
    let mut reply = vec![0u8; message.len()];
    stream.read_exact(&mut reply)?;
    labelled(
        "client",
        &format!("recv() -> {:?}", String::from_utf8_lossy(&reply)),
    );
    if reply != message {
        return Err("the raw server echoed something else".into());
    }
    stream.shutdown(Shutdown::Write)?;
    labelled("client", "shutdown(SHUT_WR): no more data from me");
    server
        .wait_for("recv() -> 0 bytes", WAIT)
        .ok_or("the raw server did not see the end of the stream")?;
    say("The server is back at accept(), ready for the next client: a loop server.");
    server
        .wait_for("accept() ...", WAIT)
        .ok_or("the raw server did not go back to accept()")?;
    server.interrupt();
    Ok(())
}

/// Part 3: the connection's states in the kernel's table, step by step.
fn handshake_and_close() -> LessonResult {
    heading("3. Three-way handshake (三次握手) and four-way close (四次挥手)");
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let server_address = v4(listener.local_addr()?)?;
    let client = TcpStream::connect(server_address)?;
    let client_address = v4(client.local_addr()?)?;
    labelled(
        "client",
        "connect() returned; the server has not called accept() yet",
    );
    wait_for_state(server_address, client_address, "ESTABLISHED");
    say("The kernel's table (/proc/net/tcp) for the server's port, before accept():");
    print_table(server_address, client_address);
    say("Both ends are ESTABLISHED before accept(): the kernel did the handshake");
    say("(SYN, SYN+ACK, ACK) inside connect(); accept() just takes the finished");
    say("connection from the listen queue.");

    let (mut server_side, _) = listener.accept()?;
    labelled("server", "accept() -> the connection");
    client.shutdown(Shutdown::Write)?;
    labelled(
        "client",
        "shutdown(SHUT_WR): FIN sent (wave 1), kernel ACKs it (wave 2)",
    );
    let client_state = wait_for_state(client_address, server_address, "FIN_WAIT2");
    let server_state = wait_for_state(server_address, client_address, "CLOSE_WAIT");
    print_table(server_address, client_address);
    say(&format!(
        "The client is {}, the server is {}: half closed; the server could still send.",
        client_state.unwrap_or("gone"),
        server_state.unwrap_or("gone")
    ));
    let mut buffer = [0u8; 16];
    let n = server_side.read(&mut buffer)?;
    labelled(
        "server",
        &format!("recv() -> {n} bytes: end of stream, so close() (wave 3: FIN)"),
    );
    drop(server_side);
    let client_state = wait_for_state(client_address, server_address, "TIME_WAIT");
    print_table(server_address, client_address);
    say(&format!(
        "The client ACKed the server's FIN (wave 4) and is now {}: the side that",
        client_state.unwrap_or("gone")
    ));
    say("closed first waits 2*MSL (60 s on Linux) so late packets of this connection");
    say("cannot be mistaken for a new one. The server's side is gone at once.");
    drop(client);
    Ok(())
}

fn v4(address: SocketAddr) -> Result<SocketAddrV4, String> {
    match address {
        SocketAddr::V4(v4) => Ok(v4),
        SocketAddr::V6(v6) => Err(format!("expected an IPv4 address, got {v6}")),
    }
}
