//! Writing responses: the head in one buffer and ONE send, bodies with
//! `sendfile`.
//!
//! Python's `http.server` writes the head with one `send` and the body with
//! another, with Nagle's algorithm on. On a kept-alive connection the second
//! small send waits for the ACK of the first, which the client delays by up
//! to 40 ms (delayed ACK): HTTP/1.1 mode then answers ~25 requests a second
//! per connection. We set `TCP_NODELAY` and, better, send the head and a
//! small body together in one `write`.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::time::{SystemTime, UNIX_EPOCH};

use framework::Connection;
use nix::sys::socket::{MsgFlags, send};

use super::head::Version;
use super::listing::html_escape;

/// The `Server` header.
pub const SERVER: &str = concat!("http-server/", env!("CARGO_PKG_VERSION"));

/// Bodies up to this size are read into the head's buffer and sent with it;
/// larger ones go by `sendfile`, without passing through user space.
pub const INLINE_BODY: u64 = 32 * 1024;

/// The standard reason phrase of a status code the server sends with one
/// (an error page carries its own message instead, as Python's
/// `send_error` does).
pub fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        416 => "Range Not Satisfiable",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// The longer explanation on an error page (Python's `responses` table).
fn explain(code: u16) -> &'static str {
    match code {
        400 => "Bad request syntax or unsupported method",
        404 => "Nothing matches the given URI",
        408 => "Request timed out; try again later",
        414 => "URI is too long",
        416 => "Cannot satisfy request range",
        417 => "Expect condition could not be satisfied",
        431 => "The server refused this request because the request header fields are too large",
        501 => "Server does not support this operation",
        503 => "The server cannot process the request due to a high load",
        505 => "Cannot fulfill request",
        _ => "",
    }
}

/// Python's error page, with the message and explanation HTML-escaped.
pub fn error_page(code: u16, message: &str) -> String {
    format!(
        "<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        \
         <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        \
         <p>Error code: {code}</p>\n        <p>Message: {}.</p>\n        \
         <p>Error code explanation: {code} - {}.</p>\n    </body>\n</html>\n",
        html_escape(message),
        html_escape(explain(code))
    )
}

/// `Date` for now. Formatting a date per request is cheap but not free, so
/// each thread keeps the text of the current second.
pub fn date_now() -> String {
    thread_local! {
        static CACHE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != secs {
            *cache = (secs, httpdate::fmt_http_date(now));
        }
        cache.1.clone()
    })
}

/// A response head being built, then sent in one piece.
pub struct ResponseHead {
    buf: Vec<u8>,
}

impl ResponseHead {
    /// Status line, `Server` and `Date`. `reason` is the phrase after the code
    /// (Python puts its own message there, e.g. `404 File not found`).
    pub fn new(version: Version, code: u16, reason: &str) -> ResponseHead {
        let mut head = ResponseHead {
            buf: Vec::with_capacity(256),
        };
        let _ = write!(head.buf, "{version} {code} {reason}\r\n");
        head.header("Server", SERVER);
        head.header("Date", date_now());
        head
    }

    /// Adds one header line.
    pub fn header(&mut self, name: &str, value: impl std::fmt::Display) {
        let _ = write!(self.buf, "{name}: {value}\r\n");
    }

    /// Ends the head (the blank line) and returns its bytes, to which a
    /// small body may be appended before sending.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(b"\r\n");
        self.buf
    }
}

/// Writes all of `bytes` (the framework's `wfile` is unbuffered: each
/// `write_all` is one `send`, unless the socket takes less).
pub fn send_all(out: &Connection, bytes: &[u8]) -> io::Result<()> {
    let mut out = out;
    out.write_all(bytes)
}

/// Sends a head that a `sendfile` body will follow, with `MSG_MORE`: the
/// kernel holds it back to fill the first packet with file data too.
pub fn send_head_more(out: &Connection, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        // nix has no name for MSG_MORE; the bit is libc's.
        let flags = MsgFlags::from_bits_retain(libc::MSG_MORE) | MsgFlags::MSG_NOSIGNAL;
        match send(out.as_raw_fd(), bytes, flags) {
            Ok(n) => bytes = &bytes[n..],
            Err(nix::errno::Errno::EINTR) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Ok(())
}

/// Appends `len` bytes of `file` from `offset` to `buf` (for small bodies).
/// A file that shrank meanwhile is an error: the head already promised `len`.
pub fn read_body(file: &File, offset: u64, len: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    let start = buf.len();
    buf.resize(start + len as usize, 0);
    file.read_exact_at(&mut buf[start..], offset)
}

/// Sends `len` bytes of `file` from `offset` with `sendfile(2)`: the kernel
/// copies from the page cache to the socket; the bytes never enter our
/// memory. (`std::io::copy` does not do this for file-to-socket copies.)
pub fn send_file(out: &Connection, file: &File, offset: u64, len: u64) -> io::Result<()> {
    let mut offset = offset as libc::off_t;
    let mut left = len;
    while left > 0 {
        // At most 1 GiB per call, so the count always fits.
        let chunk = left.min(1 << 30) as usize;
        match nix::sys::sendfile::sendfile(out, file, Some(&mut offset), chunk) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while it was being sent",
                ));
            }
            Ok(n) => left -= n as u64,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Ok(())
}
