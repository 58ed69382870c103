//! Reading one request head: the request line by Python's rules (so the
//! same mistakes get the same answers), the header lines with `httparse`.
//!
//! Limits are `http.server`'s: a request line longer than 65,536 bytes is
//! `414`, a longer header line `431 Line too long`, and 100 header lines
//! (the blank line counts, as in `http.client`) `431 Too many headers`.
//!
//! Every read goes through [`Deadline`], so a client has a fixed time to
//! send a whole head. A per-read timeout alone does not stop a slowloris
//! client, which sends one byte just before each read would time out.

use std::io::{self, BufRead, Read};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use framework::Connection;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// Longest request line or header line, CRLF included (Python's `_MAXLINE`).
pub const MAX_LINE: usize = 65536;
/// Header lines allowed, the final blank line included (Python's `_MAXHEADERS`).
pub const MAX_HEADERS: usize = 100;
/// All header lines together. Python has no such limit, so 100 lines of
/// 64 KiB (6.4 MB) per connection are possible there; one MiB is plenty.
pub const MAX_HEADER_BYTES: usize = 1024 * 1024;

/// An HTTP version, `HTTP/major.minor`. HTTP/0.9 is `0.9`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// The number before the dot.
    pub major: u64,
    /// The number after the dot.
    pub minor: u64,
}

impl Version {
    /// HTTP/0.9: `GET /path` with no version, no headers, and a bare body as answer.
    pub const HTTP_09: Version = Version { major: 0, minor: 9 };
    /// HTTP/1.0.
    pub const HTTP_10: Version = Version { major: 1, minor: 0 };
    /// HTTP/1.1.
    pub const HTTP_11: Version = Version { major: 1, minor: 1 };
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP/{}.{}", self.major, self.minor)
    }
}

/// A parsed request head.
#[derive(Debug, Clone)]
pub struct Head {
    /// The request line as received (Latin-1), without CRLF: for the log.
    pub line: String,
    /// `GET`, `HEAD`, ... exactly as sent (methods are case-sensitive).
    pub method: String,
    /// The request target, raw bytes (`/a%20b.txt?x=1`).
    pub target: Vec<u8>,
    /// The client's version; [`Version::HTTP_09`] for a two-word request line.
    pub version: Version,
    /// Header fields in order; names as sent, values as bytes.
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Head {
    /// The first value of header `name` (case-insensitive), as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
            .map(str::trim)
    }

    /// Whether header `name` lists `token` (comma-separated, case-insensitive),
    /// as in `Connection: keep-alive, Upgrade`.
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .filter_map(|(_, v)| std::str::from_utf8(v).ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub enum HeadError {
    /// The client closed the connection, or sent an empty request line:
    /// end the connection without a word (as Python does).
    Closed,
    /// The request was bad: answer with this status and message, then close.
    Bad(u16, String),
    /// The deadline passed. `partial` says whether part of a request had come.
    TimedOut {
        /// Some bytes of a request had arrived.
        partial: bool,
    },
    /// The connection failed (reset by the peer...).
    Io(io::Error),
}

/// A reader with a deadline: each read waits (`poll`) only for what is left
/// of it, so a whole request head must arrive in time, however the client
/// spreads its bytes. (The socket's read timeout, `SO_RCVTIMEO`, bounds one
/// wait only.) The event loop needs none of this: it sets a timer instead.
pub struct Deadline<'a> {
    connection: &'a Connection,
    deadline: Instant,
}

impl<'a> Deadline<'a> {
    /// Reads from `connection` with a deadline `limit` from now.
    pub fn new(connection: &'a Connection, limit: Duration) -> Deadline<'a> {
        Deadline {
            connection,
            deadline: Instant::now() + limit,
        }
    }

    /// Starts a new deadline, `limit` from now (one per request).
    pub fn restart(&mut self, limit: Duration) {
        self.deadline = Instant::now() + limit;
    }
}

impl Read for Deadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        // Wait only for what is left of the deadline: the socket's own
        // timeout would allow a whole timeout more.
        let mut fds = [PollFd::new(self.connection.as_fd(), PollFlags::POLLIN)];
        let wait =
            PollTimeout::try_from(left.max(Duration::from_millis(1))).unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, wait) {
            Ok(0) => return Err(io::ErrorKind::TimedOut.into()),
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(err) => return Err(err.into()),
        }
        self.connection.read(buf)
    }
}

