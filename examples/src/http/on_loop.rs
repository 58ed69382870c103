//! The HTTP server on the framework's event loop (`--model poll`): one
//! thread serves every connection, and a connection waiting for its next
//! request costs a table entry, not a thread.
//!
//! The request and response bytes are the ones a connection's own thread
//! would read and write: the same [`Conn::respond`] answers, through a
//! sink that collects the response instead of sending it; the parts go
//! into the loop's queue for the connection (`sendfile` for a large file).
//! What a thread did by waiting, this protocol does with state:
//!
//! | a thread... | here |
//! |---|---|
//! | reads a head with a deadline | bytes pile up in `received` until the head is whole; a timer set when the connection went idle ends it with 408 |
//! | reads past a small body | answers only once the whole body has arrived |
//! | blocks in `write` for a slow reader | the queue waits for `EPOLLOUT`; no new request is answered while more than 256 KiB wait (pipelining cannot grow the queue without end) |
//! | lingers before closing | `shutdown_write`, then reads and drops until end-of-file, 256 KiB or 0.5 s |

use std::io::{self, Cursor};
use std::sync::Arc;
use std::time::Duration;

use framework::{Conn, Protocol, Timeout};

use super::handler::{self, Next, Site};
use super::head::{HeadError, MAX_LINE, is_complete_head, read_head};
use super::limit::Slot;
use super::sink::{Part, Sink};

/// No new request is answered while this much of the answers waits to be
/// sent: a client pipelining requests faster than it reads the answers is
/// slowed down (its reading paused) instead of growing its queue.
const MAX_QUEUED: usize = 256 * 1024;

/// A request body we read past (a GET may carry one), as a thread would.
const MAX_DISCARDED_BODY: usize = 1024 * 1024;

/// How long, and how much, a closing connection reads and drops (see
/// [`HttpProtocol::linger`]).
const LINGER: Duration = Duration::from_millis(500);
const LINGER_BYTES: usize = 256 * 1024;

/// One connection's state between the loop's calls.
pub struct HttpProtocol {
    site: Arc<Site>,
    client: String,
    /// Its place under the connection cap (none: it was refused with 503).
    slot: Option<Slot>,
    /// Bytes of the next request(s) received so far.
    received: Vec<u8>,
    /// The connection is ending: what still comes is read and dropped
    /// (and counted).
    lingering: Option<usize>,
    /// `100 Continue` went out for the request whose body is arriving.
    continued: bool,
}

impl HttpProtocol {
    /// A protocol for a new connection to `site`.
    pub fn new(site: Arc<Site>) -> HttpProtocol {
        HttpProtocol {
            site,
            client: String::new(),
            slot: None,
            received: Vec::new(),
            lingering: None,
            continued: false,
        }
    }

    fn timeout(&self) -> Duration {
        self.site.settings.timeout
    }

    /// Answers the whole requests at the start of `received`, as long as
    /// the queue is short.
    fn answer_ready(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        while self.lingering.is_none() && !conn.is_closing() {
            if conn.output_len() > MAX_QUEUED {
                // Answered again from `writable`, when the queue has gone.
                conn.pause_reading();
                return Ok(());
            }
            if !is_complete_head(&self.received) {
                if let Some((code, message)) = self.head_too_large() {
                    return self.fail(conn, code, &message);
                }
                return Ok(());
            }
            let mut reader = Cursor::new(&self.received[..]);
            let head = match read_head(&mut reader, &mut Vec::new()) {
                Ok(head) => head,
                // An empty request line: end without a word, as on a thread.
                Err(HeadError::Closed) => {
                    conn.close();
                    return Ok(());
                }
                Err(HeadError::Bad(code, message)) => return self.fail(conn, code, &message),
                Err(_) => return self.fail(conn, 400, "Bad request"),
            };
            let head_len = reader.position() as usize;
            // Only a small, counted body is read past; anything else
            // (chunked, too large, unparsable) is answered from the head
            // alone and the connection then closes, as on a thread.
            let body = match head.header("content-length").map(str::parse::<usize>) {
                Some(Ok(n))
                    if n <= MAX_DISCARDED_BODY && head.header("transfer-encoding").is_none() =>
                {
                    n
                }
                _ => 0,
            };
            let used = head_len + body;
            let out = conn.connection();
            let mut http = handler::Conn::new(&self.site, out, &self.client, Sink::collect());
            if self.received.len() < used {
                // The body is on its way; a client that waits for
                // `100 Continue` before sending it gets it now.
                if !self.continued && http.continue_if_expected(&head)? {
                    self.continued = true;
                    let parts = http.into_parts();
                    queue(conn, parts);
                }
                return Ok(());
            }
            http.set_continue_sent(std::mem::take(&mut self.continued));
            let mut reader = Cursor::new(&self.received[..used]);
            reader.set_position(head_len as u64);
            let next = http.respond(&head, &mut reader)?;
            let parts = http.into_parts();
            self.received.drain(..used);
            queue(conn, parts);
            match next {
                Next::KeepAlive => self.wait_for_request(conn),
                Next::Close if self.received.is_empty() => conn.close(),
                // Bytes after a request that closes: close gracefully, or
                // the kernel's reset could destroy the response.
                Next::Close | Next::CloseAndLinger => self.linger(conn),
            }
        }
        Ok(())
    }

