//! One connection: read a request, answer it, and again while the
//! connection is kept alive. Python's `BaseHTTPRequestHandler.handle` loop
//! and `SimpleHTTPRequestHandler.send_head`, in one file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::net::Shutdown;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use framework::{Address, Connection, RequestHandler, StreamRequest};

use super::cache::SmallFiles;
use super::conditional::Validators;
use super::files::Root;
use super::head::{Deadline, Head, HeadError, Version, py_repr, read_head};
use super::limit::Limit;
use super::listing;
use super::log;
use super::path::{self, Target};
use super::range::{self, Ranged};
use super::response::{INLINE_BODY, ResponseHead, error_page, read_body, reason};
use super::sink::Sink;

/// The content type of the pages the server writes itself (errors, listings).
const HTML: &str = "text/html;charset=utf-8";

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

/// What every connection shares: the served directory, the settings and
/// the connection count.
pub struct Site {
    root: Root,
    pub(super) settings: Settings,
    pub(super) connections: Arc<Limit>,
    small_files: SmallFiles,
}

impl Site {
    /// Opens `directory` for serving.
    pub fn open(directory: &Path, settings: Settings) -> io::Result<Arc<Site>> {
        Ok(Arc::new(Site {
            root: Root::open(directory)?,
            connections: Arc::new(Limit::new(settings.max_connections)?),
            settings,
            small_files: SmallFiles::default(),
        }))
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
    /// The blocking models: this thread (or child) serves the connection
    /// from start to end, waiting when it must.
    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        let client = client_name(&request.client_address);
        let site = &*self.site;
        let out = request.connection();
        let mut conn = Conn::new(site, out, &client, Sink::Blocking);
        // Errors of the client's connection (reset, timed out, gone) end
        // the connection; they are not the server's errors to report.
        if prepare_to_wait(out, site).is_err() {
            return Ok(());
        }
        let Some(_slot) = site.connections.try_enter() else {
            let _ = conn.reject_busy();
            linger(out);
            return Ok(());
        };
        let _ = conn.run(site.settings.timeout);
        Ok(())
    }
}

/// The client as the access log names it: its IP address.
pub(super) fn client_name(address: &Address) -> String {
    match address {
        Address::Inet(addr) => addr.ip().to_string(),
        other => other.to_string(),
    }
}

/// Socket settings for a connection whose thread waits in reads and writes.
fn prepare_to_wait(out: &Connection, site: &Site) -> io::Result<()> {
    // Responses go out in one write each, but a sendfile body follows
    // its head, and the last packet of a body must not wait for an ACK.
    out.set_nodelay(true)?;
    // Each single read or write may wait this long (SO_RCVTIMEO/SO_SNDTIMEO);
    // Deadline bounds the sum for a whole request head.
    out.set_timeout(Some(site.settings.timeout))
}

/// The state of one connection while a request is answered.
pub(super) struct Conn<'a> {
    site: &'a Site,
    out: &'a Connection,
    client: &'a str,
    sink: Sink,
    /// `100 Continue` was sent already (by the event loop, while the body
    /// was on its way): `respond` must not send it again.
    continue_sent: bool,
}

/// How a response ended the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Read the next request on this connection.
    KeepAlive,
    /// Close; the request was read entirely.
    Close,
    /// Close, but the client may still be sending: drain before closing.
    CloseAndLinger,
}

impl<'a> Conn<'a> {
    /// A connection to `client` on `out`, answering through `sink`.
    pub(super) fn new(site: &'a Site, out: &'a Connection, client: &'a str, sink: Sink) -> Self {
        Conn {
            site,
            out,
            client,
            sink,
            continue_sent: false,
        }
    }

    /// Notes that `100 Continue` has gone out for this request already.
    pub(super) fn set_continue_sent(&mut self, sent: bool) {
        self.continue_sent = sent;
    }

