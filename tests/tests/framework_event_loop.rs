//! The event-loop model (`EventLoopServer`) in the test process: many
//! clients on one thread, framing, half-closed connections, write queues
//! and the output limit, timeouts, failing protocols, shutdown and close.
//! (An event-loop server never forks, so it may run inside the harness.)

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use framework::{
    Address, CloseReason, Conn, EpollTcpServer, LineProtocol, Lines, Protocol, RequestError,
    Timeout,
};
use parking_lot::Mutex;
use tests::in_process::{DEADLINE, RunningLoop, ask, connect, raise_fd_limit, within};
use tests::procfs::wait_until;

const POLL: Duration = Duration::from_millis(50);

/// Echoes every line; records why each connection closed.
struct Echo {
    log: Arc<Mutex<Vec<String>>>,
}

impl LineProtocol for Echo {
    fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
        match line {
            b"panic\n" => panic!("asked to panic"),
            b"fail\n" => Err(io::Error::other("asked to fail")),
            _ => {
                conn.write(line);
                Ok(())
            }
        }
    }

    fn timed_out(&mut self, conn: &mut Conn<'_>, timeout: Timeout) -> io::Result<()> {
        conn.write(format!("bye: {timeout:?}\n").as_bytes());
        Ok(())
    }

    fn closed(&mut self, _conn: &mut Conn<'_>, reason: &CloseReason) {
        self.log.lock().push(format!("{reason:?}"));
    }
}

type Log = Arc<Mutex<Vec<String>>>;

/// An echo server with a log of close reasons and of `handle_error` reports.
fn echo_server() -> (
    EpollTcpServer<Lines<Echo>, impl Fn() -> Lines<Echo> + Send + Sync + 'static>,
    Log,
    Log,
) {
    let closes: Log = Arc::default();
    let errors: Log = Arc::default();
    let for_factory = Arc::clone(&closes);
    let mut server = EpollTcpServer::bind("127.0.0.1:0", move || {
        Lines::new(Echo {
            log: Arc::clone(&for_factory),
        })
    })
    .unwrap();
    let reports = Arc::clone(&errors);
    server.set_handle_error(move |client: &Address, error: &RequestError| {
        reports.lock().push(format!("{client}: {error}"));
    });
    (server, closes, errors)
}

fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    stream.read_to_end(&mut all).unwrap();
    all
}

#[test]
fn two_thousand_clients_at_once_on_one_thread() {
    raise_fd_limit();
    let (server, _, _) = echo_server();
    let running = RunningLoop::start(server, POLL);
    let addr = running.addr();
    let mut clients: Vec<TcpStream> = (0..2000).map(|_| connect(addr)).collect();
    assert!(
        wait_until(DEADLINE, || running.server.connection_count() == 2000),
        "the loop holds all 2000 (has {})",
        running.server.connection_count()
    );
    // Every client speaks before any reads: all 2000 are in flight together.
    for (i, client) in clients.iter_mut().enumerate() {
        client
            .write_all(format!("client {i}\n").as_bytes())
            .unwrap();
    }
    for (i, client) in clients.iter_mut().enumerate() {
        let mut line = String::new();
        BufReader::new(client).read_line(&mut line).unwrap();
        assert_eq!(line, format!("client {i}\n"));
    }
    drop(clients);
    assert!(wait_until(DEADLINE, || running.server.connection_count() == 0));
    running.stop();
}

#[test]
fn a_slow_writer_sending_one_byte_at_a_time_is_framed_into_whole_lines() {
    /// Answers each line with its length: wrong framing shows at once.
    struct Length;
    impl LineProtocol for Length {
        fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
            conn.write(format!("{}\n", line.len()).as_bytes());
            Ok(())
        }
    }
    let server = EpollTcpServer::bind("127.0.0.1:0", || Lines::new(Length)).unwrap();
    let running = RunningLoop::start(server, POLL);
    let mut client = connect(running.addr());
    client.set_nodelay(true).unwrap();
    let text = b"a\nbb\n\nfour\nthe fifth line\n";
    for &byte in text {
        client.write_all(&[byte]).unwrap();
        // Each byte its own segment: wait until the server has surely read it.
        thread::sleep(Duration::from_millis(1));
    }
    let mut reader = BufReader::new(client);
    for expected in ["2", "3", "1", "5", "15"] {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert_eq!(line.trim_end(), expected);
    }
    running.stop();
}