    /// A head that cannot be whole: more bytes than any limit of
    /// `read_head` allows, so its error (414, 431) can be answered now.
    fn head_too_large(&self) -> Option<(u16, String)> {
        if self.received.len() <= MAX_LINE {
            return None;
        }
        match read_head(&mut Cursor::new(&self.received[..]), &mut Vec::new()) {
            Err(HeadError::Bad(code, message)) => Some((code, message)),
            // Cut short only by the end of what has arrived: wait for more.
            _ => None,
        }
    }

    /// Answers an error that ends the connection.
    fn fail(&mut self, conn: &mut Conn<'_>, code: u16, message: &str) -> io::Result<()> {
        let out = conn.connection();
        let mut http = handler::Conn::new(&self.site, out, &self.client, Sink::collect());
        http.error(None, code, message, Next::CloseAndLinger)?;
        let parts = http.into_parts();
        queue(conn, parts);
        self.linger(conn);
        Ok(())
    }

    /// The connection waits for its next request: it has the timeout to
    /// send a whole head, counted from when the last answer has gone.
    fn wait_for_request(&self, conn: &mut Conn<'_>) {
        if conn.output_len() == 0 {
            conn.set_timer(Some(self.timeout()));
        } else {
            conn.set_timer(None); // set again in `writable`
        }
    }

    /// Closes when the client may still be sending (a rejected body, a
    /// pipelined request): we stop writing, then read and drop what still
    /// comes for a moment. Closing a socket with unread bytes makes the
    /// kernel send a reset, and the client could lose our response with it.
    fn linger(&mut self, conn: &mut Conn<'_>) {
        self.lingering = Some(0);
        self.received = Vec::new();
        conn.shutdown_write();
        conn.set_timer(Some(LINGER));
    }
}

/// Puts the parts of the answers into the loop's queue, in order.
fn queue(conn: &mut Conn<'_>, parts: Vec<Part>) {
    for part in parts {
        match part {
            Part::Bytes(bytes) => conn.write(&bytes),
            Part::File { file, offset, len } => conn.write_file(file, offset, len),
        }
    }
}

impl Protocol for HttpProtocol {
    fn connected(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        self.client = handler::client_name(conn.client_address());
        // Answers follow one another on a kept-alive connection: none may
        // wait for the ACK of the one before (Nagle's algorithm).
        conn.connection().set_nodelay(true)?;
        self.slot = self.site.connections.try_enter();
        if self.slot.is_none() {
            let out = conn.connection();
            let mut http = handler::Conn::new(&self.site, out, &self.client, Sink::collect());
            http.reject_busy()?;
            let parts = http.into_parts();
            queue(conn, parts);
            self.linger(conn);
            return Ok(());
        }
        conn.set_timer(Some(self.timeout()));
        Ok(())
    }

    fn data_received(&mut self, conn: &mut Conn<'_>, data: &[u8]) -> io::Result<()> {
        if let Some(dropped) = &mut self.lingering {
            *dropped += data.len();
            if *dropped > LINGER_BYTES {
                conn.close();
            }
            return Ok(());
        }
        self.received.extend_from_slice(data);
        self.answer_ready(conn)
    }

    fn writable(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        if self.lingering.is_some() {
            return Ok(());
        }
        // The answers have gone: the next request's time starts now, and
        // requests held back meanwhile are answered.
        conn.set_timer(Some(self.timeout()));
        if !conn.is_reading() {
            conn.resume_reading();
        }
        self.answer_ready(conn)
    }

    fn eof_received(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        if self.lingering.is_none() && !self.received.is_empty() {
            // Half a request and then the end: answer what came, as a
            // thread's `read_head` does at end of input.
            let received = std::mem::take(&mut self.received);
            let mut reader = Cursor::new(&received[..]);
            if let Ok(head) = read_head(&mut reader, &mut Vec::new()) {
                let out = conn.connection();
                let mut http = handler::Conn::new(&self.site, out, &self.client, Sink::collect());
                if http.respond(&head, &mut reader).is_ok() {
                    let parts = http.into_parts();
                    queue(conn, parts);
                }
            }
        }
        conn.close();
        Ok(())
    }

    fn timed_out(&mut self, conn: &mut Conn<'_>, timeout: Timeout) -> io::Result<()> {
        // The server's idle timeout and the request's timer may come due
        // together: either way, half a request gets its 408.
        if self.lingering.is_some() {
            conn.close();
        } else if !self.received.is_empty() {
            // Half a request in all that time: say so, as a thread would.
            self.fail(conn, 408, "Request timed out")?;
        } else if timeout == Timeout::Timer {
            conn.close(); // an idle kept-alive connection
        }
        Ok(())
    }
}
