//! Lesson 16: server models (服务器模型) side by side, all on the framework —
//! the loop server (循环服务器), the forking and threading servers
//! (多进程/多线程并发), a bounded thread pool, and the event loop (IO并发,
//! IO多路复用) — under the same load: several slow clients at once, then
//! 1,000 idle clients (`l16_server_models/idle.rs`).

pub mod idle;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use examples::lesson_kit::{Program, heading, read_next, say};

use crate::LessonResult;
use crate::common_b::pad;

/// Clients connecting at the same time.
const CLIENTS: usize = 4;
/// How long each client "thinks" between its two lines, holding the connection.
const THINK: Duration = Duration::from_millis(200);

/// What one model did under the load.
struct Outcome {
    model: &'static str,
    slowest_first_reply: f64,
    all_done: f64,
    peak: String,
}

/// Runs the lesson.
pub fn run() -> LessonResult {
    say(&format!(
        "Load: {CLIENTS} clients connect at once; each sends a line, reads the echo,"
    ));
    say(&format!(
        "thinks for {} ms while keeping the connection, sends a second line, and leaves.",
        THINK.as_millis()
    ));
    let models = ["sequential", "threading", "forking", "pool", "poll"];
    let mut outcomes = Vec::new();
    for model in models {
        heading(&format!("The {model} server"));
        let server = Program::server(model, "echo-server", &["--model", model, "0"])?;
        outcomes.push(load(model, &server)?);
        server.interrupt();
    }
    table(&outcomes);
    idle::run()?;
    read_next(
        "notes/16-server-models.md",
        &[
            "framework/src/mixin/sequential.rs, threading.rs, forking.rs, pool.rs (the mix-ins)",
            "framework/src/event_loop/ (the event loop: reactor/mod.rs is one turn of it)",
            "examples/src/serving.rs (--model chooses the model)",
            "examples/src/bin/lesson/l16_server_models.rs and l16_server_models/idle.rs (the loads)",
        ],
    );
    Ok(())
}

/// Runs the clients against `server` and measures.
fn load(model: &'static str, server: &Program) -> Result<Outcome, Box<dyn std::error::Error>> {
    let port = server.port;
    let start = Instant::now();
    let clients: Vec<_> = (1..=CLIENTS)
        .map(|n| {
            thread::spawn(move || -> std::io::Result<f64> {
                let stream = TcpStream::connect(("127.0.0.1", port))?;
                stream.set_read_timeout(Some(Duration::from_secs(10)))?;
                let mut reader = BufReader::new(stream.try_clone()?);
                let mut line = String::new();
                (&stream).write_all(format!("hello from client {n}\n").as_bytes())?;
                reader.read_line(&mut line)?;
                let first = start.elapsed().as_secs_f64();
                thread::sleep(THINK);
                (&stream).write_all(b"bye\n")?;
                reader.read_line(&mut line)?;
                let done = start.elapsed().as_secs_f64();
                println!("[client {n}] first echo after {first:.2} s, done after {done:.2} s");
                Ok(first)
            })
        })
        .collect();
    // Halfway through the thinking, count what the server runs.
    thread::sleep(THINK / 2);
    let peak = census(server.pid());
    let mut slowest_first_reply: f64 = 0.0;
    for client in clients {
        let first = client.join().map_err(|_| "a client panicked")??;
        slowest_first_reply = slowest_first_reply.max(first);
    }
    let all_done = start.elapsed().as_secs_f64();
    say(&format!(
        "{model}: last first-reply after {slowest_first_reply:.2} s, all done after {all_done:.2} s; server had {peak}"
    ));
    Ok(Outcome {
        model,
        slowest_first_reply,
        all_done,
        peak,
    })
}

/// "N threads, M child processes" for the server process, from /proc.
fn census(pid: u32) -> String {
    let threads = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse::<usize>().ok())
        })
        .unwrap_or(0);
    let children = std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
                .filter(|&p| {
                    crate::common_b::proc_state(p).is_some_and(|(_, ppid)| ppid == pid as i32)
                })
                .count()
        })
        .unwrap_or(0);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "es" });
    format!(
        "{} {}, {}",
        threads,
        if threads == 1 { "thread" } else { "threads" },
        plural(children, "child process")
    )
}

fn table(outcomes: &[Outcome]) {
    heading("Side by side");
    println!(
        "  {}{}{}server while busy",
        pad("model", 12),
        pad("slowest 1st reply", 19),
        pad("all done", 10),
    );
    for o in outcomes {
        println!(
            "  {}{}{}{}",
            pad(o.model, 12),
            pad(&format!("{:.2} s", o.slowest_first_reply), 19),
            pad(&format!("{:.2} s", o.all_done), 10),
            o.peak
        );
    }
    say("(Server threads include the framework's helpers, e.g. the Ctrl+C watcher.)");
    say("sequential 循环服务器: one client at a time; the others wait their turn, so the");
    say("  total grows with every client. Simple and cheap: fine for short tasks (UDP).");
    say("threading / forking 多线程/多进程并发: a thread or process per client; slow clients");
    say("  overlap. Costs a thread (small) or a process (bigger, but isolated) each.");
    say("pool 线程池: a fixed set of threads; fine while clients are fewer than workers.");
    say("poll IO并发 (IO多路复用): one thread serves all, by readiness; cheapest for many");
    say("  idle connections, but one slow computation in the loop blocks everyone.");
}
