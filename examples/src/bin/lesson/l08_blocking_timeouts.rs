//! Lesson 08: blocking (阻塞), non-blocking (非阻塞) and timeouts (超时).
//! The same socket calls, three ways of waiting: forever, never, or at most
//! some time. Every wait is measured and printed.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use examples::lesson_kit::{Program, heading, labelled, read_next, say};
use socket2::SockRef;

use crate::LessonResult;

/// How long the helper client waits before it acts, so the waiting is visible.
const LATER: Duration = Duration::from_millis(300);

/// Runs the lesson.
pub fn run() -> LessonResult {
    blocking()?;
    non_blocking()?;
    timeouts()?;
    summary();
    read_next(
        "notes/08-blocking-timeouts.md",
        &[
            "examples/src/bin/lesson/l08_blocking_timeouts.rs  (this lesson)",
            "framework/src/server.rs                           (serve_forever waits with a timeout: poll)",
            "framework/src/request.rs                          (StreamRequest::set_timeout)",
        ],
    );
    Ok(())
}

fn seconds(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

/// A client thread that connects after `LATER`, then sends a line after `LATER` more.
fn late_client(port: u16) -> thread::JoinHandle<std::io::Result<()>> {
    thread::spawn(move || {
        thread::sleep(LATER);
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        labelled("client", "connected");
        thread::sleep(LATER);
        stream.write_all(b"late hello\n")?;
        labelled("client", "sent \"late hello\\n\"");
        // Keep the connection open until the server has read.
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest)?;
        Ok(())
    })
}

/// Part 1: the default, blocking: a call returns when its condition is met.
fn blocking() -> LessonResult {
    heading("1. Blocking (the default): accept() and recv() wait for their event");
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = late_client(listener.local_addr()?.port());
    let start = Instant::now();
    labelled("server", "accept() ...");
    let (mut connection, _) = listener.accept()?;
    labelled(
        "server",
        &format!(
            "accept() returned after {}: the time the client took",
            seconds(start.elapsed())
        ),
    );
    let start = Instant::now();
    labelled("server", "recv() ...");
    let mut buffer = [0u8; 64];
    let n = connection.read(&mut buffer)?;
    labelled(
        "server",
        &format!(
            "recv() returned {:?} after {}",
            String::from_utf8_lossy(&buffer[..n]),
            seconds(start.elapsed())
        ),
    );
    drop(connection);
    client.join().map_err(|_| "the client thread panicked")??;
    say("While blocked, the thread sleeps in the kernel and uses no CPU; it can do");
    say("nothing else either: that is why servers need threads, processes or select.");
    Ok(())
}

/// Part 2: non-blocking: a call that would wait fails at once with WouldBlock.
fn non_blocking() -> LessonResult {
    heading("2. Non-blocking: calls that would wait fail at once (WouldBlock)");
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?; // Python: s.setblocking(False)
    let start = Instant::now();
    match listener.accept() {
        Ok(_) => say("accept() found a connection (unexpected: nobody connected)"),
        Err(err) => labelled(
            "server",
            &format!(
                "accept() -> error after {} µs: {err} (kind {:?})",
                start.elapsed().as_micros(),
                err.kind()
            ),
        ),
    }
    let client = late_client(listener.local_addr()?.port());
    let start = Instant::now();
    let mut tries = 0u32;
    let mut connection = loop {
        tries += 1;
        match listener.accept() {
            Ok((connection, _)) => break connection,
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                if start.elapsed() > Duration::from_secs(5) {
                    return Err("the late client never connected".into());
                }
                // "Other work" would go here; a short nap keeps the loop
                // from burning a whole CPU core while it polls.
                thread::sleep(Duration::from_millis(1));
            }
            Err(err) => return Err(err.into()),
        }
    };
    labelled(
        "server",
        &format!(
            "polled accept() {tries} times, free in between, until the client came after {}",
            seconds(start.elapsed())
        ),
    );
    // The accepted socket is blocking again (Linux does not inherit the flag).
    connection.set_nonblocking(true)?;
    let mut buffer = [0u8; 64];
    match connection.read(&mut buffer) {
        Ok(n) => labelled("server", &format!("recv() -> {n} bytes already")),
        Err(err) => labelled("server", &format!("recv() with nothing there -> {err}")),
    }
    connection.set_nonblocking(false)?;
    let n = connection.read(&mut buffer)?;
    labelled(
        "server",
        &format!(
            "blocking again: recv() -> {:?}",
            String::from_utf8_lossy(&buffer[..n])
        ),
    );
    drop(connection);
    client.join().map_err(|_| "the client thread panicked")??;
    full_send_buffer()?;
    Ok(())
}

