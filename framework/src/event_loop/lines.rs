//! Line protocols on the event loop: bytes in, whole lines out, like
//! Twisted's `LineReceiver`.

use std::io;

use super::{CloseReason, Conn, Protocol, Timeout};

/// Default longest line, as Twisted's `LineReceiver.MAX_LENGTH`.
pub const DEFAULT_MAX_LINE: usize = 16 * 1024;

/// A protocol that is handed whole lines. Wrap it in [`Lines`] to serve it.
///
/// ```
/// use std::io;
/// use framework::{Conn, EpollTcpServer, LineProtocol, Lines};
///
/// /// Answers every line in capitals.
/// struct Shout;
///
/// impl LineProtocol for Shout {
///     fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
///         conn.write(&line.to_ascii_uppercase());
///         Ok(())
///     }
/// }
///
/// # fn main() -> io::Result<()> {
/// let server = EpollTcpServer::bind("127.0.0.1:0", || Lines::new(Shout))?;
/// # Ok(())
/// # }
/// ```
pub trait LineProtocol: Send + 'static {
    /// See [`Protocol::connected`].
    fn connected(&mut self, _conn: &mut Conn<'_>) -> io::Result<()> {
        Ok(())
    }

    /// One whole line, with its `\n` (and `\r` if the client sent one), as
    /// `read_until(b'\n')` returns it. Only the last line before the
    /// client's end of file may lack the `\n`.
    fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()>;

    /// The client sent more than the longest line without a `\n`
    /// (Twisted's `lineLengthExceeded`). Default: close the connection.
    fn line_too_long(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        conn.close();
        Ok(())
    }

    /// See [`Protocol::eof_received`]; called after the last line.
    fn eof_received(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        conn.close();
        Ok(())
    }

    /// See [`Protocol::writable`].
    fn writable(&mut self, _conn: &mut Conn<'_>) -> io::Result<()> {
        Ok(())
    }

    /// See [`Protocol::timed_out`].
    fn timed_out(&mut self, _conn: &mut Conn<'_>, _timeout: Timeout) -> io::Result<()> {
        Ok(())
    }

    /// See [`Protocol::closed`].
    fn closed(&mut self, _conn: &mut Conn<'_>, _reason: &CloseReason) {}
}

/// Turns a [`LineProtocol`] into a [`Protocol`]: keeps the bytes of an
/// unfinished line until its `\n` arrives (the framing of lesson 04).
pub struct Lines<L> {
    inner: L,
    /// The start of a line whose end has not arrived.
    partial: Vec<u8>,
    max_line: usize,
    /// A line was too long: its bytes are skipped up to its `\n`.
    skipping: bool,
}

impl<L: LineProtocol> Lines<L> {
    /// Lines of at most [`DEFAULT_MAX_LINE`] bytes.
    pub fn new(inner: L) -> Lines<L> {
        Lines::with_max_line(inner, DEFAULT_MAX_LINE)
    }

    /// Lines of at most `max_line` bytes, the `\n` included.
    pub fn with_max_line(inner: L, max_line: usize) -> Lines<L> {
        Lines {
            inner,
            partial: Vec::new(),
            max_line,
            skipping: false,
        }
    }

    /// The line protocol inside.
    pub fn get_ref(&self) -> &L {
        &self.inner
    }

    /// A line passed the limit: tell the protocol, and skip the line's
    /// bytes up to its end (whatever the protocol does with the connection).
    fn too_long(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        self.skipping = true;
        self.partial = Vec::new();
        self.inner.line_too_long(conn)
    }
}

impl<L: LineProtocol> Protocol for Lines<L> {
    fn connected(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        self.inner.connected(conn)
    }

    fn data_received(&mut self, conn: &mut Conn<'_>, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() && !conn.is_closing() {
            let Some(end) = data.iter().position(|&b| b == b'\n') else {
                if !self.skipping {
                    if self.partial.len() + data.len() > self.max_line {
                        self.too_long(conn)?;
                    } else {
                        self.partial.extend_from_slice(data);
                    }
                }
                return Ok(());
            };
            let (line, rest) = data.split_at(end + 1);
            data = rest;
            if self.skipping {
                self.skipping = false;
                continue;
            }
            if self.partial.len() + line.len() > self.max_line {
                self.too_long(conn)?;
                self.skipping = false; // this read held the line's end
                continue;
            }
            if self.partial.is_empty() {
                // The common case: the whole line is in this read, no copy.
                self.inner.line_received(conn, line)?;
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.inner.line_received(conn, &whole)?;
            }
        }
        Ok(())
    }

    fn eof_received(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        if !self.partial.is_empty() {
            let last = std::mem::take(&mut self.partial);
            self.inner.line_received(conn, &last)?;
        }
        self.inner.eof_received(conn)
    }

    fn writable(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        self.inner.writable(conn)
    }

    fn timed_out(&mut self, conn: &mut Conn<'_>, timeout: Timeout) -> io::Result<()> {
        self.inner.timed_out(conn, timeout)
    }

    fn closed(&mut self, conn: &mut Conn<'_>, reason: &CloseReason) {
        self.inner.closed(conn, reason)
    }
}
