//! `tiny-http-server PORT`: the smallest honest HTTP/1.1 server, parsed by
//! hand on the framework, like the course's first `http_server.py`: one
//! request per connection, answered and closed.
//!
//! ```text
//! GET  /        200 OK, a small HTML page        HEAD /  the same head, no body
//! POST /echo    200 OK, the request body back    GET /old  301 to /
//! GET  /crash   500 Internal Server Error        other paths  404 Not Found
//! other methods 405 Method Not Allowed           not HTTP at all  400 Bad Request
//! ```

use std::ffi::OsString;
use std::io::{self, BufRead, Read, Write};
use std::process::ExitCode;
use std::time::SystemTime;

use examples::serving;
use framework::{RequestHandler, ServerOptions, StreamRequest, ThreadingTcpServer};

/// The longest request body this server reads.
const MAX_BODY: usize = 64 * 1024;
/// The longest request line or header line.
const MAX_LINE: usize = 8 * 1024;
/// The most header lines in one request.
const MAX_HEADERS: usize = 100;

/// Runs the server: `args` are the program name and the port (0 = any free one).
pub fn main(args: Vec<OsString>) -> ExitCode {
    let port: u16 = args
        .get(1)
        .and_then(|a| a.to_str())
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let served =
        ThreadingTcpServer::bind_with(("127.0.0.1", port), &ServerOptions::reuse_address(), || {
            TinyHttp
        })
        .and_then(|server| serving::serve(server, "tiny HTTP (lesson 07)"));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tiny-http-server: {err}");
            ExitCode::FAILURE
        }
    }
}

/// What the parser found in a request.
struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

/// The handler: parse one request, print what came in, answer, close.
struct TinyHttp;

impl RequestHandler<StreamRequest> for TinyHttp {
    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        let (status, content_type, body, head_only) = match read_request(&mut request.rfile)? {
            None => return Ok(()), // the client connected and said nothing
            Some(Err(problem)) => {
                println!("bad request: {problem}");
                (
                    400,
                    "text/plain",
                    format!("{problem}\n").into_bytes(),
                    false,
                )
            }
            Some(Ok(req)) => {
                let (status, content_type, body) = route(&req);
                (status, content_type, body, req.method == "HEAD")
            }
        };
        let mut response = format!(
            "HTTP/1.1 {status} {}\r\n\
             Server: tiny-http (lesson 07)\r\n\
             Date: {}\r\n\
             Content-Type: {content_type}\r\n\
             Content-Length: {}\r\n",
            reason(status),
            httpdate::fmt_http_date(SystemTime::now()),
            body.len()
        );
        if status == 301 {
            response.push_str("Location: /\r\n");
        }
        if status == 405 {
            response.push_str("Allow: GET, HEAD, POST\r\n");
        }
        response.push_str("Connection: close\r\n\r\n");
        // Head and body in one write: two small writes would meet Nagle's
        // algorithm (lesson 05).
        let mut bytes = response.into_bytes();
        if !head_only {
            bytes.extend_from_slice(&body);
        }
        request.wfile.write_all(&bytes)?;
        println!("answered {status} {}", reason(status));
        Ok(())
    }
}

/// Reads the request line, the headers up to the empty line, and the body
/// (as long as `Content-Length` says). `Ok(None)`: the connection closed
/// before a request; `Ok(Some(Err(..)))`: not valid HTTP, answer 400.
fn read_request(input: &mut impl BufRead) -> io::Result<Option<Result<Request, String>>> {
    let request_line = match read_line(input)? {
        None => return Ok(None),
        Some(Err(problem)) => return Ok(Some(Err(problem))),
        Some(Ok(line)) => line,
    };
    println!("request line: {request_line:?}");
    // "GET /index.html HTTP/1.1": method, target, version, split by spaces.
    let parts: Vec<&str> = request_line.split(' ').collect();
    let [method, path, version] = parts[..] else {
        return Ok(Some(Err(format!(
            "{request_line:?} is not METHOD PATH VERSION"
        ))));
    };
    if !version.starts_with("HTTP/") {
        return Ok(Some(Err(format!("{version:?} is not an HTTP version"))));
    }
    let mut content_length = 0;
    for _ in 0..=MAX_HEADERS {
        let header = match read_line(input)? {
            None => return Ok(Some(Err("the headers ended without an empty line".into()))),
            Some(Err(problem)) => return Ok(Some(Err(problem))),
            Some(Ok(line)) => line,
        };
        if header.is_empty() {
            // The empty line: end of the head; the body follows.
            let mut body = vec![0u8; content_length];
            input.read_exact(&mut body)?;
            if content_length > 0 {
                println!("body: {:?}", String::from_utf8_lossy(&body));
            }
            return Ok(Some(Ok(Request {
                method: method.to_string(),
                path: path.to_string(),
                body,
            })));
        }
        println!("header: {header:?}");
        let Some((name, value)) = header.split_once(':') else {
            return Ok(Some(Err(format!("{header:?} is not NAME: VALUE"))));
        };
        if name.eq_ignore_ascii_case("content-length") {
            match value.trim().parse::<usize>() {
                Ok(n) if n <= MAX_BODY => content_length = n,
                _ => return Ok(Some(Err(format!("bad Content-Length {value:?}")))),
            }
        }
    }
    Ok(Some(Err(format!("more than {MAX_HEADERS} headers"))))
}

