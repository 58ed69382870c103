//! One connection: read a request, answer it, and again while the
//! connection is kept alive. Python's `BaseHTTPRequestHandler.handle` loop
//! and `SimpleHTTPRequestHandler.send_head`, in one file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::net::Shutdown;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use framework::{Address, Connection, RequestHandler, StreamRequest};

use super::conditional::Validators;
use super::files::Root;
use super::head::{Deadline, Head, HeadError, Version, py_repr, read_head};
use super::limit::Limit;
use super::listing;
use super::log;
use super::path::{self, Target};
use super::range::{self, Ranged};
use super::response::{
    INLINE_BODY, ResponseHead, error_page, read_body, send_all, send_file, send_head_more,
};

/// A request body we read and throw away (a GET may carry one) so that
/// the next request on the connection starts at the right byte. Larger
/// bodies end the connection instead.
const MAX_DISCARDED_BODY: u64 = 1024 * 1024;

/// How long a closing connection waits for the client's remaining bytes
/// (see [`linger`]).
const LINGER: Duration = Duration::from_millis(500);

/// How the server behaves, from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The version in our status lines; HTTP/1.0 closes after each response.
    pub protocol: Version,
    /// Whether connections may stay open (HTTP/1.1, not the loop server).
    pub keep_alive: bool,
    /// Time for a whole request head; idle keep-alive time; longest write stall.
    pub timeout: Duration,
    /// Most connections served at once.
    pub max_connections: usize,
    /// Write the access log to stderr.
    pub access_log: bool,
}

/// What every handler shares: the served directory and the settings.
#[derive(Debug)]
pub struct Site {
    root: Root,
    settings: Settings,
    connections: Limit,
}

impl Site {
    /// Opens `directory` for serving.
    pub fn open(directory: &Path, settings: Settings) -> io::Result<Site> {
        Ok(Site {
            root: Root::open(directory)?,
            connections: Limit::new(settings.max_connections),
            settings,
        })
    }
}

/// The request handler: one per connection, made by the server's factory.
pub struct HttpHandler {
    site: Arc<Site>,
}

impl HttpHandler {
    /// A handler serving `site`.
    pub fn new(site: Arc<Site>) -> HttpHandler {
        HttpHandler { site }
    }
}

impl RequestHandler<StreamRequest> for HttpHandler {
    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        let out = request.connection();
        let client = match &request.client_address {
            Address::Inet(addr) => addr.ip().to_string(),
            other => other.to_string(),
        };
        let site = &*self.site;
        let mut conn = Conn { site, out, client };
        // Errors of the client's connection (reset, timed out, gone) end
        // the connection; they are not the server's errors to report.
        let _ = conn.run();
        Ok(())
    }
}

/// The state of one connection.
struct Conn<'a> {
    site: &'a Site,
    out: &'a Connection,
    client: String,
}

/// How a response ended the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// Read the next request on this connection.
    KeepAlive,
    /// Close; the request was read entirely.
    Close,
    /// Close, but the client may still be sending: drain before closing.
    CloseAndLinger,
}

