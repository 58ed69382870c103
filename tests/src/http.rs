//! A minimal HTTP/1.x client for the HTTP server's tests: write raw bytes,
//! read responses framed by `Content-Length`, on one connection or many.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long any single read may wait before the test fails.
pub const READ_DEADLINE: Duration = Duration::from_secs(10);

/// One parsed response.
#[derive(Debug, Clone)]
pub struct Response {
    /// `HTTP/1.1 200 OK`.
    pub status_line: String,
    /// `200`.
    pub code: u16,
    /// Header fields in order.
    pub headers: Vec<(String, String)>,
    /// The body (empty for HEAD, 304 and interim responses).
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A client connection that can send several requests.
pub struct Client {
    /// Buffered reader over the connection.
    pub reader: BufReader<TcpStream>,
}

impl Client {
    /// Connects to `addr` with a read timeout.
    pub fn connect(addr: &str) -> Client {
        let stream = TcpStream::connect(addr).expect("connect to the server");
        stream.set_read_timeout(Some(READ_DEADLINE)).unwrap();
        Client {
            reader: BufReader::new(stream),
        }
    }

    /// Sends raw bytes.
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.reader.get_mut().write_all(bytes)
    }

    /// Sends `GET path HTTP/1.1` with a Host header and `extra` header lines.
    pub fn get(&mut self, method: &str, path: &str, extra: &[&str]) -> Response {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n");
        for line in extra {
            request.push_str(line);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        self.send(request.as_bytes()).expect("send the request");
        self.read_response(method == "HEAD").expect("a response")
    }

    /// Reads one response; `head_only` for answers to HEAD.
    pub fn read_response(&mut self, head_only: bool) -> io::Result<Response> {
        let mut status_line = String::new();
        if self.reader.read_line(&mut status_line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let status_line = status_line.trim_end().to_string();
        let code = status_line
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("a header line");
            headers.push((name.to_string(), value.trim().to_string()));
        }
        let mut response = Response {
            status_line,
            code,
            headers,
            body: Vec::new(),
        };
        if head_only || code == 304 || code == 100 {
            return Ok(response);
        }
        match response.header("content-length") {
            Some(len) => {
                let mut body = vec![0; len.parse().expect("a numeric Content-Length")];
                self.reader.read_exact(&mut body)?;
                response.body = body;
            }
            None => {
                self.reader.read_to_end(&mut response.body)?;
            }
        }
        Ok(response)
    }

    /// Whether the server has closed the connection (reads EOF, or a reset)
    /// within the read deadline. A read that times out is not a close.
    pub fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        match self.reader.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(err) => !matches!(
                err.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
        }
    }
}

/// One request on a fresh connection: `GET`/`HEAD` with extra header lines.
pub fn get(addr: &str, path: &str, extra: &[&str]) -> Response {
    Client::connect(addr).get("GET", path, extra)
}

/// Sends raw bytes on a fresh connection and reads until the server closes.
pub fn exchange(addr: &str, bytes: &[u8]) -> Vec<u8> {
    let mut client = Client::connect(addr);
    client.send(bytes).expect("send");
    let mut got = Vec::new();
    // A timeout is an error here: "nothing came" must mean "closed".
    client
        .reader
        .read_to_end(&mut got)
        .expect("the server closes the connection");
    got
}

/// Sends raw bytes on a fresh connection and parses the first response.
pub fn raw(addr: &str, bytes: &[u8]) -> Response {
    let mut client = Client::connect(addr);
    client.send(bytes).expect("send");
    client.read_response(false).expect("a response")
}

/// The bytes of `big.bin` in [`sample_site`]: 3 MiB and a bit, more than a
/// socket takes at once, so its answer goes by `sendfile`, from a thread.
pub fn big_file() -> Vec<u8> {
    (0..3 * 1024 * 1024 + 7).map(|i| (i % 251) as u8).collect()
}

/// A served directory with `digits.txt` ("0123456789") and `big.bin`
/// ([`big_file`]).
pub fn sample_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("digits.txt"), "0123456789").expect("write digits.txt");
    std::fs::write(dir.path().join("big.bin"), big_file()).expect("write big.bin");
    dir
}

/// Starts `http-server -q -d DIR [extra...] 0` and waits for its banner.
///
/// The environment variable `HTTP_SERVER_MODEL` (e.g. `threading`) runs
/// the server in that model unless `extra` names one: `.ci/run` runs the
/// HTTP suites once in the default model (the event loop) and once more
/// in the threading and forking models.
pub fn start_server(dir: &std::path::Path, extra: &[&str]) -> crate::ServerProcess {
    let dir = dir.to_str().expect("a UTF-8 temporary path");
    let mut args = vec!["-q", "-d", dir];
    let model = std::env::var("HTTP_SERVER_MODEL").unwrap_or_default();
    if !model.is_empty() && !extra.contains(&"--model") {
        args.extend_from_slice(&["--model", model.as_str()]);
    }
    args.extend_from_slice(extra);
    args.push("0");
    crate::ServerProcess::start("http-server", &args)
}