#[test]
fn a_half_closed_connection_gets_every_answer_then_end_of_file() {
    let (server, closes, _) = echo_server();
    let running = RunningLoop::start(server, POLL);
    let mut client = connect(running.addr());
    // More than the socket buffers hold: the answers queue up while the
    // client is still sending, and the last line has no newline.
    let mut sent = Vec::new();
    for i in 0..40_000 {
        sent.extend_from_slice(format!("line {i:08} of the half-close test\n").as_bytes());
    }
    sent.extend_from_slice(b"the end, without a newline");
    let mut writer = client.try_clone().unwrap();
    let body = sent.clone();
    let sender = thread::spawn(move || {
        writer.write_all(&body).unwrap();
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let got = read_to_end(&mut client);
    sender.join().unwrap();
    assert_eq!(got.len(), sent.len());
    assert!(got == sent, "the echo differs from what was sent");
    assert!(wait_until(DEADLINE, || closes.lock().len() == 1));
    assert_eq!(closes.lock()[0], "PeerClosed");
    running.stop();
}

#[test]
fn a_client_that_never_reads_is_closed_at_its_limit_while_a_bystander_keeps_its_round_trips() {
    let (mut server, closes, _) = echo_server();
    server.set_max_output(1024 * 1024);
    let running = RunningLoop::start(server, POLL);
    let addr = running.addr();

    // The flooder sends lines and never reads its echoes: they pile up in
    // its socket, then in the server's queue for it, until the limit.
    let flooder = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    flooder.set_recv_buffer_size(4096).unwrap();
    flooder.connect(&addr.into()).unwrap();
    let mut flooder: TcpStream = flooder.into();
    let flooding = thread::spawn(move || {
        let line = [b'x'; 1023]
            .iter()
            .chain(b"\n")
            .copied()
            .collect::<Vec<u8>>();
        let mut sent = 0usize;
        // Bounded: far more than the limit plus every buffer on the way.
        while sent < 256 * 1024 * 1024 {
            if flooder.write_all(&line).is_err() {
                return Some(sent);
            }
            sent += line.len();
        }
        None
    });

    let mut bystander = connect(addr);
    let mut round_trips = 0;
    while !flooding.is_finished() && round_trips < 100_000 {
        let line = format!("round trip {round_trips}\n");
        assert_eq!(ask(&mut bystander, &line), line);
        round_trips += 1;
    }
    let cut_after = flooding.join().unwrap();
    assert!(
        cut_after.is_some(),
        "the flooder was never cut off (its writes all went through)"
    );
    assert!(round_trips > 0, "the bystander was answered meanwhile");
    assert!(
        wait_until(DEADLINE, || closes
            .lock()
            .iter()
            .any(|r| r == "OutputLimit")),
        "close reasons: {:?}",
        closes.lock()
    );
    // And the bystander goes on afterwards.
    assert_eq!(ask(&mut bystander, "still here\n"), "still here\n");
    running.stop();
}

#[test]
fn a_panicking_or_failing_protocol_closes_its_own_connection_only() {
    let (server, closes, errors) = echo_server();
    let running = RunningLoop::start(server, POLL);
    let addr = running.addr();
    let mut bystander = connect(addr);
    assert_eq!(ask(&mut bystander, "before\n"), "before\n");
    for (word, report) in [
        ("panic", "the handler panicked: asked to panic"),
        ("fail", "asked to fail"),
    ] {
        let mut victim = connect(addr);
        victim.write_all(format!("{word}\n").as_bytes()).unwrap();
        assert_eq!(read_to_end(&mut victim), b"", "closed without an answer");
        assert!(
            wait_until(DEADLINE, || errors
                .lock()
                .iter()
                .any(|e| e.contains(report))),
            "handle_error reports: {:?}",
            errors.lock()
        );
    }
    assert_eq!(ask(&mut bystander, "after\n"), "after\n");
    assert_eq!(
        closes
            .lock()
            .iter()
            .filter(|r| *r == "ProtocolError")
            .count(),
        2
    );
    running.stop();
}

#[test]
fn shutdown_wakes_the_loop_at_once_and_serving_can_resume() {
    let (server, _, _) = echo_server();
    // A 10 s poll interval: shutdown must not wait for it.
    let running = RunningLoop::start(server, Duration::from_secs(10));
    let mut client = connect(running.addr());
    assert_eq!(ask(&mut client, "one\n"), "one\n");
    let started = Instant::now();
    let server = running.stop();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "shutdown took {:?}",
        started.elapsed()
    );
    // The connection survived the stop; a new serve_forever serves it on.
    let running = RunningLoop::start(server, POLL);
    assert_eq!(ask(&mut client, "two\n"), "two\n");
    running.stop();
}

#[test]
fn server_close_ends_every_open_connection_and_tells_each_protocol() {
    let (server, closes, _) = echo_server();
    let running = RunningLoop::start(server, POLL);
    let mut clients: Vec<TcpStream> = (0..3).map(|_| connect(running.addr())).collect();
    for client in &mut clients {
        assert_eq!(ask(client, "hi\n"), "hi\n");
    }
    running.stop().server_close();
    for client in &mut clients {
        assert_eq!(read_to_end(client), b"");
    }
    assert_eq!(*closes.lock(), vec!["ServerClosed"; 3]);
}

#[test]
fn the_idle_timeout_says_goodbye_and_closes_but_spares_a_busy_client() {
    let (mut server, closes, _) = echo_server();
    server.set_idle_timeout(Some(Duration::from_millis(300)));
    let running = RunningLoop::start(server, POLL);
    let mut idle = connect(running.addr());
    let mut busy = connect(running.addr());
    let started = Instant::now();
    // The busy one talks every 50 ms, for longer than the timeout.
    while started.elapsed() < Duration::from_millis(900) {
        assert_eq!(ask(&mut busy, "busy\n"), "busy\n");
        thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(read_to_end(&mut idle), b"bye: Idle\n");
    assert_eq!(ask(&mut busy, "still\n"), "still\n");
    assert_eq!(*closes.lock(), vec!["TimedOut(Idle)"]);
    running.stop();
}

#[test]
fn the_total_timeout_ends_even_a_busy_connection() {
    let (mut server, closes, _) = echo_server();
    server.set_total_timeout(Some(Duration::from_millis(300)));
    let running = RunningLoop::start(server, POLL);
    let mut busy = connect(running.addr());
    let mut answers = BufReader::new(busy.try_clone().unwrap());
    let started = Instant::now();
    let mut last = String::new();
    // Busy all the time: a round trip every 20 ms, until the server ends it.
    while busy.write_all(b"busy\n").is_ok() && started.elapsed() < DEADLINE {
        last.clear();
        if answers.read_line(&mut last).unwrap_or(0) == 0 || last.starts_with("bye") {
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(last, "bye: Total\n");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(wait_until(DEADLINE, || closes.lock().len() == 1));
    assert_eq!(closes.lock()[0], "TimedOut(Total)");
    running.stop();
}

#[test]
fn verify_request_refuses_a_client_before_any_protocol_exists() {
    let made = Arc::new(Mutex::new(0));
    let counter = Arc::clone(&made);
    let mut server = EpollTcpServer::bind("127.0.0.1:0", move || {
        *counter.lock() += 1;
        Lines::new(Echo {
            log: Arc::default(),
        })
    })
    .unwrap();
    server.set_verify_request(|_| false);
    let running = RunningLoop::start(server, POLL);
    let mut refused = connect(running.addr());
    let _ = refused.write_all(b"hello\n");
    let mut answer = Vec::new();
    let _ = refused.read_to_end(&mut answer);
    assert!(answer.is_empty(), "a refused client gets nothing");
    assert_eq!(*made.lock(), 0, "no protocol was made");
    running.stop();
}

#[test]
fn a_large_answer_goes_out_in_parts_from_writable_in_order() {
    /// Sends `TOTAL` bytes in 64 KiB parts, each when the last has gone:
    /// the way to send more than the output limit.
    struct Stream {
        sent: usize,
    }
    const TOTAL: usize = 16 * 1024 * 1024;
    const PART: usize = 64 * 1024;
    fn byte(i: usize) -> u8 {
        (i % 251) as u8
    }
    impl Stream {
        fn more(&mut self, conn: &mut Conn<'_>) {
            while self.sent < TOTAL && conn.output_len() < PART {
                let part: Vec<u8> = (self.sent..self.sent + PART).map(byte).collect();
                conn.write(&part);
                self.sent += PART;
            }
            if self.sent == TOTAL && conn.output_len() == 0 {
                conn.close();
            }
        }
    }
    impl Protocol for Stream {
        fn connected(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
            self.more(conn);
            Ok(())
        }
        fn data_received(&mut self, _: &mut Conn<'_>, _: &[u8]) -> io::Result<()> {
            Ok(())
        }
        fn writable(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
            self.more(conn);
            Ok(())
        }
    }
    let mut server = EpollTcpServer::bind("127.0.0.1:0", || Stream { sent: 0 }).unwrap();
    // Far below the total: only a protocol that waits for `writable` fits.
    server.set_max_output(256 * 1024);
    let running = RunningLoop::start(server, POLL);
    let mut client = connect(running.addr());
    let got = within(DEADLINE, move || read_to_end(&mut client));
    assert_eq!(got.len(), TOTAL);
    assert!(got.iter().enumerate().all(|(i, &b)| b == byte(i)));
    running.stop();
}

#[test]
fn pause_reading_holds_a_client_back_until_resumed() {
    /// Reads one line, then pauses until the second connection says "go".
    struct Gatekeeper {
        paused: Arc<Mutex<Option<framework::ConnId>>>,
    }
    impl LineProtocol for Gatekeeper {
        fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
            if line == b"go\n" {
                if let Some(id) = self.paused.lock().take() {
                    conn.set_reading(id, true);
                }
                return Ok(());
            }
            conn.write(line);
            if line == b"pause\n" {
                conn.pause_reading();
                *self.paused.lock() = Some(conn.id());
            }
            Ok(())
        }
    }
    let paused = Arc::new(Mutex::new(None));
    let shared = Arc::clone(&paused);
    let server = EpollTcpServer::bind("127.0.0.1:0", move || {
        Lines::new(Gatekeeper {
            paused: Arc::clone(&shared),
        })
    })
    .unwrap();
    let running = RunningLoop::start(server, POLL);
    let mut held = connect(running.addr());
    assert_eq!(ask(&mut held, "pause\n"), "pause\n");
    held.write_all(b"waiting\n").unwrap();
    held.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 16];
    let early = held.read(&mut buf);
    assert!(
        matches!(&early, Err(e) if e.kind() == io::ErrorKind::WouldBlock),
        "no answer while paused: {early:?}"
    );
    held.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut other = connect(running.addr());
    other.write_all(b"go\n").unwrap();
    let mut line = String::new();
    BufReader::new(&mut held).read_line(&mut line).unwrap();
    assert_eq!(line, "waiting\n");
    running.stop();
}

#[test]
fn two_loops_share_the_clients_between_two_threads() {
    /// Answers with the name of the thread that serves the connection.
    struct WhichThread;
    impl Protocol for WhichThread {
        fn data_received(&mut self, conn: &mut Conn<'_>, _: &[u8]) -> io::Result<()> {
            let name = format!("{:?}\n", thread::current().id());
            conn.write(name.as_bytes());
            Ok(())
        }
    }
    let mut server = EpollTcpServer::bind("127.0.0.1:0", || WhichThread).unwrap();
    server.set_loops(2).unwrap();
    assert_eq!(server.loops(), 2);
    let running = RunningLoop::start(server, POLL);
    // The first loop deals new connections round the loops: of four
    // clients, each loop serves two, on its own thread.
    let mut clients: Vec<TcpStream> = (0..4).map(|_| connect(running.addr())).collect();
    let mut threads = std::collections::HashMap::new();
    for client in &mut clients {
        *threads.entry(ask(client, "?\n")).or_insert(0) += 1;
    }
    assert_eq!(threads.len(), 2, "two loops, two threads: {threads:?}");
    assert!(
        threads.values().all(|&n| n == 2),
        "dealt evenly: {threads:?}"
    );
    running.stop();
}

#[test]
fn the_connection_cap_keeps_new_clients_waiting_until_one_leaves() {
    let (mut server, _, _) = echo_server();
    server.set_max_connections(Some(2));
    let running = RunningLoop::start(server, POLL);
    let mut first = connect(running.addr());
    let mut second = connect(running.addr());
    assert_eq!(ask(&mut first, "1\n"), "1\n");
    assert_eq!(ask(&mut second, "2\n"), "2\n");
    let mut third = connect(running.addr()); // queued by the kernel
    third.write_all(b"3\n").unwrap();
    third
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 2];
    assert!(third.read(&mut buf).is_err(), "not served above the cap");
    assert_eq!(running.server.connection_count(), 2);
    drop(first);
    third.set_read_timeout(Some(DEADLINE)).unwrap();
    third.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"3\n");
    running.stop();
}

