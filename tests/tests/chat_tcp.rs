//! The chat room over TCP lines (`chat-server --tcp`, usable with `nc`):
//! a transcript of a session, the line limit, and a member that never reads.

mod chat_support;

use std::io::Write;
use std::net::TcpStream;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use chat_support::{Recorder, TcpMember};
use socket2::{Domain, Socket, Type};
use tests::ServerProcess;

#[test]
fn tcp_chat_session_transcript() {
    let mut server = ServerProcess::start("chat-server", &["--tcp", "0"]);
    let addr = server.addr();
    let mut log = Recorder::default();

    log.note("alice connects: a prompt, her name, OK and a welcome");
    let mut alice = TcpMember::connect("alice", &addr);
    alice.recv_line(&mut log);
    alice.send(&mut log, b"alice\n");
    alice.recv_line(&mut log);
    alice.recv_line(&mut log);

    log.note("bob must pick a free, valid name; nc sends \\n, telnet \\r\\n: both work");
    let mut bob = TcpMember::connect("bob", &addr);
    bob.recv_line(&mut log);
    bob.send(&mut log, b"alice\n");
    bob.recv_line(&mut log);
    bob.recv_line(&mut log);
    bob.send(&mut log, b"admin\r\n");
    bob.recv_line(&mut log);
    bob.recv_line(&mut log);
    bob.send(&mut log, b"bob\r\n");
    bob.recv_line(&mut log);
    bob.recv_line(&mut log);
    alice.recv_line(&mut log);

    log.note("a line is a message to everyone else; an empty line is ignored");
    alice.send(&mut log, b"hello bob\n");
    bob.recv_line(&mut log);
    bob.send(&mut log, b"\n");
    bob.send(&mut log, b"hi alice\n");
    alice.recv_line(&mut log);

    log.note("a line over 1024 bytes is refused and skipped; the next line is fine");
    let long = format!("{}\n", "x".repeat(5000));
    bob.stream().write_all(long.as_bytes()).unwrap();
    log.sent_described("bob", "5000 x's and \\n");
    bob.recv_line(&mut log);
    bob.send(&mut log, &[0xff, 0xfe, b'\n']);
    bob.recv_line(&mut log);
    bob.send(&mut log, b"\x1b[31mred\n");
    bob.recv_line(&mut log);
    bob.send(&mut log, b"still here\n");
    alice.recv_line(&mut log);

    log.note("the server's terminal speaks as admin");
    writeln!(server.stdin(), "welcome to the TCP room").unwrap();
    log.sent("terminal", b"welcome to the TCP room\n");
    alice.recv_line(&mut log);
    bob.recv_line(&mut log);

    log.note("carol joins and her connection drops without a word");
    let mut carol = TcpMember::connect("carol", &addr);
    carol.recv_line(&mut log);
    carol.send(&mut log, b"carol\n");
    carol.recv_line(&mut log);
    carol.recv_line(&mut log);
    alice.recv_line(&mut log);
    bob.recv_line(&mut log);
    drop(carol);
    alice.recv_line(&mut log);
    bob.recv_line(&mut log);

    log.note("bob types quit: EXIT, then the server closes; alice is told");
    bob.send(&mut log, b"quit\n");
    bob.recv_line(&mut log);
    bob.recv_to_end(&mut log);
    alice.recv_line(&mut log);

    log.note("alice closes her sending side (Ctrl+D in nc -N): she leaves the same way");
    alice.shutdown_write(&mut log);
    alice.recv_line(&mut log);
    alice.recv_to_end(&mut log);

    insta::assert_snapshot!(log.render());
}

#[test]
fn line_limit_is_1024_bytes() {
    let server = ServerProcess::start("chat-server", &["--tcp", "0"]);
    let addr = server.addr();
    let mut log = Recorder::default();
    let mut alice = join(&addr, "alice", &mut log);
    let mut bob = join(&addr, "bob", &mut log);
    assert_eq!(alice.read_line(), "* bob has joined the chat\n");

    let at_limit = "y".repeat(1024);
    bob.stream()
        .write_all(format!("{at_limit}\r\n").as_bytes())
        .unwrap();
    assert_eq!(alice.read_line(), format!("bob: {at_limit}\n"));

    let over = "z".repeat(1025);
    bob.stream()
        .write_all(format!("{over}\nafter\n").as_bytes())
        .unwrap();
    assert_eq!(bob.read_line(), "ERR message too long (limit 1024 bytes)\n");
    assert_eq!(alice.read_line(), "bob: after\n");
}

