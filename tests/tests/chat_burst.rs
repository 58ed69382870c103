//! The TCP chat room's burst policy (`chat-server --tcp`): a talker bursts
//! 20,000 lines of 200 bytes at full speed. A member that reads, if slowly
//! (a pause after every 1,000 lines), receives every line, because the
//! talker is slowed down instead; a member that never reads (a 4 KiB
//! receive buffer) is cut off with a reason. All within 30 s.

mod chat_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use tests::ServerProcess;
use tests::in_process::within;

const LINES: usize = 20_000;
const SLEEPER_LEFT: &str = "* sleeper has left the chat (not reading; disconnected)\n";

/// Connects (with `receive_buffer` set before connecting, if given),
/// answers the prompt with `name` and reads `OK` and the welcome.
fn join(
    addr: SocketAddr,
    name: &str,
    receive_buffer: Option<usize>,
) -> (TcpStream, BufReader<TcpStream>) {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    if let Some(size) = receive_buffer {
        socket.set_recv_buffer_size(size).unwrap();
    }
    socket.connect(&addr.into()).unwrap();
    let mut stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(format!("{name}\n").as_bytes()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    if receive_buffer.is_none() {
        for want in ["Please enter your name:\n", "OK\n"] {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            assert_eq!(line, want, "{name} joins");
        }
        let mut welcome = String::new();
        reader.read_line(&mut welcome).unwrap();
        assert!(welcome.starts_with("* welcome"), "{welcome:?}");
    }
    (stream, reader)
}

/// Line `n` of the burst: its number, padded to 200 bytes with its `\n`.
fn burst_line(n: usize) -> String {
    format!("{n:05} {}\n", "b".repeat(200 - 7))
}

#[test]
fn a_burst_slows_the_talker_reaches_every_reader_and_cuts_off_the_sleeper() {
    let server = ServerProcess::start("chat-server", &["--tcp", "--quiet", "0"]);
    let addr: SocketAddr = server.addr().parse().unwrap();
    within(Duration::from_secs(30), move || {
        // The sleeper: a 4 KiB receive buffer, and not one byte read.
        let (_sleeper_stream, mut sleeper) = join(addr, "sleeper", Some(4096));
        server
            .wait_for_line("+ sleeper joined", Duration::from_secs(10))
            .expect("the sleeper joins");
        let (_reader_stream, mut reader) = join(addr, "reader", None);
        let (mut talker, mut talker_reader) = join(addr, "talker", None);

        // The talker reads what it is sent (notices) so that it is no sleeper itself.
        let talker_drain = thread::spawn(move || {
            let mut notices = Vec::new();
            let mut line = String::new();
            while matches!(talker_reader.read_line(&mut line), Ok(n) if n > 0) {
                notices.push(std::mem::take(&mut line));
            }
            notices
        });
        // The reader reads everything, pausing 50 ms after every 1,000 lines.
        let reading = thread::spawn(move || {
            let mut received = 0;
            let mut notices = Vec::new();
            let mut line = String::new();
            while received < LINES {
                line.clear();
                let n = reader
                    .read_line(&mut line)
                    .expect("the reader keeps receiving");
                assert!(
                    n > 0,
                    "the reader's connection ended after {received} lines"
                );
                if let Some(text) = line.strip_prefix("talker: ") {
                    assert_eq!(text, burst_line(received), "every line, in order");
                    received += 1;
                    if received % 1000 == 0 {
                        thread::sleep(Duration::from_millis(50));
                    }
                } else {
                    notices.push(line.clone());
                }
            }
            (received, notices, reader)
        });

        // The burst: 20,000 lines, 4 MB, written as fast as the server takes them.
        let mut burst = String::with_capacity(LINES * 200);
        for n in 0..LINES {
            burst.push_str(&burst_line(n));
        }
        talker.write_all(burst.as_bytes()).unwrap();

        let (received, mut notices, mut reader) = reading.join().expect("the reader");
        assert_eq!(received, LINES);
        if !notices.iter().any(|n| n == SLEEPER_LEFT) {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            notices.push(line);
        }
        assert_eq!(
            notices,
            [
                "* talker has joined the chat\n".to_string(),
                SLEEPER_LEFT.to_string()
            ],
            "the reader was told only of the talker's join and the sleeper's cut-off"
        );
        let why = server
            .wait_for_line(") cut off: ", Duration::from_secs(10))
            .expect("the server logs why it cut the sleeper off");
        eprintln!("server: {why}");

        // The sleeper's connection: what was queued, a reason, the end.
        let mut rest = Vec::new();
        sleeper
            .read_to_end(&mut rest)
            .expect("the sleeper's connection ends");
        let rest = String::from_utf8_lossy(&rest);
        let last = rest.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("ERR not reading: disconnected ("),
            "the sleeper's last line says why: {last:?}"
        );

        // The talker was never cut off and the room goes on.
        talker.write_all(b"done\n").unwrap();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert_eq!(line, "talker: done\n");
        talker.write_all(b"quit\n").unwrap();
        let notices = talker_drain.join().unwrap();
        assert_eq!(
            notices.last().map(String::as_str),
            Some("EXIT\n"),
            "the talker quits normally: {notices:?}"
        );
    });
}

#[test]
fn a_member_whose_socket_takes_nothing_is_cut_off_after_the_write_timeout() {
    let server = ServerProcess::start(
        "chat-server",
        &["--tcp", "--quiet", "--write-timeout", "1", "0"],
    );
    let addr: SocketAddr = server.addr().parse().unwrap();
    within(Duration::from_secs(30), move || {
        let (_sleeper_stream, mut sleeper) = join(addr, "sleeper", Some(4096));
        server
            .wait_for_line("+ sleeper joined", Duration::from_secs(10))
            .expect("the sleeper joins");
        let (_reader_stream, mut reader) = join(addr, "reader", None);
        let (mut talker, _talker_reader) = join(addr, "talker", None);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert_eq!(line, "* talker has joined the chat\n");

        // 300 KB: more than the sleeper's buffers hold (about 130 KB), less
        // than the 256 KiB queue limit on top of them. The rest waits in
        // its queue, and its socket takes nothing.
        let text = "s".repeat(994);
        for n in 0..300 {
            talker
                .write_all(format!("{n:04} {text}\n").as_bytes())
                .unwrap();
        }
        for n in 0..300 {
            line.clear();
            reader.read_line(&mut line).unwrap();
            assert_eq!(line, format!("talker: {n:04} {text}\n"));
        }
        let why = server
            .wait_for_line(") cut off: ", Duration::from_secs(10))
            .expect("the server cuts the sleeper off");
        assert!(
            why.contains("its socket accepted nothing for"),
            "cut off for taking nothing, not for its queue: {why}"
        );
        line.clear();
        reader.read_line(&mut line).unwrap();
        assert_eq!(line, SLEEPER_LEFT);

        let mut rest = Vec::new();
        sleeper
            .read_to_end(&mut rest)
            .expect("the sleeper's connection ends");
        let rest = String::from_utf8_lossy(&rest);
        let last = rest.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("ERR not reading: disconnected (its socket accepted nothing for "),
            "the sleeper's last line says why: {last:?}"
        );
        assert_eq!(
            rest.matches("talker: ").count(),
            300,
            "before it, every line that was queued for it"
        );
    });
}