/// Whether `buf` holds a whole request head, so that parsing it cannot
/// wait for more bytes: the request line and, unless it is an HTTP/0.9 or
/// malformed line (fewer than three words, answered from the line alone),
/// the blank line that ends the headers.
pub fn is_complete_head(buf: &[u8]) -> bool {
    let Some(end) = buf.iter().position(|&b| b == b'\n') else {
        return false;
    };
    // Counted exactly as `parse_request_line` splits the line (Latin-1).
    let words = buf[..end]
        .split(|&b| is_py_space(b as char))
        .filter(|w| !w.is_empty())
        .count();
    if words < 3 {
        return true;
    }
    let mut rest = &buf[end + 1..];
    while let Some(end) = rest.iter().position(|&b| b == b'\n') {
        if rest[..end] == *b"" || rest[..end] == *b"\r" {
            return true;
        }
        rest = &rest[end + 1..];
    }
    false
}

fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// Reads one line of at most `MAX_LINE + 1` bytes into `line` (cleared first).
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<usize> {
    line.clear();
    reader
        .by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', line)
}

/// Reads and parses one request head.
///
/// `scratch` is a buffer reused from request to request on one connection.
pub fn read_head(reader: &mut impl BufRead, scratch: &mut Vec<u8>) -> Result<Head, HeadError> {
    let io_error = |partial: bool| {
        move |err: io::Error| {
            if is_timeout(&err) {
                HeadError::TimedOut { partial }
            } else {
                HeadError::Io(err)
            }
        }
    };
    let mut line = Vec::new();
    // read_until keeps what it read before an error: a timeout with some
    // bytes in `line` is a request cut short, not an idle connection.
    let n = match read_line(reader, &mut line) {
        Ok(n) => n,
        Err(err) => return Err(io_error(!line.is_empty())(err)),
    };
    if n == 0 {
        return Err(HeadError::Closed);
    }
    if n > MAX_LINE {
        return Err(HeadError::Bad(414, "URI Too Long".into()));
    }
    let mut head = parse_request_line(&line)?;
    if head.version == Version::HTTP_09 {
        // HTTP/0.9 has no headers: do not wait for any (CPython gh-139492).
        return Ok(head);
    }
    // The header block, CRLF-terminated lines up to the blank one.
    scratch.clear();
    let mut count = 0;
    loop {
        let n = read_line(reader, &mut line).map_err(io_error(true))?;
        if n > MAX_LINE {
            return Err(HeadError::Bad(431, "Line too long".into()));
        }
        count += 1;
        if count > MAX_HEADERS {
            return Err(HeadError::Bad(431, "Too many headers".into()));
        }
        if n == 0 {
            // End of input before the blank line: take what came, as Python does.
            scratch.extend_from_slice(b"\r\n");
            break;
        }
        scratch.extend_from_slice(&line);
        if scratch.len() > MAX_HEADER_BYTES {
            return Err(HeadError::Bad(
                431,
                "Request header fields too large".into(),
            ));
        }
        if line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    head.headers = parse_headers(scratch)?;
    Ok(head)
}

/// Header lines to fields, with `httparse` (which accepts bare `\n` too).
fn parse_headers(block: &[u8]) -> Result<Vec<(String, Vec<u8>)>, HeadError> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    match httparse::parse_headers(block, &mut fields) {
        Ok(httparse::Status::Complete((_, fields))) => Ok(fields
            .iter()
            .map(|h| (h.name.to_string(), h.value.to_vec()))
            .collect()),
        Ok(httparse::Status::Partial) | Err(_) => {
            Err(HeadError::Bad(400, "Bad header syntax".into()))
        }
    }
}

/// Python's `str.split()` whitespace, for Latin-1 text (it includes the
/// separators `\x1c`..`\x1f`, which Rust's `char::is_whitespace` does not).
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `repr()` of a short string, as used in `http.server`'s messages;
/// anything but printable ASCII is escaped, so the text is safe in a status line.
pub fn py_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            c => out.push_str(&format!("\\x{:02x}", c as u32 & 0xff)),
        }
    }
    out.push(quote);
    out
}

/// `HTTP/<digits>.<digits>`, each part at most 10 digits (Python's rule).
fn parse_version(word: &str) -> Option<Version> {
    let number = word.strip_prefix("HTTP/")?;
    let (major, minor) = number.split_once('.')?;
    let ok = |part: &str| {
        !part.is_empty() && part.len() <= 10 && part.bytes().all(|b| b.is_ascii_digit())
    };
    if !ok(major) || !ok(minor) {
        return None;
    }
    Some(Version {
        major: major.parse().ok()?,
        minor: minor.parse().ok()?,
    })
}