/// Writing without a reader: a non-blocking send fails once the buffers are full.
fn full_send_buffer() -> LessonResult {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut writer = TcpStream::connect(listener.local_addr()?)?;
    let (reader, _) = listener.accept()?; // connected, but never reads
    writer.set_nonblocking(true)?;
    let chunk = [b'x'; 64 * 1024];
    let mut written = 0usize;
    let error = loop {
        match writer.write(&chunk) {
            Ok(n) => written += n,
            Err(err) => break err,
        }
    };
    labelled(
        "client",
        &format!(
            "non-blocking send() to a peer that never reads: {written} bytes went into the \
             buffers, then -> {error}"
        ),
    );
    say("A blocking send() would have waited there until the peer read some data.");
    drop(reader);
    Ok(())
}

/// Part 3: timeouts: wait, but not longer than a limit.
fn timeouts() -> LessonResult {
    heading("3. Timeouts: wait at most so long (Python: settimeout)");
    let server = Program::server("server", "echo-server", &["0"])?;
    let mut stream = TcpStream::connect(("127.0.0.1", server.port))?;
    let limit = Duration::from_millis(500);
    stream.set_read_timeout(Some(limit))?; // Python: s.settimeout(0.5)
    labelled(
        "client",
        "set_read_timeout(0.5 s), then recv() without sending anything",
    );
    let start = Instant::now();
    let mut buffer = [0u8; 64];
    match stream.read(&mut buffer) {
        Ok(n) => labelled("client", &format!("recv() -> {n} bytes (unexpected)")),
        Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => labelled(
            "client",
            &format!(
                "timed out after {}: {err} (kind {:?}; Python raises socket.timeout)",
                seconds(start.elapsed()),
                err.kind()
            ),
        ),
        Err(err) => return Err(err.into()),
    }
    stream.write_all(b"in time\n")?;
    let start = Instant::now();
    let n = stream.read(&mut buffer)?;
    labelled(
        "client",
        &format!(
            "sent \"in time\\n\"; recv() -> {:?} after {}: the timeout only bites when nothing comes",
            String::from_utf8_lossy(&buffer[..n]),
            seconds(start.elapsed())
        ),
    );
    drop(stream);
    server.interrupt();

    let listener = TcpListener::bind("127.0.0.1:0")?;
    // std has no accept timeout; SO_RCVTIMEO on the listening socket gives one.
    SockRef::from(&listener).set_read_timeout(Some(Duration::from_millis(300)))?;
    let start = Instant::now();
    match listener.accept() {
        Ok(_) => say("accept() found a client (unexpected)"),
        Err(err) => labelled(
            "server",
            &format!(
                "accept() with a 0.3 s timeout -> timed out after {}: {err}",
                seconds(start.elapsed())
            ),
        ),
    }
    Ok(())
}

/// The three modes side by side.
fn summary() {
    heading("4. The three modes");
    for (mode, python, rust, result) in [
        (
            "blocking",
            "s.setblocking(True) / s.settimeout(None)",
            "the default",
            "waits until ready",
        ),
        (
            "non-blocking",
            "s.setblocking(False) / s.settimeout(0)",
            "set_nonblocking(true)",
            "WouldBlock at once",
        ),
        (
            "timeout",
            "s.settimeout(0.5)",
            "set_read_timeout(Some(0.5 s))",
            "waits, then WouldBlock/TimedOut",
        ),
    ] {
        println!("    {mode:<13} {python:<42} {rust:<30} {result}");
    }
    say("Non-blocking calls are the building block of IO multiplexing (lesson 09):");
    say("select/poll/epoll say which sockets are ready, so no call ever waits.");
}
