//! Holding connections: what 10,000 idle kept-alive clients cost each
//! server, and whether 1,000 half-sent request heads (a slowloris) keep a
//! bystander from being served.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use examples::proc_info::{children_of, pss_kib};

use super::Running;

const REQUEST: &[u8] = b"GET /1k.bin HTTP/1.1\r\nHost: bench\r\n\r\n";

/// The proportional set size, in KiB, of a process and its children
/// (nginx serves from worker processes): shared pages counted once.
fn pss_with_children(pid: u32) -> u64 {
    pss_kib(pid) + children_of(pid).into_iter().map(pss_kib).sum::<u64>()
}

/// Sends one request and reads its response (head and 1 KiB body).
fn ask(stream: &mut TcpStream) -> std::io::Result<()> {
    stream.write_all(REQUEST)?;
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)
}

/// Each server holds `count` kept-alive connections that asked once and
/// went quiet: its memory before and while, per connection.
pub(crate) fn idle_figure(servers: &[Running], count: usize) {
    println!(
        "\nidle: {count} connections each ask for /1k.bin once and stay open \
         (memory: PSS of the server and its workers)"
    );
    println!(
        "{:<8} {:>10} {:>10} {:>10} {:>10}",
        "server", "before", "held", "KiB/conn", "answered"
    );
    for server in servers.iter().filter(|s| s.name != "python") {
        let pid = server.child.id();
        let before = pss_with_children(pid);
        let started = Instant::now();
        let mut held = Vec::with_capacity(count);
        let mut answered = 0;
        for _ in 0..count {
            let Ok(mut stream) = TcpStream::connect(("127.0.0.1", server.port)) else {
                break;
            };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            if ask(&mut stream).is_ok() {
                answered += 1;
            }
            held.push(stream);
        }
        std::thread::sleep(Duration::from_millis(300));
        let during = pss_with_children(pid);
        let per = (during as f64 - before as f64) / count as f64;
        println!(
            "{:<8} {:>6} KiB {:>6} KiB {:>10.2} {:>5}/{count}   ({:.1} s)",
            server.name,
            before,
            during,
            per,
            answered,
            started.elapsed().as_secs_f64()
        );
        if server.name == "poll" {
            let verdict = if per <= 1.0 { "met" } else { "NOT met" };
            println!("  poll: {per:.2} KiB per idle kept-alive connection (≤ 1 KiB: {verdict})");
        }
        drop(held);
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// 1,000 connections send half a request head and wait; meanwhile a
/// bystander asks 100 times, each on a new connection.
pub(crate) fn slowloris_figure(servers: &[Running]) {
    println!(
        "\nslowloris: 1000 connections send half a head and wait; a bystander asks 100 times \
         on new connections"
    );
    println!(
        "{:<8} {:>9} {:>9} {:>9} {:>9}",
        "server", "p50 ms", "p99 ms", "max ms", "served"
    );
    for server in servers.iter().filter(|s| s.name != "python") {
        let loris: Vec<TcpStream> = (0..1000)
            .filter_map(|_| {
                let mut s = TcpStream::connect(("127.0.0.1", server.port)).ok()?;
                s.write_all(b"GET /1k.bin HTTP/1.1\r\nHost: x\r\n").ok()?;
                Some(s)
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        let mut times = Vec::new();
        for _ in 0..100 {
            let started = Instant::now();
            let served = TcpStream::connect(("127.0.0.1", server.port)).and_then(|mut s| {
                s.set_read_timeout(Some(Duration::from_secs(5)))?;
                ask(&mut s)
            });
            if served.is_ok() {
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        times.sort_by(f64::total_cmp);
        let pick = |q: f64| {
            times
                .get(((times.len() as f64 - 1.0) * q) as usize)
                .copied()
                .unwrap_or(f64::NAN)
        };
        println!(
            "{:<8} {:>9.2} {:>9.2} {:>9.2} {:>5}/100   ({} loris held)",
            server.name,
            pick(0.5),
            pick(0.99),
            times.last().copied().unwrap_or(f64::NAN),
            times.len(),
            loris.len()
        );
        if server.name == "poll" {
            let ok = times.len() == 100 && pick(0.99) < 100.0;
            let verdict = if ok { "met" } else { "NOT met" };
            println!(
                "  poll: the bystander served in under 100 ms (p99) during the slowloris: {verdict}"
            );
        }
        drop(loris);
        std::thread::sleep(Duration::from_millis(300));
    }
}
