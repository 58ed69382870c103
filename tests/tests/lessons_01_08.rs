//! Lessons 01-08 (except 06) run to the end by themselves, well within the
//! course's 15 seconds, print what they promise, and leave no process behind.
//!
//! Each lesson runs as its own process in its own session (see
//! `tests::lesson_run`); the markers checked below are real results: bytes
//! that came back from a server, states read from the kernel, errors the
//! operating system returned.

use std::time::Duration;

use regex::Regex;
use tests::{LessonRun, run_lesson};

/// The course promises "about 15 seconds"; these lessons aim for under 5.
const DEADLINE: Duration = Duration::from_secs(15);

/// Runs lesson `number` and checks the things every lesson must do.
fn lesson(number: &str) -> String {
    let run = run_lesson(&[number], DEADLINE);
    check_common(number, &run);
    run.stdout
}

fn check_common(number: &str, run: &LessonRun) {
    assert!(
        run.status.success(),
        "lesson {number} failed ({:?}):\nstdout:\n{}\nstderr:\n{}",
        run.status,
        run.stdout,
        run.stderr
    );
    assert!(
        run.leftovers.is_empty(),
        "lesson {number} left processes behind: {:?}",
        run.leftovers
    );
    let out = &run.stdout;
    assert!(
        out.starts_with(&format!("Lesson {number}: ")),
        "no title line:\n{out}"
    );
    // The note and every source file the lesson points to exist.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let note = out
        .lines()
        .find_map(|l| l.strip_prefix("Read next: "))
        .unwrap_or_else(|| panic!("lesson {number} names no note:\n{out}"));
    assert!(note.starts_with(&format!("notes/{number}-")), "{note}");
    assert!(root.join(note).is_file(), "lesson {number}: no file {note}");
    let code: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("  code: "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(!code.is_empty(), "lesson {number} points to no code");
    for path in code {
        assert!(root.join(path).is_file(), "lesson {number}: no file {path}");
    }
    assert!(
        run.stderr.trim().is_empty(),
        "lesson {number} wrote to stderr:\n{}",
        run.stderr
    );
}

#[track_caller]
fn assert_has(output: &str, needle: &str) {
    assert!(
        output.contains(needle),
        "expected {needle:?} in the output:\n{output}"
    );
}

/// The lines of `output` that come after the first line containing `marker`.
fn after<'a>(output: &'a str, marker: &str) -> &'a str {
    let at = output
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{output}"));
    &output[at..]
}