    /// Sends `100 Continue` if the request asks for it (and both sides
    /// speak HTTP/1.1); returns whether it did.
    pub(super) fn continue_if_expected(&mut self, head: &Head) -> io::Result<bool> {
        let expected = head
            .header("expect")
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
        if expected
            && head.version >= Version::HTTP_11
            && self.settings().protocol >= Version::HTTP_11
        {
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            return Ok(true);
        }
        Ok(false)
    }

    /// The parts a collecting sink kept (see [`Sink`]).
    pub(super) fn into_parts(self) -> Vec<super::sink::Part> {
        self.sink.into_parts()
    }

    fn settings(&self) -> &Settings {
        &self.site.settings
    }

    /// Reads and answers requests until the connection ends.
    fn run(&mut self, timeout: Duration) -> io::Result<()> {
        // We read through our own buffer so that every read checks the
        // request's deadline. (The framework's `rfile` is left untouched.)
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

    /// Over the connection cap: say so clearly (the caller then closes
    /// gracefully).
    pub(super) fn reject_busy(&mut self) -> io::Result<()> {
        let message = format!(
            "Too many connections (the limit is {}); try again shortly",
            self.site.connections.max()
        );
        let page = error_page(503, &message);
        let mut head = ResponseHead::new(self.settings().protocol, 503, reason(503));
        head.header("Retry-After", 1);
        head.header("Connection", "close");
        self.send_page(None, (503, head), HTML, &page, Next::Close)?;
        Ok(())
    }

    fn log(&self, line: &str, code: u16, size: u64) {
        if self.settings().access_log {
            log::access(self.client, line, code, size);
        }
    }

    /// Sends response bytes through the connection's sink.
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.sink.send(self.out, bytes)
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

    /// Answers one parsed request. (The event loop calls this only once
    /// the whole of a small body has arrived, so it never waits to read one.)
    pub(super) fn respond(&mut self, head: &Head, reader: &mut impl BufRead) -> io::Result<Next> {
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
            if !self.continue_sent {
                self.continue_if_expected(head)?;
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
        let relative = resolved.relative();
        // A kept copy answers without opening anything: the file itself, or
        // for a directory its index.html (which comes first, see below).
        let kept_path = if resolved.trailing_slash {
            resolved.child("index.html")
        } else {
            relative.clone()
        };
        if let Some(kept) = self.site.small_files.get(&self.site.root, &kept_path) {
            let body = Body::Memory(&kept.body);
            return self.file(head, body, &kept.validators, kept.content_type, next);
        }
        let Ok(file) = self.site.root.open_beneath(&relative) else {
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
                let page_path = resolved.child(index);
                if let Ok(page) = self.site.root.open_beneath(&page_path) {
                    if let Ok(meta) = page.metadata() {
                        if meta.is_file() {
                            return self.regular_file(head, &page_path, &page, &meta, index, next);
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
        self.regular_file(head, &relative, &file, &meta, &name, next)
    }

    /// A regular file opened the checked way: answered from a copy kept in
    /// memory when it is small and settled (see [`super::cache`]).
    fn regular_file(
        &mut self,
        request: &Head,
        relative: &[u8],
        file: &File,
        meta: &std::fs::Metadata,
        name: &str,
        next: Next,
    ) -> io::Result<Next> {
        let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
        let validators = Validators::new(modified, meta.len());
        let content_type = content_type(name);
        if SmallFiles::would_keep(meta) {
            let mut body = vec![0; meta.len() as usize];
            if file.read_exact_at(&mut body, 0).is_ok() {
                let small_files = &self.site.small_files;
                let kept = small_files.keep(relative, meta, body.into(), validators, content_type);
                let body = Body::Memory(&kept.body);
                return self.file(request, body, &kept.validators, content_type, next);
            }
        }
        let body = Body::File(file, meta.len());
        self.file(request, body, &validators, content_type, next)
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
    pub(super) fn error(
        &mut self,
        request: Option<&Head>,
        code: u16,
        message: &str,
        next: Next,
    ) -> io::Result<Next> {
        let head = self.head_for(request, code, message, next);
        let page = error_page(code, message);
        self.send_page(request, (code, head), HTML, &page, next)
    }

    /// Sends `head` (of status `code`) with `Content-Type` and `Content-Length` added, then an
    /// HTML `page`, and logs it. A `HEAD` request gets no page bytes, an
    /// HTTP/0.9 one no head (and then the connection closes).
    fn send_page(
        &mut self,
        request: Option<&Head>,
        (code, mut head): (u16, ResponseHead),
        content_type: &str,
        page: &str,
        next: Next,
    ) -> io::Result<Next> {
        let http09 = Self::is_http09(request);
        let head_only = request.is_some_and(|r| r.method == "HEAD");
        let mut bytes = if http09 {
            Vec::new()
        } else {
            head.header("Content-Type", content_type);
            head.header("Content-Length", page.len());
            head.finish()
        };
        if !head_only {
            bytes.extend_from_slice(page.as_bytes());
        }
        self.send(&bytes)?;
        let line = request.map_or("-", |r| r.line.as_str());
        self.log(line, code, if head_only { 0 } else { page.len() as u64 });
        Ok(if http09 { Next::Close } else { next })
    }

    /// 301 to the same URL with a `/` added (and the query kept).
    fn redirect(&mut self, request: &Head, location: &str, next: Next) -> io::Result<Next> {
        if Self::is_http09(Some(request)) {
            return self.error(Some(request), 404, "File not found", Next::Close);
        }
        let mut head = self.head_for(Some(request), 301, reason(301), next);
        head.header("Location", location);
        head.header("Content-Length", 0);
        self.send(&head.finish())?;
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
        let page = listing::page(url_path, &entries);
        let head = self.head_for(Some(request), 200, "OK", next);
        self.send_page(
            Some(request),
            (200, head),
            "text/html; charset=utf-8",
            &page,
            next,
        )
    }

    /// A regular file: 304 if the client's copy is current, else 200 or
    /// 206 (a range) or 416 (a range past the end).
    fn file(
        &mut self,
        request: &Head,
        body: Body<'_>,
        validators: &Validators,
        content_type: &str,
        next: Next,
    ) -> io::Result<Next> {
        let len = body.len();
        let http09 = Self::is_http09(Some(request));
        if !http09 && validators.not_modified(request) {
            let mut head = self.head_for(Some(request), 304, reason(304), next);
            head.header("ETag", &validators.etag);
            head.header("Last-Modified", &validators.last_modified);
            self.send(&head.finish())?;
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
            let mut head = self.head_for(Some(request), code, reason(code), next);
            head.header("Content-Type", content_type);
            head.header("Content-Length", count);
            head.header("Last-Modified", &validators.last_modified);
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
        match body {
            _ if head_only || count == 0 => self.send(&bytes)?,
            Body::Memory(content) => {
                bytes.extend_from_slice(&content[start as usize..(start + count) as usize]);
                self.send(&bytes)?;
            }
            Body::File(file, _) if count <= INLINE_BODY => {
                read_body(file, start, count, &mut bytes)?;
                self.send(&bytes)?;
            }
            Body::File(file, _) => self.sink.send_file(self.out, bytes, file, start, count)?,
        }
        self.log(&request.line, code, if head_only { 0 } else { count });
        Ok(if http09 { Next::Close } else { next })
    }

    /// 416, saying how long the file really is.
    fn unsatisfiable(&mut self, request: &Head, len: u64, next: Next) -> io::Result<Next> {
        let page = error_page(416, reason(416));
        let mut head = self.head_for(Some(request), 416, reason(416), next);
        head.header("Content-Range", format_args!("bytes */{len}"));
        self.send_page(Some(request), (416, head), HTML, &page, next)
    }
}

/// Where a file's bytes come from.
enum Body<'a> {
    /// The open file, and its length.
    File(&'a File, u64),
    /// A copy kept in memory.
    Memory(&'a [u8]),
}

impl Body<'_> {
    fn len(&self) -> u64 {
        match self {
            Body::File(_, len) => *len,
            Body::Memory(content) => content.len() as u64,
        }
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
pub(super) fn linger(out: &Connection) {
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
