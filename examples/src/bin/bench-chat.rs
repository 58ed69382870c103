//! bench-chat: delivery rate and latency of the chat room with 100 and
//! 1,000 members.
//!
//! ```text
//! cargo bench-chat [-- --members 100,1000 --seconds 5 --window 64 --rounds 3 --size 100]
//! ```
//!
//! One sender talks as fast as a window allows (at most `window` messages
//! ahead of the slowest reading member); every member reads on its own
//! thread and notes when each message arrives. For each number of
//! members, runs, each against a fresh server in this process:
//!
//! - UDP: `UdpChat`;
//! - TCP: `TcpChat`, the room on the framework's event loop (one thread);
//! - TCP + 1 member that never reads: the same, plus a member that joins and
//!   then reads nothing. The server must cut it off (it holds the sender
//!   back for at most `Settings::hold`, then its queue passes the byte
//!   limit) and the others' delivery rate should stay within 10% of the
//!   plain TCP run.
//!
//! TCP runs alternate (plain, with sleeper, plain, ...) so that a change of
//! machine load hits both alike. Figures on a shared machine are noisy.
//! The members' threads and descriptors live in this process: the
//! descriptor limit is raised to the hard limit first.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use clap::Parser;
use examples::chat::Settings;
use examples::chat::tcp::TcpChat;
use examples::chat::udp::UdpChat;

/// Measure the chat room: deliveries per second and p99 delivery latency.
#[derive(Parser)]
#[command(name = "bench-chat")]
struct Args {
    /// Reading members (the sender comes on top); one set of runs per number.
    #[arg(long, value_delimiter = ',', default_values_t = [100, 1000])]
    members: Vec<usize>,
    /// Seconds of sending per run.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Most messages in flight ahead of the slowest reading member.
    #[arg(long, default_value_t = 64)]
    window: u64,
    /// TCP runs of each kind (alternating plain / with a member that never reads).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Bytes of text per message (a chat line; padded with '.').
    #[arg(long, default_value_t = 100)]
    size: usize,
}

/// What one run measured.
struct Outcome {
    sent: u64,
    delivered: u64,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
    /// Set in runs with a member that never reads: was it cut off?
    sleeper_cut_off: Option<bool>,
}

impl Outcome {
    fn rate(&self) -> f64 {
        self.delivered as f64 / self.elapsed.as_secs_f64()
    }
}

/// What every reading member shares with the sender.
struct Shared {
    /// The base of the timestamps carried in messages.
    epoch: Instant,
    /// Per member: the highest message number seen (+1; 0 = none yet).
    progress: Vec<AtomicU64>,
    stop: AtomicBool,
}

impl Shared {
    fn new(members: usize) -> Arc<Shared> {
        Arc::new(Shared {
            epoch: Instant::now(),
            progress: (0..members).map(|_| AtomicU64::new(0)).collect(),
            stop: AtomicBool::new(false),
        })
    }

    fn slowest(&self) -> u64 {
        self.progress
            .iter()
            .map(|p| p.load(Ordering::Acquire))
            .min()
            .unwrap_or(0)
    }

    fn nanos(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }
}

/// The text of message `seq`: its number, when it was sent, and padding.
fn message(seq: u64, nanos: u64, size: usize) -> String {
    let mut text = format!("{seq} {nanos} ");
    let pad = size.saturating_sub(text.len());
    text.extend(std::iter::repeat_n('.', pad));
    text
}

/// Parses `sender: <seq> <nanos> ...` and notes it; returns the latency.
fn note(shared: &Shared, member: usize, line: &str) -> Option<u64> {
    let rest = line.trim_end().strip_prefix("sender: ")?;
    let mut words = rest.split(' ');
    let (seq, sent) = (words.next()?, words.next()?);
    let (seq, sent): (u64, u64) = (seq.parse().ok()?, sent.parse().ok()?);
    shared.progress[member].fetch_max(seq + 1, Ordering::AcqRel);
    Some(shared.nanos().saturating_sub(sent))
}

