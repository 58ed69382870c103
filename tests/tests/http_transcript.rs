//! Raw HTTP exchanges with `http-server`, byte for byte, as insta
//! snapshots. Dates, ETags and the port are filtered out.

use std::fs;

use tests::Transcript;
use tests::http::start_server;

/// Reads one response: the head line by line, then `Content-Length` bytes.
fn response(t: &mut Transcript, head_only: bool) {
    let mut length = 0;
    loop {
        let line = t.recv_line().unwrap();
        let text = String::from_utf8_lossy(&line).to_ascii_lowercase();
        if let Some(value) = text.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap();
        }
        if line == b"\r\n" || line.is_empty() {
            break;
        }
    }
    if !head_only && length > 0 {
        t.recv_exact(length).unwrap();
    }
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"Date: [^\\]+\\r\\n", "Date: <DATE>\\r\\n");
    settings.add_filter(
        r"Last-Modified: [^\\]+\\r\\n",
        "Last-Modified: <DATE>\\r\\n",
    );
    settings.add_filter(r#"ETag: "[0-9a-f-]+""#, "ETag: \"<ETAG>\"");
    settings.add_filter(
        r#"If-None-Match: "[0-9a-f-]+""#,
        "If-None-Match: \"<ETAG>\"",
    );
    settings.add_filter(
        r"Server: http-server/[0-9.]+",
        "Server: http-server/<VERSION>",
    );
    settings
}

#[test]
fn http_session_transcript() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("hello.txt"), "Hello, world!\n").unwrap();
    fs::create_dir(dir.path().join("docs")).unwrap();
    fs::write(dir.path().join("docs/a & b.html"), "<p>a</p>\n").unwrap();
    let server = start_server(dir.path(), &[]);
    let mut t = Transcript::connect(&server.addr()).unwrap();

    t.note("a file: the head and the body leave in one send");
    t.send(b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    response(&mut t, false);
    t.note("the same connection again (keep-alive); only the last 6 bytes");
    t.send(b"GET /hello.txt HTTP/1.1\r\nRange: bytes=-6\r\n\r\n")
        .unwrap();
    response(&mut t, false);
    t.note("a range past the end");
    t.send(b"GET /hello.txt HTTP/1.1\r\nRange: bytes=100-\r\n\r\n")
        .unwrap();
    response(&mut t, false);
    t.note("HEAD: the same headers, no body");
    t.send(b"HEAD /hello.txt HTTP/1.1\r\n\r\n").unwrap();
    response(&mut t, true);
    t.note("a directory without its slash: 301, query kept");
    t.send(b"GET /docs?sort=name HTTP/1.1\r\n\r\n").unwrap();
    response(&mut t, false);
    t.note("the listing: names escaped, links percent-encoded");
    t.send(b"GET /docs/ HTTP/1.1\r\n\r\n").unwrap();
    response(&mut t, false);
    t.note("not there");
    t.send(b"GET /nothing HTTP/1.1\r\n\r\n").unwrap();
    response(&mut t, false);
    t.note("an unknown method ends the connection");
    t.send(b"POST /hello.txt HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    t.recv_to_end().unwrap();
    settings().bind(|| insta::assert_snapshot!(t.render()));
}

#[test]
fn http_conditional_and_error_transcript() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("hello.txt"), "Hello, world!\n").unwrap();
    let server = start_server(dir.path(), &[]);
    let mut probe = tests::http::Client::connect(&server.addr());
    let etag = probe
        .get("GET", "/hello.txt", &[])
        .header("ETag")
        .unwrap()
        .to_string();

    let mut t = Transcript::connect(&server.addr()).unwrap();
    t.note("the client's copy is current: 304, no body");
    t.send(format!("GET /hello.txt HTTP/1.1\r\nIf-None-Match: {etag}\r\n\r\n").as_bytes())
        .unwrap();
    response(&mut t, true);
    t.note("HTTP/1.0 with keep-alive is told it is kept");
    t.send(b"GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    response(&mut t, false);
    t.note("a bad version: 400 with Python's message, then close");
    t.send(b"GET / HTTP/1.x\r\n\r\n").unwrap();
    t.recv_to_end().unwrap();
    settings().bind(|| insta::assert_snapshot!(t.render()));

    let mut t = Transcript::connect(&server.addr()).unwrap();
    t.note("HTTP/2 over plain text is not ours to speak");
    t.send(b"GET / HTTP/2.0\r\n\r\n").unwrap();
    t.recv_to_end().unwrap();
    settings().bind(|| insta::assert_snapshot!("http_version_505", t.render()));
}
