//! Lesson 19: the HTTP server (the course's httpserver, second version).
//!
//! Starts `http-server` on a temporary directory, then plays the browser by
//! hand over one TCP connection: a file, a second request on the same
//! connection (keep-alive) asking for a range, a directory listing, a 404,
//! a redirect, a path that tries to climb out of the served directory, and
//! a "has it changed?" request answered with 304. Every byte each way is
//! printed, so the HTTP format is there to read.

use std::error::Error;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use examples::lesson_kit::{Program, heading, read_next, say};

use crate::LessonResult;

/// Runs the lesson.
pub fn run() -> LessonResult {
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join("hello.txt"), "Hello from the lesson!\n")?;
    fs::create_dir(dir.path().join("docs"))?;
    fs::write(dir.path().join("docs/index.html"), "<h1>docs</h1>\n")?;
    fs::create_dir(dir.path().join("pictures"))?;
    fs::write(dir.path().join("pictures/cat & dog.txt"), "meow woof\n")?;

    heading("1. Start the server (python3 -m http.server, in Rust)");
    let directory = dir.path().to_str().ok_or("temporary path is not UTF-8")?;
    let server = Program::server("server", "http-server", &["--directory", directory, "0"])?;
    say(&format!(
        "http-server runs as process {} and serves {}",
        server.pid(),
        dir.path().display()
    ));
    say("its access log (stderr) shows up as [server] lines, one per response");
    let addr = format!("127.0.0.1:{}", server.port);

    heading("2. A file, asked for by hand");
    say("a request is a request line, header lines, and an empty line; each ends with CRLF");
    let mut browser = Browser::connect(&addr)?;
    say(&format!(
        "connected from local port {}",
        browser.local_port()
    ));
    browser.exchange(
        "GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
        &server,
    )?;
    // The file's version tag, kept for step 7.
    let etag = browser.last_etag.clone().ok_or("no ETag seen")?;

    heading("3. Keep-alive: the same connection again, for a part of the file");
    say(&format!(
        "still local port {}: HTTP/1.1 keeps the connection open, no new handshake",
        browser.local_port()
    ));
    say("Range asks for bytes 0-4; the answer is 206 Partial Content");
    browser.exchange(
        "GET /hello.txt HTTP/1.1\r\nRange: bytes=0-4\r\n\r\n",
        &server,
    )?;

    heading("4. A directory: the listing page");
    browser.exchange("GET /pictures/ HTTP/1.1\r\n\r\n", &server)?;
    say(
        "the name 'cat & dog.txt' is HTML-escaped (&amp;) and percent-encoded in the link (%20, %26)",
    );

    heading("5. A directory without its slash: 301, then index.html");
    browser.exchange("GET /docs HTTP/1.1\r\n\r\n", &server)?;
    browser.exchange("GET /docs/ HTTP/1.1\r\n\r\n", &server)?;

    heading("6. Not there: 404; trying to climb out: 404 too");
    browser.exchange("GET /nothing.txt HTTP/1.1\r\n\r\n", &server)?;
    say("'..' never goes above the served directory, however it is spelled");
    browser.exchange("GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n\r\n", &server)?;

    heading("7. Has it changed? If-None-Match with the ETag: 304, no body");
    browser.exchange(
        &format!("GET /hello.txt HTTP/1.1\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n"),
        &server,
    )?;
    say(&format!(
        "we sent Connection: close, so the server closed the connection: {}",
        if browser.server_closed() { "yes" } else { "no" }
    ));

    heading("8. Ctrl+C stops the server cleanly");
    let pid = server.pid();
    let exited = server.interrupt();
    say(&format!(
        "process {pid} has exited: {}",
        if exited { "yes" } else { "no" }
    ));

    read_next(
        "notes/19-http-server.md",
        &[
            "examples/src/http/handler.rs   (one connection: request after request)",
            "examples/src/http/head.rs      (reading a request head, with limits and a deadline)",
            "examples/src/http/path.rs      (URL to path; why '..' cannot escape)",
            "examples/src/http/files.rs     (openat2 and RESOLVE_BENEATH: symlinks cannot escape)",
            "examples/src/http/response.rs  (one send per head; sendfile for bodies)",
        ],
    );
    Ok(())
}

/// A hand-driven client: writes raw requests, prints both directions.
struct Browser {
    reader: BufReader<TcpStream>,
    last_etag: Option<String>,
}

impl Browser {
    fn connect(addr: &str) -> Result<Browser, Box<dyn Error>> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        Ok(Browser {
            reader: BufReader::new(stream),
            last_etag: None,
        })
    }

    fn local_port(&self) -> u16 {
        self.reader.get_ref().local_addr().map_or(0, |a| a.port())
    }

    /// Sends `request`, prints it and the response (body cut to 12 lines),
    /// and waits for the server's access-log line so the output stays in order.
    fn exchange(&mut self, request: &str, server: &Program) -> Result<(), Box<dyn Error>> {
        for line in request.split_inclusive("\r\n") {
            println!("[client] > {}", show(line));
        }
        self.reader.get_mut().write_all(request.as_bytes())?;
        let mut length = 0;
        let mut status = String::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line)? == 0 {
                return Err("the server closed the connection early".into());
            }
            if status.is_empty() {
                status = line.clone();
            }
            println!("[client] < {}", show(&line));
            let lower = line.to_ascii_lowercase();
            if let Some(value) = lower.strip_prefix("content-length:") {
                length = value.trim().parse()?;
            }
            if let Some(value) = line.strip_prefix("ETag:") {
                self.last_etag = Some(value.trim().to_string());
            }
            if line == "\r\n" {
                break;
            }
        }
        if !status.contains(" 304 ") {
            let mut body = vec![0u8; length];
            self.reader.read_exact(&mut body)?;
            let text = String::from_utf8_lossy(&body);
            // Of a listing page, the title and the entries are what matter.
            let listing = text.contains("<li>");
            let lines = text
                .lines()
                .filter(|l| !listing || l.contains("<title>") || l.contains("<li>"));
            if listing {
                println!(
                    "[client] <   (the listing's title and entries, of {} bytes)",
                    body.len()
                );
            }
            for (i, line) in lines.enumerate() {
                if i == 12 {
                    println!("[client] <   ... ({} bytes of body in all)", body.len());
                    break;
                }
                println!("[client] <   {line}");
            }
        }
        let method_and_path = request.split(" HTTP/").next().unwrap_or(request);
        let _ = server.wait_for(&format!("\"{method_and_path}"), Duration::from_secs(2));
        Ok(())
    }

    fn server_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.reader.read(&mut byte), Ok(0) | Err(_))
    }
}

/// A line with its CR/LF made visible.
fn show(line: &str) -> String {
    line.replace('\r', "\\r").replace('\n', "\\n")
}
