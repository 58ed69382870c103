//! The second half of lesson 16: the same 1,000 idle clients against every
//! model, and what each server holds for them: threads, child processes,
//! memory; then every client sends a line, and we count who is answered.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use examples::lesson_kit::{Program, heading, say};

use crate::LessonResult;
use crate::common_b::pad;
use examples::proc_info::{children_of, fd_count, pss_kib, raise_fd_limit, status_field};

/// Idle clients per model.
pub const CLIENTS: usize = 1000;

/// One model's row.
struct Held {
    model: &'static str,
    threads: u64,
    children: usize,
    pss_kib: u64,
    answered: usize,
}

/// Every model holds (or fails to hold) the same idle clients.
pub fn run() -> LessonResult {
    heading(&format!("{CLIENTS} idle clients"));
    say(&format!(
        "Now {CLIENTS} clients connect to each server and say nothing, like browsers"
    ));
    say("keeping a connection open. What does each model hold for them?");
    // 1,000 clients need 1,000 descriptors here and up to 2,000 in the
    // threading server (its `rfile` is a second descriptor).
    raise_fd_limit();
    let models: [(&'static str, &[&str]); 5] = [
        ("sequential", &["--model", "sequential", "0"]),
        ("threading", &["--model", "threading", "0"]),
        (
            "forking",
            &["--model", "forking", "--max-children", "1000", "0"],
        ),
        ("pool", &["--model", "pool", "0"]),
        ("poll", &["--model", "poll", "0"]),
    ];
    let mut rows = Vec::new();
    for (model, args) in models {
        // Quiet: the pool reports each client it refuses on stderr.
        let server = Program::quiet_server(model, "echo-server", args)?;
        rows.push(hold(model, &server)?);
        server.interrupt();
    }
    println!(
        "\n  {}{}{}{}answered",
        pad("model", 12),
        pad("threads", 9),
        pad("children", 10),
        pad("memory (PSS)", 15)
    );
    for row in &rows {
        println!(
            "  {}{}{}{}{}/{CLIENTS}",
            pad(row.model, 12),
            pad(&row.threads.to_string(), 9),
            pad(&row.children.to_string(), 10),
            pad(&format!("{:.1} MiB", row.pss_kib as f64 / 1024.0), 15),
            row.answered
        );
    }
    say("(memory: PSS, the server's and its children's resident memory, each page");
    say(" shared copy-on-write counted once in all, split between its sharers.)");
    say("sequential: serves the first client; 999 wait in the kernel's listen queue.");
    say("threading/forking: a thread or a process per idle client: all answered,");
    say("  at the price of 1,000 threads or 1,000 processes.");
    say("pool: a few workers serve a few clients to the end; a bounded queue waits,");
    say("  and the rest are refused at once: bounded cost, clear refusal.");
    say("poll: one thread and a table entry per client: all answered, almost free.");
    Ok(())
}

/// Connects the idle clients, counts what the server holds, then has each
/// client send a line and counts the answers that come within 2 s.
fn hold(model: &'static str, server: &Program) -> Result<Held, Box<dyn std::error::Error>> {
    let mut clients = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        clients.push(TcpStream::connect(("127.0.0.1", server.port))?);
    }
    settle(server.pid());
    let pid = server.pid();
    let children = children_of(pid);
    let pss_kib = pss_kib(pid) + children.iter().map(|&c| pss_kib(c)).sum::<u64>();
    let threads = status_field(pid, "Threads");
    // Every client speaks, then we collect answers for at most 2 s.
    for client in &mut clients {
        let _ = client.write_all(b"still there?\n");
        let _ = client.set_nonblocking(true);
    }
    let mut answered = vec![false; CLIENTS];
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline && answered.iter().any(|a| !a) {
        for (client, done) in clients.iter_mut().zip(answered.iter_mut()) {
            let mut echo = [0u8; 13];
            if !*done && matches!(client.read(&mut echo), Ok(13)) {
                *done = &echo == b"still there?\n";
            }
        }
        thread::sleep(Duration::from_millis(10));
    }
    let answered = answered.iter().filter(|&&a| a).count();
    say(&format!(
        "{model}: {threads} threads, {} child processes, {:.1} MiB; {answered} of {CLIENTS} answered",
        children.len(),
        pss_kib as f64 / 1024.0
    ));
    Ok(Held {
        model,
        threads,
        children: children.len(),
        pss_kib,
        answered,
    })
}

/// Waits until the server has stopped taking new descriptors and children
/// (it has accepted what it will), at most 10 s.
fn settle(pid: u32) {
    let count = || fd_count(pid) + children_of(pid).len();
    let end = Instant::now() + Duration::from_secs(10);
    let (mut last, mut since) = (count(), Instant::now());
    while Instant::now() < end && since.elapsed() < Duration::from_millis(300) {
        thread::sleep(Duration::from_millis(20));
        let now = count();
        if now != last {
            (last, since) = (now, Instant::now());
        }
    }
}
