//! Lesson 09: IO multiplexing (IO多路复用) — one process, one thread, many
//! sockets. The same echo server with `select`, `poll` and `epoll`, then the
//! course's homework: watch the listening socket, the clients and the
//! terminal at once, and append every line to a file.

use std::time::Duration;

use examples::lesson_kit::{Program, heading, read_next, say};

use crate::LessonResult;
use crate::common_b::{Client, expect_line};

const WAIT: Duration = Duration::from_secs(5);

/// Runs the lesson.
pub fn run() -> LessonResult {
    say("A blocking server waits in one place: in accept, or in one client's recv.");
    say("IO multiplexing asks the kernel instead: 'which of these sockets is ready?'");
    say("and then only does the work that will not block. One thread serves everyone.");

    for api in ["select", "poll", "epoll"] {
        echo_with(api)?;
    }
    homework()?;

    heading("What to remember");
    say("select: fd sets rebuilt every call, max fd 1023, works everywhere (also Windows).");
    say("poll:   an array of (fd, events), no fd limit, same O(n) scan per call.");
    say("epoll:  interest list kept in the kernel, returns only ready fds, Linux only,");
    say("        level- or edge-triggered (EPOLLET). Best with many mostly-idle clients.");
    read_next(
        "notes/09-io-multiplexing.md",
        &[
            "examples/src/multiplex/mod.rs (the shared echo logic)",
            "examples/src/multiplex/select.rs",
            "examples/src/multiplex/poll.rs",
            "examples/src/multiplex/epoll.rs",
            "examples/src/multiplex/homework.rs (the select homework)",
            "examples/src/bin/lesson/l09_io_multiplexing.rs",
        ],
    );
    Ok(())
}

/// Two clients talk to one single-threaded server in turn, interleaved.
fn echo_with(api: &str) -> LessonResult {
    heading(&format!("The echo server on {api}()"));
    let label = format!("{api}-server");
    let server = Program::server(&label, "mux-echo-server", &["--api", api, "0"])?;
    let mut a = Client::connect("client A", server.port)?;
    expect_line(server.wait_for("accepted", WAIT), "the first accept")?;
    let mut b = Client::connect("client B", server.port)?;
    expect_line(server.wait_for("accepted", WAIT), "the second accept")?;
    say("Both clients are connected at once, yet the server has one thread:");
    a.send(&format!("A says hello to {api}"))?;
    expect_line(server.wait_for("echoed", WAIT), "the echo for A")?;
    a.recv()?;
    b.send(&format!("B says hello to {api}"))?;
    expect_line(server.wait_for("echoed", WAIT), "the echo for B")?;
    b.recv()?;
    a.send("A again, while B stays connected")?;
    expect_line(server.wait_for("echoed", WAIT), "the second echo for A")?;
    a.recv()?;
    drop(a);
    expect_line(server.wait_for("closed", WAIT), "A's goodbye")?;
    drop(b);
    expect_line(server.wait_for("closed", WAIT), "B's goodbye")?;
    server.interrupt();
    Ok(())
}

/// The homework: listener + clients + terminal -> one file.
fn homework() -> LessonResult {
    heading("The homework: clients and the terminal, every line into a file");
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("lines.txt");
    let file_arg = file.to_string_lossy().into_owned();
    say("The server's standard input is a pipe from this lesson: what we 'type' is");
    say("its terminal. select() watches fd 0 beside the sockets.");
    let mut server = Program::server("homework", "select-homework", &["--file", &file_arg, "0"])?;
    let mut a = Client::connect("client A", server.port)?;
    expect_line(server.wait_for("new client", WAIT), "client A's arrival")?;
    let mut b = Client::connect("client B", server.port)?;
    expect_line(server.wait_for("new client", WAIT), "client B's arrival")?;

    a.send("first line from client A")?;
    expect_line(server.wait_for("wrote", WAIT), "A's first line")?;
    a.recv()?;
    say("types at the server's terminal: \"typed at the terminal\"");
    server.type_line("typed at the terminal")?;
    expect_line(
        server.wait_for("typed at the terminal", WAIT),
        "the terminal line",
    )?;
    b.send("client B joins in")?;
    expect_line(server.wait_for("wrote", WAIT), "B's line")?;
    b.recv()?;
    a.send("client A again")?;
    expect_line(server.wait_for("wrote", WAIT), "A's second line")?;
    a.recv()?;
    say("closes the server's terminal (end of input); the sockets go on");
    server.type_line("last words from the terminal")?;
    server.close_stdin();
    expect_line(
        server.wait_for("terminal closed", WAIT),
        "the end of the terminal",
    )?;
    b.send("client B after the terminal closed")?;
    expect_line(server.wait_for("wrote", WAIT), "B's last line")?;
    b.recv()?;
    drop(a);
    drop(b);
    expect_line(server.wait_for("left", WAIT), "a client leaving")?;
    expect_line(server.wait_for("left", WAIT), "the other client leaving")?;
    server.interrupt();

    say(&format!("The file {} now holds:", file.display()));
    for line in std::fs::read_to_string(&file)?.lines() {
        println!("[file] {line}");
    }
    Ok(())
}