fn main() {
    let args = Args::parse();
    // 1,000 members take three descriptors each: two on the client side, one on the server's.
    let descriptors = examples::proc_info::raise_fd_limit();
    println!(
        "bench-chat: {:?} members, {}-byte messages, {} s per run, window {}, {} CPUs (shared with other work: figures are noisy), {descriptors} descriptors",
        args.members,
        args.size,
        args.seconds,
        args.window,
        thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut comparisons = Vec::new();
    for &members in &args.members {
        comparisons.push(run_all(&args, members));
    }
    println!();
    println!("| comparison | ratio |");
    println!("|---|---|");
    for c in &comparisons {
        println!(
            "| {} members: TCP (median) / UDP deliveries per second | {:.2} |",
            c.members, c.tcp_over_udp
        );
        println!(
            "| {} members: TCP with a member that never reads / TCP without (medians of {} rounds) | {:.2} |",
            c.members, c.rounds, c.sleeper_ratio
        );
    }
    println!();
    for c in &comparisons {
        println!(
            "{} members: never-reading member cut off in every run: {}; others' rate at least 90% of the run without it: {}",
            c.members,
            if c.cut_off { "yes" } else { "NO" },
            if c.sleeper_ratio >= 0.9 { "yes" } else { "NO" }
        );
    }
}

/// The ratios measured for one number of members.
struct Comparison {
    members: usize,
    rounds: usize,
    tcp_over_udp: f64,
    sleeper_ratio: f64,
    cut_off: bool,
}

/// UDP once, then the TCP rounds, for `members` reading members.
fn run_all(args: &Args, members: usize) -> Comparison {
    let udp = run_udp(args, members);
    print_row(&format!("UDP, {members} members"), &udp);
    let rounds = args.rounds.max(1);
    let mut plain = Vec::new();
    let mut sleepy = Vec::new();
    for round in 1..=rounds {
        let outcome = run_tcp(args, members, false);
        print_row(&format!("TCP, {members} members (round {round})"), &outcome);
        plain.push(outcome);
        let outcome = run_tcp(args, members, true);
        print_row(
            &format!("TCP, {members} members + 1 never reads (round {round})"),
            &outcome,
        );
        sleepy.push(outcome);
    }
    // The median, not the mean: one run disturbed by other work on the
    // machine should not decide the comparison.
    let median = |runs: &[Outcome]| {
        let mut rates: Vec<f64> = runs.iter().map(Outcome::rate).collect();
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let (plain_rate, sleepy_rate) = (median(&plain), median(&sleepy));
    Comparison {
        members,
        rounds,
        tcp_over_udp: plain_rate / udp.rate(),
        sleeper_ratio: sleepy_rate / plain_rate,
        cut_off: sleepy.iter().all(|o| o.sleeper_cut_off == Some(true)),
    }
}

/// A reader's thread: small stacks, since there may be a thousand of them.
fn spawn_small<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn a member's thread")
}

fn print_row(name: &str, o: &Outcome) {
    static HEADER: std::sync::Once = std::sync::Once::new();
    HEADER.call_once(|| {
        println!();
        println!(
            "| run | messages sent | deliveries | deliveries/s | p50 latency | p99 latency | never-reading member |"
        );
        println!("|---|---|---|---|---|---|---|");
    });
    let sleeper = match o.sleeper_cut_off {
        None => "-",
        Some(true) => "cut off",
        Some(false) => "STILL IN",
    };
    println!(
        "| {name} | {} | {} | {:.0} | {:.2} ms | {:.2} ms | {sleeper} |",
        o.sent,
        o.delivered,
        o.rate(),
        o.p50.as_secs_f64() * 1e3,
        o.p99.as_secs_f64() * 1e3,
    );
}

fn settings() -> Settings {
    Settings {
        timeout: Duration::from_secs(600),
        silent: true,
        ..Settings::default()
    }
}

fn run_udp(args: &Args, members: usize) -> Outcome {
    let chat = UdpChat::bind("127.0.0.1:0", settings()).expect("bind the UDP chat");
    let addr = chat.server_address();
    let handle = chat.handle();
    let server = thread::spawn(move || chat.serve_forever());
    let shared = Shared::new(members);
    let mut readers = Vec::new();
    for i in 0..members {
        let socket = udp_member(addr, &format!("m{i}"));
        readers.push(spawn_udp_reader(socket, i, Arc::clone(&shared)));
    }
    let sender = udp_member(addr, "sender");
    let (sent, elapsed) = drive(args, &shared, |seq, nanos| {
        let text = message(seq, nanos, args.size);
        let _ = sender.send(format!("C sender {text}").as_bytes());
    });
    // UDP readers stop on the flag (they wake every 100 ms).
    shared.stop.store(true, Ordering::Release);
    let latencies = collect(readers);
    handle.shutdown();
    let _ = server.join();
    summarise(latencies, sent, elapsed)
}

fn udp_member(server: SocketAddr, name: &str) -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.connect(server).expect("connect");
    socket2::SockRef::from(&socket)
        .set_recv_buffer_size(1 << 20)
        .expect("SO_RCVBUF");
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    socket.send(format!("L {name}").as_bytes()).expect("send L");
    let mut buf = [0u8; 2048];
    loop {
        let n = socket.recv(&mut buf).expect("an answer to L");
        if &buf[..n] == b"OK" {
            break;
        }
    }
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    socket
}

fn spawn_udp_reader(socket: UdpSocket, member: usize, shared: Arc<Shared>) -> JoinHandle<Vec<u64>> {
    spawn_small(move || {
        let mut latencies = Vec::new();
        let mut buf = [0u8; 2048];
        while !shared.stop.load(Ordering::Acquire) {
            if let Ok(n) = socket.recv(&mut buf) {
                if let Some(latency) = note(&shared, member, &String::from_utf8_lossy(&buf[..n])) {
                    latencies.push(latency);
                }
            }
        }
        latencies
    })
}

