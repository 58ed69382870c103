//! The UDP chat room as a transcript: every datagram each member sends and
//! receives, in an order fixed by waiting for each expected datagram.

mod chat_support;

use std::io::Write;
use std::time::Duration;

use chat_support::{Heartbeats, UdpSession};
use nix::sys::signal::Signal;
use tests::ServerProcess;

#[test]
fn udp_chat_session_transcript() {
    // A short timeout, so that the silent member is dropped quickly; the
    // others send heartbeats every 100 ms.
    let mut server = ServerProcess::start("chat-server", &["--timeout", "2", "0"]);
    let mut s = UdpSession::new(&server.addr());
    let heartbeats = Heartbeats::start();
    for who in ["alice", "bob", "carol", "mallory"] {
        s.add(who);
    }

    s.log
        .note("joining: OK to the newcomer, a notice to everyone already there");
    s.ask("alice", b"L alice");
    heartbeats.add("alice", s.socket("alice"));
    s.ask("bob", b"L bob");
    s.recv("alice");
    heartbeats.add("bob", s.socket("bob"));
    s.ask("carol", b"L carol");
    s.recv("alice");
    s.recv("bob");
    heartbeats.add("carol", s.socket("carol"));

    s.log.note(
        "a message reaches everyone but its sender (alice's next datagram shows none came back)",
    );
    s.send("alice", b"C alice hello everyone");
    s.recv("bob");
    s.recv("carol");

    s.log
        .note("names: unique, 1-32 characters, no spaces, admin reserved");
    s.ask("mallory", b"L bob");
    s.ask("mallory", b"L Admin");
    s.ask("mallory", b"L two words");
    s.ask("mallory", b"L");
    s.ask("mallory", format!("L {}", "m".repeat(33)).as_bytes());

    s.log
        .note("identity is the sender's address, not the name written in the datagram");
    s.ask("mallory", b"C alice I am alice");
    s.ask("mallory", b"H alice");
    s.ask("bob", b"C alice alice says hi (not really)");
    s.ask("bob", b"Q alice");
    s.ask("bob", b"L robert");

    s.log
        .note("bad input gets an error reply; the room goes on");
    s.ask("mallory", b"C mallory talking before joining");
    s.ask("alice", &[0xff, 0xfe, b'\n']);
    let long = format!("C alice {}", "x".repeat(1100));
    s.send_described("alice", long.as_bytes(), "C alice xxx... 1108 bytes");
    s.recv("alice");
    s.ask("alice", b"X marks the spot");
    s.send_described("alice", b"", "an empty datagram");
    s.recv("alice");
    s.ask("alice", b"C alice \x1b[2J");
    s.ask("alice", b"C alice");

    s.log
        .note("a line typed at the server's terminal reaches everyone as admin");
    writeln!(server.stdin(), "the room closes at six").unwrap();
    s.log.sent("terminal", b"the room closes at six\n");
    s.recv("alice");
    s.recv("bob");
    s.recv("carol");

    s.log
        .note("bob leaves: EXIT to him, a notice to the others");
    heartbeats.remove("bob");
    s.ask("bob", b"Q bob");
    s.recv("alice");
    s.recv("carol");

    s.log
        .note("carol stops sending heartbeats: after the 2 s timeout she is dropped");
    heartbeats.remove("carol");
    s.recv("alice");
    server
        .wait_for_line(
            "carol has left the chat (timed out)",
            Duration::from_secs(10),
        )
        .expect("the server logs the drop");

    s.log
        .note("the server stops (Ctrl+C): a notice and EXIT to every member");
    // No heartbeat may reach the closed port: its ICMP error would be
    // reported by alice's next recv, before the datagrams already queued.
    heartbeats.remove("alice");
    server.signal(Signal::SIGINT);
    s.recv("alice");
    s.recv("alice");
    let status = server.wait_exit(Duration::from_secs(10)).expect("exits");
    assert!(status.success(), "{status:?}");
    drop(heartbeats);

    insta::assert_snapshot!(s.log.render());
}
