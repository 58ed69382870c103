//! The event-loop model (`--model poll`, the default): one thread serves
//! every connection. Seen from outside, a connection must behave exactly
//! as if one thread served it from start to end, waiting where it must —
//! and idle connections must hold no thread, a slow client must stall
//! nobody else, and 10,000 connections must fit under the default cap.

use std::fs;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::Duration;

use tests::http::{Client, big_file, sample_site};
use tests::procfs::wait_until;

/// Starts the server on the event loop, whatever `HTTP_SERVER_MODEL` says:
/// these tests are about that model.
fn start_server(dir: &std::path::Path, extra: &[&str]) -> tests::ServerProcess {
    let mut args = vec!["--model", "poll"];
    args.extend_from_slice(extra);
    tests::http::start_server(dir, &args)
}

fn threads_of(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/task")).unwrap().count()
}

#[test]
fn idle_kept_alive_connections_hold_no_thread() {
    let dir = sample_site();
    let server = start_server(dir.path(), &[]);
    let addr = server.addr();
    let mut clients: Vec<Client> = (0..40).map(|_| Client::connect(&addr)).collect();
    for client in &mut clients {
        assert_eq!(client.get("GET", "/digits.txt", &[]).text(), "0123456789");
    }
    // 40 open connections, none busy: the loop's thread and Ctrl+C's — not
    // one each.
    let pid = server.pid();
    assert!(
        wait_until(Duration::from_secs(10), || threads_of(pid) < 10),
        "{} threads for 40 idle connections",
        threads_of(pid)
    );
    // Every one of them is still served, in turn and out of order.
    for client in clients.iter_mut().rev() {
        assert_eq!(client.get("GET", "/digits.txt", &[]).code, 200);
    }
}

#[test]
fn a_large_answer_goes_out_from_the_queue_and_the_connection_goes_on() {
    let dir = sample_site();
    let server = start_server(dir.path(), &[]);
    let mut c = Client::connect(&server.addr());
    let big = big_file();
    for _ in 0..3 {
        assert_eq!(c.get("GET", "/digits.txt", &[]).text(), "0123456789");
        let r = c.get("GET", "/big.bin", &[]);
        assert_eq!(r.code, 200);
        assert!(r.body == big, "the big file arrived changed");
    }
    assert_eq!(c.get("GET", "/digits.txt", &[]).text(), "0123456789");
}

#[test]
fn many_pipelined_requests_are_all_answered_in_order() {
    let dir = sample_site();
    let server = start_server(dir.path(), &[]);
    let mut c = Client::connect(&server.addr());
    // More than one turn of the loop (16), with a large answer among them.
    let mut batch = Vec::new();
    let mut expected = Vec::new();
    for i in 0..40u8 {
        let digit = i % 10;
        if i == 20 {
            batch.extend_from_slice(b"GET /big.bin HTTP/1.1\r\n\r\n");
            expected.push(None);
        } else {
            batch.extend_from_slice(
                format!("GET /digits.txt HTTP/1.1\r\nRange: bytes={digit}-{digit}\r\n\r\n")
                    .as_bytes(),
            );
            expected.push(Some(digit.to_string()));
        }
    }
    c.send(&batch).unwrap();
    let big = big_file();
    for want in expected {
        let r = c.read_response(false).unwrap();
        match want {
            Some(digit) => assert_eq!(r.text(), digit),
            None => assert!(r.body == big, "the big file arrived changed"),
        }
    }
    assert_eq!(c.get("GET", "/digits.txt", &[]).code, 200);
}

#[test]
fn a_request_in_pieces_on_an_idle_connection_is_answered() {
    let dir = sample_site();
    let server = start_server(dir.path(), &[]);
    let mut c = Client::connect(&server.addr());
    assert_eq!(c.get("GET", "/digits.txt", &[]).code, 200);
    // The connection is idle now; its next request comes in three parts.
    for part in [
        &b"GET /digits.txt HT"[..],
        b"TP/1.1\r\nRange: bytes=2-4\r\n",
        b"\r\n",
    ] {
        thread::sleep(Duration::from_millis(100));
        c.send(part).unwrap();
    }
    assert_eq!(c.read_response(false).unwrap().text(), "234");
}

#[test]
fn half_a_request_and_then_end_of_input_is_still_answered() {
    let dir = sample_site();
    let server = start_server(dir.path(), &[]);
    let mut c = Client::connect(&server.addr());
    assert_eq!(c.get("GET", "/digits.txt", &[]).code, 200);
    // As Python does: the headers end where the input ends.
    c.send(b"GET /digits.txt HTTP/1.1\r\nRange: bytes=0-1\r\n")
        .unwrap();
    c.reader.get_ref().shutdown(Shutdown::Write).unwrap();
    let r = c.read_response(false).unwrap();
    assert_eq!(r.text(), "01");
    assert!(c.is_closed());
}