fn run_tcp(args: &Args, members: usize, with_sleeper: bool) -> Outcome {
    let chat = TcpChat::bind("127.0.0.1:0", settings()).expect("bind the TCP chat");
    let addr = chat.server_address();
    let handle = chat.handle();
    let room = Arc::clone(chat.room());
    let server = thread::spawn(move || {
        let result = chat.serve_forever();
        drop(chat); // closes whatever the goodbye left open
        result
    });
    let shared = Shared::new(members);
    let mut readers = Vec::new();
    let mut streams = Vec::new();
    for i in 0..members {
        let (stream, reader) = tcp_member(addr, &format!("m{i}"));
        streams.push(stream);
        readers.push(spawn_tcp_reader(reader, i, Arc::clone(&shared)));
    }
    // The sleeper joins, then reads nothing at all.
    let sleeper = with_sleeper.then(|| tcp_member(addr, "sleeper"));
    let (mut sender, sender_reader) = tcp_member(addr, "sender");
    // The sender reads what it is sent (join notices), so that it is not slow itself.
    let drain = thread::spawn(move || for _ in sender_reader.lines() {});
    let (sent, elapsed) = drive(args, &shared, |seq, nanos| {
        // One write per line: `writeln!` on an unbuffered socket would send
        // the text and its newline as two segments.
        let mut line = message(seq, nanos, args.size);
        line.push('\n');
        let _ = sender.write_all(line.as_bytes());
    });
    let sleeper_cut_off = with_sleeper.then(|| !room.names().iter().any(|n| n == "sleeper"));
    drop(sleeper);
    // TCP readers end when the server closes their connections.
    handle.shutdown();
    let _ = server.join();
    let latencies = collect(readers);
    let _ = drain.join();
    drop(streams);
    Outcome {
        sleeper_cut_off,
        ..summarise(latencies, sent, elapsed)
    }
}

fn tcp_member(server: SocketAddr, name: &str) -> (TcpStream, BufReader<TcpStream>) {
    let mut stream = TcpStream::connect(server).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("prompt");
    writeln!(stream, "{name}").expect("send name");
    line.clear();
    reader.read_line(&mut line).expect("OK");
    assert_eq!(line, "OK\n", "{name} joins");
    (stream, reader)
}

fn spawn_tcp_reader(
    reader: BufReader<TcpStream>,
    member: usize,
    shared: Arc<Shared>,
) -> JoinHandle<Vec<u64>> {
    spawn_small(move || {
        let mut latencies = Vec::new();
        // Ends when the server closes the connection at shutdown.
        for line in reader.lines() {
            let Ok(line) = line else { break };
            if let Some(latency) = note(&shared, member, &line) {
                latencies.push(latency);
            }
        }
        latencies
    })
}

/// Sends for `args.seconds`, keeping at most `window` messages ahead of the
/// slowest member, then waits (1 s at most) for the last deliveries.
/// Returns how many messages were sent and how long it all took.
fn drive(args: &Args, shared: &Shared, mut send: impl FnMut(u64, u64)) -> (u64, Duration) {
    let duration = Duration::from_secs_f64(args.seconds);
    let start = Instant::now();
    let mut seq = 0;
    while start.elapsed() < duration {
        let waiting = Instant::now();
        // A lost datagram must not stall the run: give up waiting after 20 ms.
        while seq >= shared.slowest() + args.window && waiting.elapsed() < Duration::from_millis(20)
        {
            // Sleep, not spin: a spinning sender would take a CPU away from
            // the server and the members it is measuring.
            thread::sleep(Duration::from_micros(50));
        }
        send(seq, shared.nanos());
        seq += 1;
    }
    let settle = Instant::now();
    while shared.slowest() < seq && settle.elapsed() < Duration::from_secs(1) {
        thread::sleep(Duration::from_millis(1));
    }
    (seq, start.elapsed())
}

/// Joins the reader threads and merges their latencies.
fn collect(readers: Vec<JoinHandle<Vec<u64>>>) -> Vec<u64> {
    let mut all = Vec::new();
    for reader in readers {
        all.extend(reader.join().unwrap_or_default());
    }
    all
}

fn summarise(mut latencies: Vec<u64>, sent: u64, elapsed: Duration) -> Outcome {
    latencies.sort_unstable();
    let at = |q: f64| {
        let i = ((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1));
        Duration::from_nanos(latencies.get(i).copied().unwrap_or(0))
    };
    Outcome {
        sent,
        delivered: latencies.len() as u64,
        elapsed,
        p50: at(0.50),
        p99: at(0.99),
        sleeper_cut_off: None,
    }
}