#[test]
fn shutdown_write_ends_our_side_after_the_queue_but_keeps_reading() {
    /// Says "ok" and ends its side on "bye"; counts every line.
    struct HalfClose {
        lines: Arc<Mutex<usize>>,
    }
    impl LineProtocol for HalfClose {
        fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
            *self.lines.lock() += 1;
            if line == b"bye\n" {
                conn.write(b"ok\n");
                conn.shutdown_write();
                conn.write(b"ignored after shutdown_write\n");
            }
            Ok(())
        }
    }
    let lines = Arc::new(Mutex::new(0));
    let counted = Arc::clone(&lines);
    let server = EpollTcpServer::bind("127.0.0.1:0", move || {
        Lines::new(HalfClose {
            lines: Arc::clone(&counted),
        })
    })
    .unwrap();
    let running = RunningLoop::start(server, POLL);
    let mut client = connect(running.addr());
    client.write_all(b"bye\n").unwrap();
    assert_eq!(read_to_end(&mut client), b"ok\n", "then end of file");
    // Our side is shut, theirs is not: the server still reads.
    client.write_all(b"one\ntwo\n").unwrap();
    assert!(wait_until(DEADLINE, || *lines.lock() == 3));
    running.stop();
}

#[test]
fn a_protocol_timer_fires_once_and_a_new_one_replaces_it() {
    /// Sets a timer on "in N ms", cancels it on "cancel", says "ring" when it fires.
    struct Alarm;
    impl LineProtocol for Alarm {
        fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
            let text = String::from_utf8_lossy(line);
            let words: Vec<&str> = text.split_whitespace().collect();
            match words[..] {
                ["in", ms] => conn.set_timer(Some(Duration::from_millis(ms.parse().unwrap()))),
                ["cancel"] => conn.set_timer(None),
                _ => conn.write(line),
            }
            Ok(())
        }
        fn timed_out(&mut self, conn: &mut Conn<'_>, timeout: Timeout) -> io::Result<()> {
            conn.write(format!("ring {timeout:?}\n").as_bytes());
            Ok(())
        }
    }
    let server = EpollTcpServer::bind("127.0.0.1:0", || Lines::new(Alarm)).unwrap();
    let running = RunningLoop::start(server, POLL);
    let mut client = connect(running.addr());
    let started = Instant::now();
    client.write_all(b"in 100\nin 400\n").unwrap();
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "ring Timer\n");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "the second replaced the first"
    );
    // A cancelled timer never rings; the connection stays (a protocol's
    // timer does not close it).
    client.write_all(b"in 100\ncancel\n").unwrap();
    thread::sleep(Duration::from_millis(300));
    assert_eq!(ask(&mut client, "still open\n"), "still open\n");
    running.stop();
}