#[test]
fn a_bad_request_on_an_idle_connection_gets_its_error_and_a_close() {
    let dir = sample_site();
    let server = start_server(dir.path(), &[]);
    let addr = server.addr();
    let mut c = Client::connect(&addr);
    assert_eq!(c.get("GET", "/digits.txt", &[]).code, 200);
    c.send(b"GET /digits.txt HTTP/2.0\r\n\r\n").unwrap();
    let r = c.read_response(false).unwrap();
    assert_eq!(r.code, 505);
    assert!(c.is_closed());
    // Unknown methods too, and the server goes on serving.
    let mut c = Client::connect(&addr);
    assert_eq!(c.get("GET", "/digits.txt", &[]).code, 200);
    c.send(b"POST /digits.txt HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
        .unwrap();
    assert_eq!(c.read_response(false).unwrap().code, 501);
    assert!(c.is_closed());
    assert_eq!(Client::connect(&addr).get("GET", "/", &[]).code, 200);
}

/// Sockets the process has open: its listening socket and its connections.
fn sockets_of(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|entry| fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count()
}

#[test]
fn a_client_that_never_reads_does_not_stop_the_others() {
    let dir = sample_site();
    // A long timeout: only the hog leaving can end its stalled write.
    let server = start_server(dir.path(), &["--timeout", "60"]);
    let addr = server.addr();
    let pid = server.pid();
    let connections = || sockets_of(pid) - 1;
    // Ask for the big file again and again, and read nothing: its answers
    // fill the socket and then its queue, and only its answers wait.
    let mut hog = TcpStream::connect(&addr).unwrap();
    let mut greedy = Vec::new();
    // 40 answers of 3 MiB: more than both ends' socket buffers hold.
    for _ in 0..40 {
        greedy.extend_from_slice(b"GET /big.bin HTTP/1.1\r\n\r\n");
    }
    hog.write_all(&greedy).unwrap();
    for _ in 0..20 {
        let mut c = Client::connect(&addr);
        assert_eq!(c.get("GET", "/digits.txt", &[]).text(), "0123456789");
        assert_eq!(c.get("GET", "/digits.txt", &[]).code, 200);
    }
    // All served, and closed, while the hog's connection is still open in
    // the server, its write stalled: nobody waited for it.
    assert!(
        wait_until(Duration::from_secs(4), || connections() == 1),
        "{} connections open, expected only the hog's",
        connections()
    );
    // When the hog goes away, its connection is closed too.
    drop(hog);
    assert!(
        wait_until(Duration::from_secs(10), || connections() == 0),
        "the hog's connection stayed open after it left"
    );
}

#[test]
fn half_a_request_keeps_the_deadline_of_its_start() {
    let dir = sample_site();
    let server = start_server(dir.path(), &["--timeout", "3"]);
    let mut c = Client::connect(&server.addr());
    assert_eq!(c.get("GET", "/digits.txt", &[]).code, 200);
    // The next request's head starts slowly...
    let started = std::time::Instant::now();
    c.send(b"GET /digits.txt HTTP/1.1\r\n").unwrap();
    while started.elapsed() < Duration::from_secs(2) {
        c.send(b"X-Slow: 1\r\n").unwrap();
        thread::sleep(Duration::from_millis(100));
    }
    // ...then grows by a long line.
    let long = format!("X-Long: {}\r\n", "a".repeat(20 * 1024));
    c.send(long.as_bytes()).unwrap();
    // The head never ends; the 3 s count from its start, not from its
    // last bytes (which would allow 5 s).
    let mut line = String::new();
    use std::io::BufRead;
    let _ = c.reader.read_line(&mut line);
    assert!(line.starts_with("HTTP/1.1 408"), "{line:?}");
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(4500),
        "cut off after {took:?}: the request got a second deadline"
    );
}

/// Raises this test process's descriptor limit (thousands of clients).
fn raise_fd_limit() {
    tests::in_process::raise_fd_limit();
}

#[test]
fn a_slowloris_of_1000_half_heads_does_not_stop_a_bystander() {
    raise_fd_limit();
    let dir = sample_site();
    let server = start_server(dir.path(), &["--timeout", "5"]);
    let addr = server.addr();
    // 1,000 connections that each send half a request head, and wait.
    let mut loris: Vec<TcpStream> = (0..1000)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /digits.txt HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    assert!(
        wait_until(Duration::from_secs(10), || sockets_of(server.pid()) > 1000),
        "the server holds all 1,000"
    );
    // A bystander is served at once, again and again, on new connections.
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let started = std::time::Instant::now();
        let mut c = Client::connect(&addr);
        assert_eq!(c.get("GET", "/digits.txt", &[]).text(), "0123456789");
        slowest = slowest.max(started.elapsed());
    }
    // A generous bound (the figure itself is bench-http's): a server whose
    // threads or slots the loris held would make the bystander wait 5 s.
    assert!(
        slowest < Duration::from_secs(2),
        "a bystander waited {slowest:?}"
    );
    // And each half head gets its 408 when its time is up.
    let mut line = String::new();
    use std::io::BufRead;
    let mut first = std::io::BufReader::new(loris.remove(0));
    first
        .get_ref()
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    first.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 408"), "{line:?}");
}

#[test]
fn ten_thousand_connections_fit_under_the_default_cap() {
    raise_fd_limit();
    let dir = sample_site();
    let server = start_server(dir.path(), &[]);
    let addr = server.addr();
    let mut clients: Vec<TcpStream> = (0..10_000)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    // Every one asks, while all are open; none gets 503.
    for client in &mut clients {
        client
            .write_all(b"GET /digits.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
    }
    let mut answered = 0;
    for client in clients {
        client
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut c = Client {
            reader: std::io::BufReader::new(client),
        };
        let response = c.read_response(false).unwrap();
        assert_eq!(response.code, 200, "{}", response.status_line);
        answered += 1;
    }
    assert_eq!(answered, 10_000);
}
