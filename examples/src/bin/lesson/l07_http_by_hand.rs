//! Lesson 07: HTTP request and response by hand. HTTP is text over a TCP
//! connection: a request line, headers, an empty line, maybe a body; the
//! answer has the same shape with a status line first.

pub mod tiny_server;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use examples::lesson_kit::{Program, heading, labelled, read_next, say};

use crate::LessonResult;

const WAIT: Duration = Duration::from_secs(5);

/// Runs the lesson.
pub fn run() -> LessonResult {
    say("HTTP rides on TCP: the client sends text, the server answers text, and");
    say("both follow the format of the protocol. Here a raw TcpStream is the browser.");
    let server = Program::server("server", "tiny-http-server", &["0"])?;
    one_exchange(&server)?;
    status_codes(&server)?;
    status_classes();
    say("Lesson 19 grows this into a real static-file server, like Python's http.server.");
    server.interrupt();
    read_next(
        "notes/07-http-by-hand.md",
        &[
            "examples/src/bin/lesson/l07_http_by_hand/tiny_server.rs  (parsing and answering by hand)",
            "examples/src/bin/lesson/l07_http_by_hand.rs              (this lesson: the raw client)",
        ],
    );
    Ok(())
}

/// Sends `request` on a new connection and reads the answer until the
/// server closes (it sends `Connection: close`).
fn exchange(server: &Program, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port))?;
    stream.set_read_timeout(Some(WAIT))?;
    stream.write_all(request)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(response)
}

/// Shows `\r\n` as it travels, so the line ends are visible.
fn show_lines(prefix: &str, text: &str) {
    for line in text.split_inclusive("\r\n") {
        println!("    {prefix} {}", line.replace("\r\n", "\\r\\n"));
    }
}

/// The head (status line + headers) and the body of a response.
fn split_response(response: &[u8]) -> Result<(String, Vec<u8>), String> {
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the response has no empty line after its head")?;
    let head = String::from_utf8_lossy(&response[..end]).into_owned();
    Ok((head, response[end + 4..].to_vec()))
}

/// Part 1: one request and its response, byte by byte, then taken apart.
fn one_exchange(server: &Program) -> LessonResult {
    heading("1. One request and one response, every byte");
    let request = format!(
        "GET / HTTP/1.1\r\n\
         Host: 127.0.0.1:{}\r\n\
         User-Agent: lesson-07\r\n\
         Accept: text/html\r\n\
         \r\n",
        server.port
    );
    labelled("client", "sends (\\r\\n shown as typed):");
    show_lines(">", &request);
    let response = exchange(server, request.as_bytes())?;
    server
        .wait_for("answered", WAIT)
        .ok_or("the server did not answer")?;
    labelled("client", "receives:");
    let text = String::from_utf8_lossy(&response);
    show_lines("<", &text);

    let (head, body) = split_response(&response)?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (version, code, reason) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    say("Taken apart:");
    println!("    status line  version {version:?}, status code {code:?}, reason {reason:?}");
    let mut content_length = None;
    for header in lines {
        if let Some((name, value)) = header.split_once(':') {
            println!("    header       {name:<15} = {:?}", value.trim());
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse::<usize>().ok();
            }
        }
    }
    println!("    empty line   \\r\\n: the head ends here");
    println!(
        "    body         {} bytes; Content-Length said {:?}",
        body.len(),
        content_length
    );
    if code != "200" || content_length != Some(body.len()) {
        return Err(format!("unexpected answer {status_line:?}").into());
    }
    say("Content-Length is how the client knows where the body ends: framing, as in lesson 04.");
    Ok(())
}

/// Part 2: one request per status code this server can give.
fn status_codes(server: &Program) -> LessonResult {
    heading("2. Other requests, other status codes");
    let post_body = "name=rust&lesson=07";
    let requests = [
        "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n".to_string(),
        format!(
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{post_body}",
            post_body.len()
        ),
        "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n".to_string(),
        "GET /old HTTP/1.1\r\nHost: x\r\n\r\n".to_string(),
        "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n".to_string(),
        "GET /crash HTTP/1.1\r\nHost: x\r\n\r\n".to_string(),
        "HELLO\r\n\r\n".to_string(),
    ];
    for request in &requests {
        let request_line = request.split("\r\n").next().unwrap_or_default();
        let response = exchange(server, request.as_bytes())?;
        server
            .wait_for("answered", WAIT)
            .ok_or("the server did not answer")?;
        let (head, body) = split_response(&response)?;
        let status_line = head.split("\r\n").next().unwrap_or_default();
        labelled("client", &format!("{request_line:<22} -> {status_line}"));
        let header = |wanted: &str| {
            head.split("\r\n")
                .filter_map(|h| h.split_once(':'))
                .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
                .map(|(_, value)| value.trim().to_string())
        };
        if request.starts_with("HEAD") {
            labelled(
                "client",
                &format!(
                    "    HEAD: Content-Length {:?} but {} body bytes, only the head",
                    header("Content-Length").unwrap_or_default(),
                    body.len()
                ),
            );
        } else if let Some(location) = header("Location") {
            labelled(
                "client",
                &format!("    Location: {location} (a browser would go there)"),
            );
        } else if let Some(allow) = header("Allow") {
            labelled("client", &format!("    Allow: {allow}"));
        } else {
            labelled(
                "client",
                &format!("    body {:?}", String::from_utf8_lossy(&body).trim_end()),
            );
        }
    }
    Ok(())
}

/// Part 3: what the first digit of a status code says.
fn status_classes() {
    heading("3. Status codes by their first digit");
    for (class, meaning, example) in [
        (
            "1xx",
            "information: request received, go on",
            "100 Continue",
        ),
        ("2xx", "success", "200 OK"),
        (
            "3xx",
            "redirection: look elsewhere",
            "301 Moved Permanently",
        ),
        (
            "4xx",
            "client error: the request is wrong",
            "404 Not Found, 401 Unauthorized",
        ),
        (
            "5xx",
            "server error: the request was fine",
            "500 Internal Server Error, 503",
        ),
    ] {
        println!("    {class}  {meaning:<40} e.g. {example}");
    }
}
