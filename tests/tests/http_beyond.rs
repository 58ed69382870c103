//! What `http-server` does beyond Python's `http.server`: keep-alive,
//! ranges, ETags, `Expect: 100-continue`, a request deadline against
//! slowloris, a connection cap with 503, sendfile for big files, a clean
//! Ctrl+C — and the access log, escaped.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use tests::ServerProcess;
use tests::http::{Client, get, sample_site, start_server};
use tests::procfs::{children_of, wait_until};

#[test]
fn keep_alive_is_the_default_and_pipelining_works() {
    let dir = sample_site();
    let server = start_server(dir.path(), &[]);
    let mut c = Client::connect(&server.addr());
    for _ in 0..3 {
        let r = c.get("GET", "/digits.txt", &[]);
        assert_eq!(r.text(), "0123456789");
        assert_eq!(
            r.header("Connection"),
            None,
            "HTTP/1.1 needs no keep-alive header"
        );
    }
    // Two requests in one send: two answers, in order.
    c.send(b"GET /digits.txt HTTP/1.1\r\nRange: bytes=0-0\r\n\r\nGET /digits.txt HTTP/1.1\r\nRange: bytes=9-\r\n\r\n")
        .unwrap();
    assert_eq!(c.read_response(false).unwrap().text(), "0");
    assert_eq!(c.read_response(false).unwrap().text(), "9");
    // A 404 does not end the connection (Python closes after every error).
    assert_eq!(c.get("GET", "/missing", &[]).code, 404);
    assert_eq!(c.get("GET", "/digits.txt", &[]).code, 200);
    // A GET with a small body: the body is skipped, the connection goes on.
    c.send(b"GET /digits.txt HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
        .unwrap();
    assert_eq!(c.read_response(false).unwrap().code, 200);
    assert_eq!(c.get("GET", "/digits.txt", &[]).code, 200);
}

#[test]
fn http_1_0_mode_and_the_loop_server_close_every_connection() {
    let dir = sample_site();
    for extra in [&["--protocol", "HTTP/1.0"][..], &["--model", "sequential"]] {
        let server = start_server(dir.path(), extra);
        let mut c = Client::connect(&server.addr());
        let r = c.get("GET", "/digits.txt", &[]);
        assert_eq!(r.code, 200);
        assert_eq!(r.header("Connection"), Some("close"));
        assert!(c.is_closed(), "{extra:?}");
    }
    let server = start_server(dir.path(), &["--protocol", "HTTP/1.0"]);
    assert!(
        get(&server.addr(), "/digits.txt", &[])
            .status_line
            .starts_with("HTTP/1.0 200")
    );
}

#[test]
fn the_forking_model_serves_too() {
    let dir = sample_site();
    let server = start_server(dir.path(), &["--model", "forking"]);
    let mut c = Client::connect(&server.addr());
    assert_eq!(c.get("GET", "/digits.txt", &[]).text(), "0123456789");
    assert_eq!(
        c.get("GET", "/digits.txt", &["Range: bytes=-3"]).text(),
        "789"
    );
    // A second client at the same time gets its own process.
    let mut other = Client::connect(&server.addr());
    assert_eq!(other.get("GET", "/digits.txt", &[]).code, 200);
    assert!(
        wait_until(Duration::from_secs(10), || children_of(server.pid()).len()
            >= 2),
        "two kept-alive clients, but not two children"
    );
    assert_eq!(c.get("GET", "/digits.txt", &[]).code, 200);
}

#[test]
fn ranges() {
    let dir = sample_site();
    let server = start_server(dir.path(), &[]);
    let mut c = Client::connect(&server.addr());
    let r = c.get("GET", "/digits.txt", &["Range: bytes=2-4"]);
    assert_eq!((r.code, r.text().as_str()), (206, "234"));
    assert_eq!(r.header("Content-Range"), Some("bytes 2-4/10"));
    assert_eq!(r.header("Accept-Ranges"), Some("bytes"));
    assert_eq!(
        c.get("GET", "/digits.txt", &["Range: bytes=7-"]).text(),
        "789"
    );
    assert_eq!(
        c.get("GET", "/digits.txt", &["Range: bytes=-2"]).text(),
        "89"
    );
    assert_eq!(
        c.get("GET", "/digits.txt", &["Range: bytes=5-100"]).text(),
        "56789"
    );
    let r = c.get("GET", "/digits.txt", &["Range: bytes=10-"]);
    assert_eq!(
        (r.code, r.header("Content-Range")),
        (416, Some("bytes */10"))
    );
    // Several ranges, or nonsense: the whole file.
    let r = c.get("GET", "/digits.txt", &["Range: bytes=0-1,4-5"]);
    assert_eq!((r.code, r.text().as_str()), (200, "0123456789"));
    assert_eq!(c.get("GET", "/digits.txt", &["Range: pages=1-2"]).code, 200);
    // If-Range with a stale tag: the whole file, not a piece of the new one.
    let r = c.get(
        "GET",
        "/digits.txt",
        &["Range: bytes=0-0", "If-Range: \"old\""],
    );
    assert_eq!(r.code, 200);
    let etag = r.header("ETag").unwrap().to_string();
    let r = c.get(
        "GET",
        "/digits.txt",
        &["Range: bytes=0-0", &format!("If-Range: {etag}")],
    );
    assert_eq!(r.code, 206);
    // A range of a big file starts mid-file (sendfile with an offset).
    let r = c.get("GET", "/big.bin", &["Range: bytes=2000000-2000009"]);
    let expected: Vec<u8> = (2_000_000..2_000_010).map(|i| (i % 251) as u8).collect();
    assert_eq!(r.body, expected);
}

#[test]
fn etag_and_if_none_match() {
    let dir = sample_site();
    let server = start_server(dir.path(), &[]);
    let mut c = Client::connect(&server.addr());
    let r = c.get("GET", "/digits.txt", &[]);
    let etag = r.header("ETag").unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let r = c.get("GET", "/digits.txt", &[&format!("If-None-Match: {etag}")]);
    assert_eq!((r.code, r.header("ETag")), (304, Some(etag.as_str())));
    let r = c.get(
        "GET",
        "/digits.txt",
        &[&format!("If-None-Match: \"x\", W/{etag}")],
    );
    assert_eq!(r.code, 304);
    // The file changes: the tag changes, and the old one no longer matches.
    fs::write(dir.path().join("digits.txt"), "changed!").unwrap();
    let r = c.get("GET", "/digits.txt", &[&format!("If-None-Match: {etag}")]);
    assert_eq!((r.code, r.text().as_str()), (200, "changed!"));
    assert_ne!(r.header("ETag"), Some(etag.as_str()));
}

#[test]
fn expect_100_continue_with_a_body() {
    let dir = sample_site();
    let server = start_server(dir.path(), &[]);
    let mut c = Client::connect(&server.addr());
    c.send(b"GET /digits.txt HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        .unwrap();
    assert_eq!(c.read_response(false).unwrap().code, 100);
    c.send(b"body").unwrap();
    assert_eq!(c.read_response(false).unwrap().text(), "0123456789");
    let r = c.get("GET", "/digits.txt", &["Expect: something-else"]);
    assert_eq!(r.code, 417);
}

#[test]
fn big_files_arrive_whole() {
    let dir = sample_site();
    let server = start_server(dir.path(), &[]);
    let mut c = Client::connect(&server.addr());
    let r = c.get("GET", "/big.bin", &[]);
    assert_eq!(r.body, fs::read(dir.path().join("big.bin")).unwrap());
    // ... and the connection is still in step afterwards.
    assert_eq!(c.get("GET", "/digits.txt", &[]).text(), "0123456789");
}

#[test]
fn a_slowloris_client_is_cut_off_while_others_are_served() {
    let dir = sample_site();
    let server = start_server(dir.path(), &["--timeout", "1"]);
    let addr = server.addr();
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let started = Instant::now();
    // One byte every 200 ms: each read is quick, the whole head never ends.
    let mut answer = Vec::new();
    for byte in b"GET /digits.txt HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
        if slow.write_all(&[*byte]).is_err() {
            break;
        }
        // Meanwhile other clients are served at once.
        assert_eq!(get(&addr, "/digits.txt", &[]).code, 200);
        let mut buf = [0u8; 512];
        match slow.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        assert!(started.elapsed() < Duration::from_secs(5), "never cut off");
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 408 Request timed out"),
        "{answer}"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));

    // An idle kept-alive connection is closed after the timeout too.
    let mut idle = Client::connect(&addr);
    assert_eq!(idle.get("GET", "/digits.txt", &[]).code, 200);
    let idle_since = Instant::now();
    assert!(idle.is_closed());
    assert!(idle_since.elapsed() < Duration::from_secs(5));
}