/// Python's `parse_request`, first half: the request line.
fn parse_request_line(raw: &[u8]) -> Result<Head, HeadError> {
    let mut end = raw.len();
    while end > 0 && matches!(raw[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    // Latin-1: every byte is one char, so nothing is lost or refused.
    let line: String = raw[..end].iter().map(|&b| b as char).collect();
    let words: Vec<&str> = line.split(is_py_space).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Err(HeadError::Closed);
    }
    let mut version = Version::HTTP_09;
    if words.len() >= 3 {
        let word = words[words.len() - 1];
        version = parse_version(word).ok_or_else(|| {
            HeadError::Bad(400, format!("Bad request version ({})", py_repr(word)))
        })?;
        if version.major >= 2 {
            let number = &word["HTTP/".len()..];
            return Err(HeadError::Bad(
                505,
                format!("Invalid HTTP version ({number})"),
            ));
        }
    }
    if !(2..=3).contains(&words.len()) {
        return Err(HeadError::Bad(
            400,
            format!("Bad request syntax ({})", py_repr(&line)),
        ));
    }
    let method = words[0].to_string();
    if words.len() == 2 && method != "GET" {
        return Err(HeadError::Bad(
            400,
            format!("Bad HTTP/0.9 request type ({})", py_repr(&method)),
        ));
    }
    let mut target: Vec<u8> = words[1].chars().map(|c| c as u8).collect();
    // `//host/x` would read as another host in a Location header
    // (CPython gh-87389): collapse leading slashes to one.
    if target.starts_with(b"//") {
        let slashes = target.iter().take_while(|&&b| b == b'/').count();
        target.drain(..slashes - 1);
    }
    Ok(Head {
        line,
        method,
        target,
        version,
        headers: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Head, HeadError> {
        read_head(&mut text.as_bytes(), &mut Vec::new())
    }

    fn status(text: &str) -> (u16, String) {
        match parse(text) {
            Err(HeadError::Bad(code, message)) => (code, message),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn parses_a_plain_request() {
        let head = parse("GET /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nX-A:  b \r\n\r\n").unwrap();
        assert_eq!(head.method, "GET");
        assert_eq!(head.target, b"/a%20b?x=1");
        assert_eq!(head.version, Version::HTTP_11);
        assert_eq!(head.header("host"), Some("h"));
        assert_eq!(head.header("x-a"), Some("b"));
    }

    #[test]
    fn python_request_line_errors() {
        assert_eq!(status("GET / HTTP/1.x\r\n\r\n").0, 400);
        assert_eq!(
            status("GET / x HTTP/1.0\r\n\r\n").1,
            "Bad request syntax ('GET / x HTTP/1.0')"
        );
        assert_eq!(
            status("GET / HTTP/2.0\r\n\r\n"),
            (505, "Invalid HTTP version (2.0)".into())
        );
        assert_eq!(status("GET / HTTP/1.1.1\r\n\r\n").0, 400);
        assert_eq!(status("GET / HTTP/+1.1\r\n\r\n").0, 400);
        assert_eq!(status("GET / HTTP/12345678901.1\r\n\r\n").0, 400);
        assert_eq!(status("PUT /\r\n").1, "Bad HTTP/0.9 request type ('PUT')");
        assert!(matches!(parse("\r\n"), Err(HeadError::Closed)));
        assert!(matches!(parse(""), Err(HeadError::Closed)));
    }

    #[test]
    fn limits_are_pythons() {
        let long = format!("GET /{} HTTP/1.0\r\n\r\n", "a".repeat(MAX_LINE));
        assert_eq!(status(&long).0, 414);
        let header = format!("GET / HTTP/1.0\r\nX: {}\r\n\r\n", "a".repeat(MAX_LINE));
        assert_eq!(status(&header), (431, "Line too long".into()));
        let ok = format!("GET / HTTP/1.0\r\n{}\r\n", "X: y\r\n".repeat(99));
        assert!(parse(&ok).is_ok());
        let many = format!("GET / HTTP/1.0\r\n{}\r\n", "X: y\r\n".repeat(100));
        assert_eq!(status(&many), (431, "Too many headers".into()));
        let big = format!(
            "GET / HTTP/1.0\r\n{}\r\n",
            format!("X: {}\r\n", "a".repeat(60_000)).repeat(20)
        );
        assert_eq!(
            status(&big),
            (431, "Request header fields too large".into())
        );
    }

    #[test]
    fn leading_slashes_collapse() {
        assert_eq!(
            parse("GET //evil.com/x HTTP/1.0\r\n\r\n").unwrap().target,
            b"/evil.com/x"
        );
        assert_eq!(parse("GET /\r\n").unwrap().version, Version::HTTP_09);
    }

    #[test]
    fn repr_escapes_control_characters() {
        assert_eq!(py_repr("a\u{1}'"), "\"a\\x01'\"");
    }
}