#[test]
fn a_file_range_goes_out_by_sendfile_between_written_bytes() {
    /// Answers "file" with head, a range of the file, tail.
    struct Files {
        path: std::path::PathBuf,
    }
    impl LineProtocol for Files {
        fn line_received(&mut self, conn: &mut Conn<'_>, _: &[u8]) -> io::Result<()> {
            let file = std::fs::File::open(&self.path)?;
            conn.write(b"<");
            conn.write_file(file, 10, 5 * 1024 * 1024);
            conn.write(b">");
            conn.close();
            Ok(())
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    let content: Vec<u8> = (0..6 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let mut server = EpollTcpServer::bind("127.0.0.1:0", move || {
        Lines::new(Files { path: path.clone() })
    })
    .unwrap();
    // Far below the file: a file range is not memory, so not limited.
    server.set_max_output(64 * 1024);
    let running = RunningLoop::start(server, POLL);
    let mut client = connect(running.addr());
    client.write_all(b"file\n").unwrap();
    let got = read_to_end(&mut client);
    let mut expected = b"<".to_vec();
    expected.extend_from_slice(&content[10..10 + 5 * 1024 * 1024]);
    expected.push(b'>');
    assert!(
        got == expected,
        "{} bytes, expected {}",
        got.len(),
        expected.len()
    );
    running.stop();
}
