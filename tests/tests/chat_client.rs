//! `chat-client` against a real `chat-server`: joining, talking, and the
//! three ways to leave (quit, end of input, Ctrl+C), and a refused name.

mod chat_support;

use std::time::Duration;

use chat_support::{Program, UdpSession};
use nix::sys::signal::Signal;
use tests::ServerProcess;

/// A server with alice (a raw UDP socket) already in the room.
fn room_with_alice() -> (ServerProcess, UdpSession) {
    let server = ServerProcess::start("chat-server", &["0"]);
    let mut s = UdpSession::new(&server.addr());
    s.add("alice");
    assert_eq!(s.ask("alice", b"L alice"), "OK");
    (server, s)
}

#[test]
fn client_talks_and_leaves_with_quit() {
    let (server, mut s) = room_with_alice();
    let mut bob = Program::start("chat-client", &[&server.addr(), "bob"]);
    bob.wait_for("joined the chat room");
    assert_eq!(s.recv("alice"), "* bob has joined the chat");

    s.send("alice", b"C alice hi bob");
    assert_eq!(bob.wait_for("alice:"), "alice: hi bob");
    bob.type_line("hello alice");
    assert_eq!(s.recv("alice"), "bob: hello alice");

    bob.type_line("quit");
    assert_eq!(s.recv("alice"), "* bob has left the chat");
    assert!(bob.wait_exit().success());
}

#[test]
fn client_leaves_at_end_of_input() {
    let (server, mut s) = room_with_alice();
    let mut bob = Program::start("chat-client", &[&server.addr(), "bob"]);
    bob.wait_for("joined the chat room");
    assert_eq!(s.recv("alice"), "* bob has joined the chat");
    bob.close_stdin();
    assert_eq!(s.recv("alice"), "* bob has left the chat");
    assert!(bob.wait_exit().success());
}

#[test]
fn client_leaves_on_ctrl_c() {
    let (server, mut s) = room_with_alice();
    let mut bob = Program::start("chat-client", &[&server.addr(), "bob"]);
    bob.wait_for("joined the chat room");
    assert_eq!(s.recv("alice"), "* bob has joined the chat");
    bob.signal(Signal::SIGINT);
    assert_eq!(s.recv("alice"), "* bob has left the chat");
    assert!(bob.wait_exit().success());
}

#[test]
fn refused_name_is_one_line_error_and_failure() {
    let (server, _s) = room_with_alice();
    let mut other = Program::start("chat-client", &[&server.addr(), "alice"]);
    let status = other.wait_exit();
    assert!(!status.success(), "{status:?}");
    let stderr = other.stderr_text();
    assert_eq!(
        stderr,
        "chat-client: cannot join as \"alice\": the name \"alice\" is taken\n"
    );
}

#[test]
fn client_sends_heartbeats_and_is_not_dropped() {
    // The server drops members silent for 1.5 s; the client beats every 0.2 s.
    let server = ServerProcess::start("chat-server", &["--timeout", "1.5", "0"]);
    let bob = Program::start(
        "chat-client",
        &["--heartbeat", "0.2", &server.addr(), "bob"],
    );
    bob.wait_for("joined the chat room");
    // Two timeouts long, bob types nothing: only heartbeats keep him in.
    std::thread::sleep(Duration::from_secs(3));
    let mut s = UdpSession::new(&server.addr());
    s.add("alice");
    assert_eq!(s.ask("alice", b"L alice"), "OK");
    assert_eq!(bob.wait_for("alice"), "* alice has joined the chat");
    s.send("alice", b"C alice still there?");
    assert_eq!(bob.wait_for("alice:"), "alice: still there?");
}

#[test]
fn client_ends_when_the_server_stops() {
    let (server, _s) = room_with_alice();
    let mut bob = Program::start("chat-client", &[&server.addr(), "bob"]);
    bob.wait_for("joined the chat room");
    server.signal(Signal::SIGINT);
    bob.wait_for("* the server is shutting down");
    bob.wait_for("the server ended the session");
    assert!(bob.wait_exit().success());
}

#[test]
fn client_without_server_fails_clearly() {
    // Bind a UDP port, then free it: nothing listens there any more.
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut bob = Program::start("chat-client", &[&format!("127.0.0.1:{port}"), "bob"]);
    let status = bob.wait_exit();
    assert!(!status.success());
    assert!(
        bob.stderr_text().contains("no chat server at 127.0.0.1"),
        "a clear error"
    );
}