impl Conn<'_> {
    fn settings(&self) -> &Settings {
        &self.site.settings
    }

    fn run(&mut self) -> io::Result<()> {
        // Responses go out in one write each, but a sendfile body follows
        // its head, and the last packet of a body must not wait for an ACK.
        self.out.set_nodelay(true)?;
        // Each single read or write may wait this long (SO_RCVTIMEO/SO_SNDTIMEO);
        // Deadline bounds the sum for a whole request head.
        self.out.set_timeout(Some(self.settings().timeout))?;
        let Some(_slot) = self.site.connections.try_enter() else {
            return self.reject_busy();
        };
        // We read through our own buffer so that every read checks the
        // request's deadline. (The framework's `rfile` is left untouched.)
        let timeout = self.settings().timeout;
        let mut reader = BufReader::with_capacity(8 * 1024, Deadline::new(self.out, timeout));
        let mut scratch = Vec::new();
        loop {
            reader.get_mut().restart(timeout);
            let next = match read_head(&mut reader, &mut scratch) {
                Ok(head) => self.respond(&head, &mut reader)?,
                Err(HeadError::Closed) => Next::Close,
                Err(HeadError::Io(err)) => return Err(err),
                Err(HeadError::TimedOut { partial: false }) => Next::Close,
                Err(HeadError::TimedOut { partial: true }) => {
                    let message = "Request timed out";
                    self.error(None, 408, message, Next::CloseAndLinger)?
                }
                Err(HeadError::Bad(code, message)) => {
                    self.error(None, code, &message, Next::CloseAndLinger)?
                }
            };
            match next {
                Next::KeepAlive => continue,
                Next::Close => return Ok(()),
                Next::CloseAndLinger => {
                    linger(self.out);
                    return Ok(());
                }
            }
        }
    }

    /// Over the connection cap: say so clearly, then close.
    fn reject_busy(&self) -> io::Result<()> {
        let message = format!(
            "Too many connections (the limit is {}); try again shortly",
            self.site.connections.max()
        );
        let body = error_page(503, &message);
        let mut head = ResponseHead::new(self.settings().protocol, 503, "Service Unavailable");
        head.header("Retry-After", 1);
        head.header("Connection", "close");
        head.header("Content-Type", "text/html;charset=utf-8");
        head.header("Content-Length", body.len());
        let mut bytes = head.finish();
        bytes.extend_from_slice(body.as_bytes());
        send_all(self.out, &bytes)?;
        self.log("-", 503, body.len() as u64);
        linger(self.out);
        Ok(())
    }

    fn log(&self, line: &str, code: u16, size: u64) {
        if self.settings().access_log {
            log::access(&self.client, line, code, size);
        }
    }

    /// Whether this exchange may leave the connection open (Python's rules:
    /// an HTTP/1.1 client, or an explicit `Connection: keep-alive`, and a
    /// server in HTTP/1.1 mode; `Connection: close` always wins).
    fn wants_keep_alive(&self, head: &Head) -> bool {
        if !self.settings().keep_alive || head.version == Version::HTTP_09 {
            return false;
        }
        if head.has_token("connection", "close") {
            return false;
        }
        head.version >= Version::HTTP_11 || head.has_token("connection", "keep-alive")
    }

    /// Answers one parsed request.
    fn respond(&mut self, head: &Head, reader: &mut impl BufRead) -> io::Result<Next> {
        let mut next = if self.wants_keep_alive(head) {
            Next::KeepAlive
        } else {
            Next::Close
        };
        if head.method != "GET" && head.method != "HEAD" {
            let message = format!("Unsupported method ({})", py_repr(&head.method));
            return self.error(Some(head), 501, &message, Next::CloseAndLinger);
        }
        if let Some(expect) = head.header("expect") {
            if !expect.eq_ignore_ascii_case("100-continue") {
                return self.error(Some(head), 417, "Expectation Failed", Next::CloseAndLinger);
            }
            // The client waits for this before it sends a body.
            if head.version >= Version::HTTP_11 && self.settings().protocol >= Version::HTTP_11 {
                send_all(self.out, b"HTTP/1.1 100 Continue\r\n\r\n")?;
            }
        }
        // A body on a GET means nothing to us, but it must be read past.
        if head.header("transfer-encoding").is_some() {
            next = Next::CloseAndLinger;
        } else if let Some(length) = head.header("content-length") {
            let Ok(length) = length.parse::<u64>() else {
                return self.error(Some(head), 400, "Bad Content-Length", Next::CloseAndLinger);
            };
            if length > MAX_DISCARDED_BODY {
                next = Next::CloseAndLinger;
            } else if io::copy(&mut reader.by_ref().take(length), &mut io::sink())? < length {
                return Ok(Next::Close);
            }
        }
        self.send_head(head, next)
    }

    /// Python's `send_head`: find what the path names and answer with it.
    fn send_head(&mut self, head: &Head, next: Next) -> io::Result<Next> {
        let target = Target::split(&head.target);
        let Ok(resolved) = path::resolve(target.raw_path) else {
            return self.error(Some(head), 400, "Bad request path", next);
        };
        let not_found = |this: &mut Self| this.error(Some(head), 404, "File not found", next);
        let Ok(file) = self.site.root.open_beneath(&resolved.relative()) else {
            return not_found(self);
        };
        let Ok(meta) = file.metadata() else {
            return not_found(self);
        };
        if meta.is_dir() {
            if !resolved.trailing_slash {
                let location = path::directory_location(&target);
                return self.redirect(head, &location, next);
            }
            for index in ["index.html", "index.htm"] {
                let mut relative = resolved.relative();
                relative.extend_from_slice(b"/");
                relative.extend_from_slice(index.as_bytes());
                if let Ok(page) = self.site.root.open_beneath(&relative) {
                    if let Ok(meta) = page.metadata() {
                        if meta.is_file() {
                            return self.file(head, &page, &meta, index, next);
                        }
                    }
                }
            }
            return self.listing(head, file, &resolved.decoded, next);
        }
        // A file asked for as a directory (`/a.txt/`), or a FIFO, a device...
        if resolved.trailing_slash || !meta.is_file() {
            return not_found(self);
        }
        let name = resolved.parts.last().map_or(&b""[..], |p| p.as_slice());
        let name = String::from_utf8_lossy(name).into_owned();
        self.file(head, &file, &meta, &name, next)
    }

    /// Starts a response head with our version, and the connection header
    /// that tells the client what we will do.
    fn head_for(
        &self,
        request: Option<&Head>,
        code: u16,
        reason: &str,
        next: Next,
    ) -> ResponseHead {
        let mut head = ResponseHead::new(self.settings().protocol, code, reason);
        match next {
            Next::KeepAlive => {
                // An HTTP/1.0 client keeps the connection only if told so.
                if request.is_some_and(|r| r.version < Version::HTTP_11) {
                    head.header("Connection", "keep-alive");
                }
            }
            Next::Close | Next::CloseAndLinger => head.header("Connection", "close"),
        }
        head
    }

    /// An HTTP/0.9 request gets only a body: no status line, no headers.
    fn is_http09(request: Option<&Head>) -> bool {
        request.is_some_and(|r| r.version == Version::HTTP_09)
    }

    /// Python's `send_error`: the status with its message, and an HTML page
    /// (whose bytes a `HEAD` request does not get).
    fn error(
        &mut self,
        request: Option<&Head>,
        code: u16,
        message: &str,
        next: Next,
    ) -> io::Result<Next> {
        let body = error_page(code, message);
        let head_only = request.is_some_and(|r| r.method == "HEAD");
        let mut bytes = if Self::is_http09(request) {
            Vec::new()
        } else {
            let mut head = self.head_for(request, code, message, next);
            head.header("Content-Type", "text/html;charset=utf-8");
            head.header("Content-Length", body.len());
            head.finish()
        };
        if !head_only {
            bytes.extend_from_slice(body.as_bytes());
        }
        send_all(self.out, &bytes)?;
        let line = request.map_or("-", |r| r.line.as_str());
        self.log(line, code, if head_only { 0 } else { body.len() as u64 });
        Ok(if Self::is_http09(request) {
            Next::Close
        } else {
            next
        })
    }

    /// 301 to the same URL with a `/` added (and the query kept).
    fn redirect(&mut self, request: &Head, location: &str, next: Next) -> io::Result<Next> {
        if Self::is_http09(Some(request)) {
            return self.error(Some(request), 404, "File not found", Next::Close);
        }
        let mut head = self.head_for(Some(request), 301, "Moved Permanently", next);
        head.header("Location", location);
        head.header("Content-Length", 0);
        send_all(self.out, &head.finish())?;
        self.log(&request.line, 301, 0);
        Ok(next)
    }

    /// The directory listing page.
    fn listing(
        &mut self,
        request: &Head,
        dir: File,
        url_path: &[u8],
        next: Next,
    ) -> io::Result<Next> {
        let Ok(entries) = listing::read_entries(dir) else {
            return self.error(Some(request), 404, "No permission to list directory", next);
        };
        let body = listing::page(url_path, &entries);
        let mut bytes = Vec::new();
        if !Self::is_http09(Some(request)) {
            let mut head = self.head_for(Some(request), 200, "OK", next);
            head.header("Content-Type", "text/html; charset=utf-8");
            head.header("Content-Length", body.len());
            bytes = head.finish();
        }
        let head_only = request.method == "HEAD";
        if !head_only {
            bytes.extend_from_slice(body.as_bytes());
        }
        send_all(self.out, &bytes)?;
        self.log(
            &request.line,
            200,
            if head_only { 0 } else { body.len() as u64 },
        );
        Ok(if Self::is_http09(Some(request)) {
            Next::Close
        } else {
            next
        })
    }

    /// A regular file: 304 if the client's copy is current, else 200 or
    /// 206 (a range) or 416 (a range past the end).
    fn file(
        &mut self,
        request: &Head,
        file: &File,
        meta: &std::fs::Metadata,
        name: &str,
        next: Next,
    ) -> io::Result<Next> {
        let len = meta.len();
        let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
        let validators = Validators::new(modified, len);
        let http09 = Self::is_http09(Some(request));
        if !http09 && validators.not_modified(request) {
            let mut head = self.head_for(Some(request), 304, "Not Modified", next);
            head.header("ETag", &validators.etag);
            head.header("Last-Modified", validators.last_modified());
            send_all(self.out, &head.finish())?;
            self.log(&request.line, 304, 0);
            return Ok(next);
        }
        let ranged = if http09 || !validators.range_allowed(request) {
            Ranged::Full
        } else {
            range::parse(request.header("range"), len)
        };
        let (code, start, count) = match ranged {
            Ranged::Full => (200, 0, len),
            Ranged::Part { start, end } => (206, start, end - start + 1),
            Ranged::Unsatisfiable => {
                return self.unsatisfiable(request, len, next);
            }
        };
        let mut bytes = Vec::new();
        if !http09 {
            let mut head = self.head_for(Some(request), code, super::response::reason(code), next);
            head.header("Content-Type", content_type(name));
            head.header("Content-Length", count);
            head.header("Last-Modified", validators.last_modified());
            head.header("ETag", &validators.etag);
            head.header("Accept-Ranges", "bytes");
            if code == 206 {
                head.header(
                    "Content-Range",
                    format_args!("bytes {start}-{}/{len}", start + count - 1),
                );
            }
            bytes = head.finish();
        }
        let head_only = request.method == "HEAD";
        if head_only || count == 0 {
            send_all(self.out, &bytes)?;
        } else if count <= INLINE_BODY {
            read_body(file, start, count, &mut bytes)?;
            send_all(self.out, &bytes)?;
        } else {
            send_head_more(self.out, &bytes)?;
            send_file(self.out, file, start, count)?;
        }
        self.log(&request.line, code, if head_only { 0 } else { count });
        Ok(if http09 { Next::Close } else { next })
    }

    /// 416, saying how long the file really is.
    fn unsatisfiable(&mut self, request: &Head, len: u64, next: Next) -> io::Result<Next> {
        let body = error_page(416, "Range Not Satisfiable");
        let mut head = self.head_for(Some(request), 416, "Range Not Satisfiable", next);
        head.header("Content-Range", format_args!("bytes */{len}"));
        head.header("Content-Type", "text/html;charset=utf-8");
        head.header("Content-Length", body.len());
        let mut bytes = head.finish();
        let head_only = request.method == "HEAD";
        if !head_only {
            bytes.extend_from_slice(body.as_bytes());
        }
        send_all(self.out, &bytes)?;
        self.log(
            &request.line,
            416,
            if head_only { 0 } else { body.len() as u64 },
        );
        Ok(next)
    }
}

/// The `Content-Type` for a file name (Python's `guess_type`, through
/// `mime_guess`; unknown types are `application/octet-stream`).
pub fn content_type(name: &str) -> &'static str {
    mime_guess::from_path(name)
        .first_raw()
        .unwrap_or("application/octet-stream")
}

/// Closes "gracefully" when the client may still be sending (a rejected
/// body, a pipelined request): we stop writing, then read and drop what
/// still comes for a moment. Closing a socket with unread bytes makes the
/// kernel send a reset, and the client could lose our response with it.
fn linger(out: &Connection) {
    let _ = out.shutdown(Shutdown::Write);
    let _ = out.set_timeout(Some(LINGER));
    let end = Instant::now() + LINGER;
    let mut buf = [0u8; 8192];
    let mut total = 0;
    let mut reader = out;
    // Bounded in bytes and in time: a trickling client cannot keep us here.
    while total < 256 * 1024 && Instant::now() < end {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_like_python() {
        assert_eq!(content_type("a.txt"), "text/plain");
        assert_eq!(content_type("a.html"), "text/html");
        assert_eq!(content_type("a.tar.gz"), "application/gzip");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }
}