#[test]
fn connections_beyond_the_cap_get_503() {
    // In the forking model the children count together (shared memory).
    for model in ["threading", "forking"] {
        let dir = sample_site();
        let server = start_server(dir.path(), &["--max-connections", "2", "--model", model]);
        let addr = server.addr();
        // Two kept-alive connections take both places (a served request
        // proves the server counts them).
        let mut first = Client::connect(&addr);
        let mut second = Client::connect(&addr);
        assert_eq!(first.get("GET", "/digits.txt", &[]).code, 200);
        assert_eq!(second.get("GET", "/digits.txt", &[]).code, 200);
        let r = get(&addr, "/digits.txt", &[]);
        assert_eq!(r.status_line, "HTTP/1.1 503 Service Unavailable", "{model}");
        assert_eq!(r.header("Retry-After"), Some("1"));
        assert!(r.text().contains("Too many connections (the limit is 2)"));
        // A place frees up when a client leaves.
        drop(first);
        assert!(
            wait_until(Duration::from_secs(5), || get(&addr, "/digits.txt", &[])
                .code
                == 200),
            "{model}: the place was never given back"
        );
        assert_eq!(second.get("GET", "/digits.txt", &[]).code, 200);
    }
}

#[test]
fn access_log_escapes_control_characters_and_ctrl_c_exits_cleanly() {
    let dir = sample_site();
    let mut server = ServerProcess::start_reading_stderr(
        "http-server",
        &["-d", dir.path().to_str().unwrap(), "0"],
    );
    let mut c = Client::connect(&server.addr());
    c.send(b"GET /digits.txt?\x1b[31mred\x07 HTTP/1.1\r\n\r\n")
        .unwrap();
    assert_eq!(c.read_response(false).unwrap().code, 200);
    let log = server.stderr_lines.as_ref().expect("stderr is read");
    let line = log.recv_timeout(Duration::from_secs(10)).unwrap();
    let shape = regex::Regex::new(
        r#"^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /digits.txt\?\\x1b\[31mred\\x07 HTTP/1\.1" 200 10$"#,
    )
    .unwrap();
    assert!(shape.is_match(&line), "{line:?}");
    // Ctrl+C with a kept-alive connection still open: out at once, status 0.
    let asked = Instant::now();
    server.signal(Signal::SIGINT);
    let status = server
        .wait_exit(Duration::from_secs(5))
        .expect("exits within 5 s");
    assert!(status.success(), "{status:?}");
    assert!(asked.elapsed() < Duration::from_secs(3));
    assert!(
        server
            .wait_for_line(
                "Keyboard interrupt received, exiting.",
                Duration::from_secs(5)
            )
            .is_some(),
        "no goodbye line on stdout"
    );
}