#[test]
fn lesson_01_addresses_ports_and_look_ups() {
    let out = lesson("01");
    assert_has(
        &out,
        r#"127.0.0.1        bytes b"\x7f\x00\x00\x01"  u32 2130706433"#,
    );
    assert_has(&out, "network   192.168.1.0");
    assert_has(&out, "broadcast 192.168.1.255");
    assert_has(&out, "getaddrinfo(\"localhost\") -> [");
    // /etc/services is the table getservbyname reads; check against it.
    let services = std::fs::read_to_string("/etc/services").unwrap_or_default();
    if services
        .lines()
        .any(|l| l.starts_with("mysql") && l.contains("3306/tcp"))
    {
        assert_has(&out, "getservbyname(\"mysql\", \"tcp\") -> 3306");
    }
    assert_has(&out, "again -> error: Address already in use");
    assert_has(&out, "but a UDP socket can bind port");
    // The real server and the 4-tuple.
    assert_has(&out, "[server] Serving echo over TCP");
    assert_has(&out, "-> connected");
    assert_has(&out, r#"sent "where am I?\n", echoed back "where am I?\n""#);
}

#[test]
fn lesson_02_tcp_echo() {
    let out = lesson("02");
    // The framework's echo server, as a separate program, echoed both lines.
    assert_has(&out, "[server] Serving echo over TCP");
    assert_has(&out, r#"[client] got back "hello, echo\n""#);
    assert_has(&out, r#"[client] got back "第二行, a second line\n""#);
    // The raw server's own account of each system call, then the client's.
    assert_has(&out, "[server] socket() -> fd ");
    assert_has(&out, "[server] accept() -> fd ");
    assert_has(
        &out,
        r#"[server] recv() -> 21 bytes "ping over raw sockets""#,
    );
    assert_has(&out, r#"[client] recv() -> "ping over raw sockets""#);
    assert_has(
        &out,
        "[server] recv() -> 0 bytes: the client closed its side",
    );
    // Handshake: both ends ESTABLISHED before accept().
    let before_accept = after(&out, "before accept():");
    let table: Vec<&str> = before_accept
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with("    "))
        .collect();
    assert_eq!(
        table.iter().filter(|l| l.ends_with("ESTABLISHED")).count(),
        2,
        "{table:?}"
    );
    assert!(table.iter().any(|l| l.ends_with("LISTEN")), "{table:?}");
    // Close: half-closed states, then TIME_WAIT on the side that closed first.
    assert_has(&out, "The client is FIN_WAIT2, the server is CLOSE_WAIT");
    assert_has(&out, "and is now TIME_WAIT");
}

#[test]
fn lesson_03_udp() {
    let out = lesson("03");
    assert_has(&out, "[server] Serving echo over UDP");
    assert!(
        Regex::new(r#"\[client\] recvfrom\(\) -> "hello over UDP" from 127\.0\.0\.1:\d+"#)
            .unwrap()
            .is_match(&out),
        "{out}"
    );
    assert_has(
        &out,
        r#"[server] recvfrom() -> 9 bytes "hi from A" from 127.0.0.1:"#,
    );
    assert_has(&out, r#"[client A] recvfrom() -> "hi from A""#);
    assert_has(&out, r#"[client B] recvfrom() -> "hi from B""#);
    // Boundaries kept: three sends, three separate receives.
    for word in ["one", "two", "three"] {
        assert_has(&out, &format!(r#"recv(1024) -> one datagram "{word}""#));
    }
    assert_has(&out, "recv(10) -> 10 bytes; the other 90 are discarded");
    assert_has(&out, r#"recv(1024) -> "next": the next datagram"#);
    assert_has(&out, "sendto() 70000 bytes -> error: Message too long");
    assert_has(&out, "recv() -> error: Connection refused");
}

#[test]
fn lesson_04_sticky_packets() {
    let out = lesson("04");
    // The problem: three sends came out of ONE recv...
    assert_has(&out, r#"[server] recv(1024) -> 15 bytes "msg1;msg2;msg3;""#);
    assert_has(&out, "ONE recv(): the messages stuck together");
    // ...and one 1 MiB send took several recvs.
    let pieces = Regex::new(r"returned 1048576 bytes in (\d+) pieces")
        .unwrap()
        .captures(&out)
        .unwrap_or_else(|| panic!("no piece count in:\n{out}"));
    let pieces: usize = pieces[1].parse().unwrap();
    assert!(pieces > 1, "the 1 MiB message came in {pieces} piece(s)");
    // The fix: the same glued bytes, each message recovered.
    assert_has(&out, r#"[server] frame 1: 5 bytes "msg1;""#);
    assert_has(
        &out,
        r#"[server] frame 2: 23 bytes "a longer second message""#,
    );
    assert_has(&out, r#"[server] frame 3: 1 bytes "3""#);
    assert_has(&out, "[server] end of stream after 3 frames");
    assert_has(&out, r#"[server] line 1: "hello""#);
    assert_has(&out, r#"[server] line 2: "world""#);
    assert_has(&out, r#"[server] line 3: "last line""#);
    assert_has(&out, r#"[server] line 4: "unfinished" has no newline"#);
}

#[test]
fn lesson_05_socket_options() {
    let out = lesson("05");
    assert!(
        Regex::new(r#"/proc/self/fd/\d+ -> "socket:\[\d+\]""#)
            .unwrap()
            .is_match(&out),
        "{out}"
    );
    assert_has(&out, "family AF_INET, type SOCK_STREAM");
    assert!(
        Regex::new(r"SO_RCVBUF +default +\d+ +set 4096 -> reads back \d+")
            .unwrap()
            .is_match(&out),
        "{out}"
    );
    assert_has(&out, "TCP_NODELAY  default    false   set true -> true");
    assert_has(
        &out,
        "std's TcpListener::bind sets SO_REUSEADDR itself: true",
    );
    let server_port = Regex::new(r"Serving echo over TCP, threading on 127\.0\.0\.1 port (\d+)")
        .unwrap()
        .captures(&out)
        .unwrap_or_else(|| panic!("no echo server in:\n{out}"))[1]
        .to_string();
    assert_has(
        &out,
        &format!("getpeername() -> 127.0.0.1:{server_port} (the server's end)"),
    );
    assert_has(
        &out,
        "on an unconnected UDP socket -> error: Transport endpoint is not connected",
    );
    // SO_REUSEADDR against a real TIME_WAIT on the port.
    assert_has(&out, "TIME_WAIT");
    assert_has(
        &out,
        "bind() without SO_REUSEADDR -> error: Address already in use",
    );
    assert_has(&out, "bind() with SO_REUSEADDR -> worked");
    // The Nagle measurement ran all three ways (timings are not asserted).
    assert_eq!(out.matches("ms per round").count(), 3, "{out}");
}

#[test]
fn lesson_07_http_by_hand() {
    let out = lesson("07");
    assert_has(&out, "[server] Serving tiny HTTP (lesson 07)");
    assert_has(&out, r#"[server] request line: "GET / HTTP/1.1""#);
    assert_has(&out, r#"[server] header: "User-Agent: lesson-07""#);
    assert_has(&out, r"    < HTTP/1.1 200 OK\r\n");
    assert_has(
        &out,
        r#"status line  version "HTTP/1.1", status code "200", reason "OK""#,
    );
    let body = Regex::new(r"body +(\d+) bytes; Content-Length said Some\((\d+)\)")
        .unwrap()
        .captures(&out)
        .unwrap_or_else(|| panic!("no body line in:\n{out}"));
    assert_eq!(&body[1], &body[2], "the body length matches Content-Length");
    assert_has(&out, "GET /missing HTTP/1.1  -> HTTP/1.1 404 Not Found");
    assert_has(&out, r#"body "you sent: name=rust&lesson=07""#);
    assert_has(&out, "but 0 body bytes, only the head");
    assert_has(&out, "-> HTTP/1.1 301 Moved Permanently");
    assert_has(&out, "Location: / (a browser would go there)");
    assert_has(
        &out,
        "DELETE / HTTP/1.1      -> HTTP/1.1 405 Method Not Allowed",
    );
    assert_has(&out, "-> HTTP/1.1 500 Internal Server Error");
    assert_has(&out, "HELLO                  -> HTTP/1.1 400 Bad Request");
}

#[test]
fn lesson_08_blocking_non_blocking_timeouts() {
    let out = lesson("08");
    // Blocking calls waited for the client (it waits 0.3 s before each step).
    let waited = |pattern: &str| -> f64 {
        Regex::new(pattern)
            .unwrap()
            .captures(&out)
            .unwrap_or_else(|| panic!("no {pattern:?} in:\n{out}"))[1]
            .parse()
            .unwrap()
    };
    assert!(
        waited(r"accept\(\) returned after ([\d.]+) s") >= 0.25,
        "{out}"
    );
    assert!(
        waited(r#"recv\(\) returned "late hello\\n" after ([\d.]+) s"#) >= 0.25,
        "{out}"
    );
    // Non-blocking: WouldBlock at once, then polling until the client came.
    assert_has(&out, "accept() -> error after");
    assert_has(&out, "(kind WouldBlock)");
    assert_has(&out, "polled accept()");
    assert_has(
        &out,
        "recv() with nothing there -> Resource temporarily unavailable",
    );
    assert_has(&out, r#"blocking again: recv() -> "late hello\n""#);
    assert!(
        Regex::new(r"non-blocking send\(\) to a peer that never reads: \d+ bytes went into the buffers, then -> Resource temporarily unavailable")
            .unwrap()
            .is_match(&out),
        "{out}"
    );
    // Timeouts: the read gave up after about its 0.5 s, the answer came in time.
    assert!(waited(r"timed out after ([\d.]+) s: ") >= 0.4, "{out}");
    assert_has(&out, r#"recv() -> "in time\n" after"#);
    assert!(waited(r"accept\(\) with a 0\.3 s timeout -> timed out after ([\d.]+) s") >= 0.2);
}