/// One line of the head without its `\r\n`, at most `MAX_LINE` bytes, so
/// that a client sending an endless line cannot fill the server's memory.
/// `Ok(None)` at end of stream; `Ok(Some(Err(..)))` for a line too long or
/// not UTF-8 text.
fn read_line(input: &mut impl BufRead) -> io::Result<Option<Result<String, String>>> {
    let mut line = Vec::new();
    let n = input
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if !line.ends_with(b"\n") && n > MAX_LINE {
        return Ok(Some(Err(format!("a line longer than {MAX_LINE} bytes"))));
    }
    Ok(Some(match String::from_utf8(line) {
        Ok(text) => Ok(text.trim_end_matches(['\r', '\n']).to_string()),
        Err(_) => Err("a line that is not UTF-8 text".to_string()),
    }))
}

/// Chooses the answer: status, content type, body.
fn route(request: &Request) -> (u16, &'static str, Vec<u8>) {
    let html = |text: &str| format!("<html><body><h1>{text}</h1></body></html>\n").into_bytes();
    match (request.method.as_str(), request.path.as_str()) {
        ("GET" | "HEAD", "/") => (
            200,
            "text/html; charset=utf-8",
            html("Hello from lesson 07"),
        ),
        ("POST", "/echo") => {
            let mut body = b"you sent: ".to_vec();
            body.extend_from_slice(&request.body);
            body.push(b'\n');
            (200, "text/plain; charset=utf-8", body)
        }
        ("GET" | "HEAD", "/old") => (301, "text/html; charset=utf-8", html("Moved to /")),
        ("GET" | "HEAD", "/crash") => (500, "text/plain", b"something broke\n".to_vec()),
        ("GET" | "HEAD" | "POST", _) => (404, "text/html; charset=utf-8", html("Sorry, not found")),
        _ => (405, "text/plain", b"method not allowed\n".to_vec()),
    }
}

/// The reason phrase that goes with a status code.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn parse(bytes: &[u8]) -> Option<Result<Request, String>> {
        read_request(&mut Cursor::new(bytes.to_vec())).expect("no IO error from a Cursor")
    }

    #[test]
    fn a_request_with_a_body_is_parsed() {
        let request = parse(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcEXTRA")
            .expect("a request")
            .expect("valid");
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/echo");
        // Exactly Content-Length bytes: what follows belongs to the next request.
        assert_eq!(request.body, b"abc");
    }

    #[test]
    fn bare_newlines_are_accepted_too() {
        let request = parse(b"GET / HTTP/1.0\nHost: x\n\n").expect("a request");
        assert_eq!(request.expect("valid").path, "/");
    }

    #[test]
    fn nothing_at_all_is_no_request() {
        assert!(parse(b"").is_none());
    }

    #[test]
    fn malformed_requests_are_explained() {
        let problem = |bytes: &[u8]| parse(bytes).expect("something").err().expect("an error");
        assert!(problem(b"HELLO\r\n\r\n").contains("is not METHOD PATH VERSION"));
        assert!(problem(b"GET / FTP/1.0\r\n\r\n").contains("is not an HTTP version"));
        assert!(problem(b"GET / HTTP/1.1\r\nno colon\r\n\r\n").contains("is not NAME: VALUE"));
        assert!(problem(b"GET / HTTP/1.1\r\nHost: x\r\n").contains("without an empty line"));
        assert!(
            problem(b"GET / HTTP/1.1\r\nContent-Length: lots\r\n\r\n")
                .contains("bad Content-Length")
        );
        assert!(
            problem(b"GET / HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n")
                .contains("bad Content-Length")
        );
        assert!(problem(b"GET /\xff HTTP/1.1\r\n\r\n").contains("not UTF-8"));
        let endless = [b'a'; MAX_LINE + 10];
        assert!(problem(&endless).contains("longer than"));
        let many = "GET / HTTP/1.1\r\n".to_string() + &"A: b\r\n".repeat(MAX_HEADERS + 1) + "\r\n";
        assert!(problem(many.as_bytes()).contains("headers"));
    }

    #[test]
    fn routes_give_the_promised_status_codes() {
        let status = |method: &str, path: &str| {
            route(&Request {
                method: method.into(),
                path: path.into(),
                body: Vec::new(),
            })
            .0
        };
        assert_eq!(status("GET", "/"), 200);
        assert_eq!(status("HEAD", "/"), 200);
        assert_eq!(status("POST", "/echo"), 200);
        assert_eq!(status("GET", "/old"), 301);
        assert_eq!(status("GET", "/nothing"), 404);
        assert_eq!(status("DELETE", "/"), 405);
        assert_eq!(status("GET", "/crash"), 500);
    }
}