#[test]
fn member_that_never_reads_is_disconnected_and_others_keep_receiving() {
    let server = ServerProcess::start("chat-server", &["--tcp", "--queue", "16", "0"]);
    let addr = server.addr();
    let mut log = Recorder::default();

    // The member that never reads: a tiny receive buffer, set before
    // connecting, so that little hides in the kernel. It sends its name and
    // then never reads a byte, not even the prompt.
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket
        .connect(&addr.parse::<std::net::SocketAddr>().unwrap().into())
        .unwrap();
    let mut sleeper: TcpStream = socket.into();
    sleeper.write_all(b"sleeper\n").unwrap();
    // Its join must come first, or bob would see it as a notice.
    server
        .wait_for_line("+ sleeper joined", Duration::from_secs(10))
        .expect("the sleeper joins");

    let mut alice = join(&addr, "alice", &mut log);
    let mut bob = join(&addr, "bob", &mut log);
    assert_eq!(alice.read_line(), "* bob has joined the chat\n");

    // Bob reads on a thread and hands every line over.
    let (lines_tx, lines) = mpsc::channel();
    thread::spawn(move || {
        loop {
            let line = bob.read_line();
            if line.is_empty() || lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = || {
        lines
            .recv_timeout(Duration::from_secs(10))
            .expect("bob keeps receiving")
    };

    // 600 messages of 1000 bytes, 600 KB: far more than the sleeper's queue
    // (16 lines) and socket buffers (about 130 KB) hold. Sent in batches
    // that bob reads before the next, so that bob is never the slow one.
    let text = "m".repeat(990);
    let mut disconnected = false;
    for batch in 0..60 {
        let mut expected = Vec::new();
        for i in 0..10 {
            let n = batch * 10 + i;
            alice
                .stream()
                .write_all(format!("{n:04} {text}\n").as_bytes())
                .unwrap();
            expected.push(format!("alice: {n:04} {text}\n"));
        }
        for want in expected {
            let mut got = next();
            if got == "* sleeper has left the chat (not reading; disconnected)\n" {
                disconnected = true;
                got = next();
            }
            assert_eq!(got, want, "bob receives every message, in order");
        }
    }
    if !disconnected {
        let got = next();
        assert_eq!(
            got,
            "* sleeper has left the chat (not reading; disconnected)\n"
        );
    }
    server
        .wait_for_line(
            "sleeper has left the chat (not reading",
            Duration::from_secs(10),
        )
        .expect("the server logs the disconnection");

    // The sleeper's connection is closed: what was buffered, then the end.
    sleeper
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    let end = std::io::Read::read_to_end(&mut sleeper, &mut rest);
    assert!(
        end.is_ok() || end.unwrap_err().kind() == std::io::ErrorKind::ConnectionReset,
        "the sleeper's connection ends"
    );
    assert!(
        rest.len() < 400 * 1000,
        "it got only what was buffered: {} bytes",
        rest.len()
    );

    // The room goes on.
    alice.stream().write_all(b"still there?\n").unwrap();
    assert_eq!(next(), "alice: still there?\n");
}

/// Connects, answers the prompt with `name`, and reads OK and the welcome.
fn join(addr: &str, name: &str, log: &mut Recorder) -> TcpMember {
    let mut member = TcpMember::connect(name, addr);
    assert_eq!(member.read_line(), "Please enter your name:\n");
    member.send(log, format!("{name}\n").as_bytes());
    assert_eq!(member.read_line(), "OK\n");
    assert!(member.read_line().starts_with("* welcome"));
    member
}

#[test]
fn ctrl_c_says_goodbye_and_the_server_exits() {
    let mut server = ServerProcess::start("chat-server", &["--tcp", "0"]);
    let addr = server.addr();
    let mut log = Recorder::default();
    let mut alice = join(&addr, "alice", &mut log);
    // A second connection still at the name prompt: its handler thread is
    // blocked in read, and must not keep the server from exiting.
    let mut shy = TcpMember::connect("shy", &addr);
    assert_eq!(shy.read_line(), "Please enter your name:\n");

    server.signal(nix::sys::signal::Signal::SIGINT);
    assert_eq!(alice.read_line(), "* the server is shutting down\n");
    assert_eq!(alice.read_line(), "EXIT\n");
    assert_eq!(alice.read_line(), "", "then the end of the stream");
    assert_eq!(shy.read_line(), "", "the waiting connection is closed too");
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("the server exits within 10 s");
    assert!(status.success(), "{status:?}");
}
