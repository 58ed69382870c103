//! Running an inner protocol with its output captured: the hook that lets
//! an adapter *transform* what a protocol writes, without the loop knowing.
//!
//! An adapter such as [`Lines`](super::Lines) changes only what a protocol
//! is *told* (whole lines instead of chunks); it hands the inner protocol
//! the real [`Conn`], so the inner protocol's writes are the bytes on the
//! wire. An adapter that changes what goes *out* (TLS encrypts it; a
//! compressor would compress it) must see those bytes first. For that it
//! calls the inner protocol with [`Conn::capturing`]: a `Conn` that is the
//! same connection in every way (its id, address, socket, `write_to` other
//! connections, `abort`, pausing), except that
//!
//! - writes to *this* connection are kept in a [`Captured`] buffer, and
//! - [`Conn::close`] is only noted there ([`Captured::take_close_request`]),
//!
//! so that after the call the adapter can transform the bytes, write the
//! result with the real `Conn`, add what must come last (a TLS
//! `close_notify`) and then close. The loop itself stays a mover of bytes.
//! [`Captured`] shows an adapter that does it.

use super::Conn;
use super::table::Ending;

/// What an inner protocol wrote to its own connection, and whether it asked
/// to close, while it ran with a [`Conn::capturing`] connection.
///
/// ```
/// use std::io;
/// use framework::{Captured, Conn, Protocol};
///
/// /// Sends everything the inner protocol writes in capitals.
/// struct Shouting<P> {
///     inner: P,
///     captured: Captured,
/// }
///
/// impl<P: Protocol> Protocol for Shouting<P> {
///     fn data_received(&mut self, conn: &mut Conn<'_>, data: &[u8]) -> io::Result<()> {
///         self.inner.data_received(&mut conn.capturing(&mut self.captured), data)?;
///         conn.write(&self.captured.take().to_ascii_uppercase());
///         if self.captured.take_close_request() {
///             conn.close();
///         }
///         Ok(())
///     }
/// }
/// ```
///
/// (A real adapter forwards every other `Protocol` method the same way.)
#[derive(Debug, Default)]
pub struct Captured {
    bytes: Vec<u8>,
    pub(super) close_requested: bool,
}

impl Captured {
    /// Nothing captured yet.
    pub fn new() -> Captured {
        Captured::default()
    }

    /// Bytes captured and not yet taken.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether no bytes wait to be taken.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Takes the captured bytes, oldest first, leaving the buffer empty
    /// (and its memory released: an idle connection keeps none).
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }

    /// Whether the inner protocol called [`Conn::close`]; clears the note.
    pub fn take_close_request(&mut self) -> bool {
        std::mem::take(&mut self.close_requested)
    }
}

impl Conn<'_> {
    /// This connection, with its own writes and `close` kept in `captured`
    /// instead of reaching the loop: for an adapter that transforms what
    /// its inner protocol writes (TLS encrypts it) to call the inner
    /// protocol with. After the call, the adapter takes the bytes
    /// ([`Captured::take`]), writes what it made of them with the real
    /// `Conn`, and closes if the inner protocol asked to
    /// ([`Captured::take_close_request`]). Everything else (the id, the
    /// address, `write_to` other connections, `abort`, pausing) is the
    /// real connection's.
    ///
    /// While the inner protocol runs, [`output_len`](Conn::output_len)
    /// counts the captured bytes too, and [`is_closing`](Conn::is_closing)
    /// is true once it asked to close, so that it behaves as it would on a
    /// plain connection.
    pub fn capturing<'b>(&'b mut self, captured: &'b mut Captured) -> Conn<'b> {
        Conn {
            id: self.id,
            table: &mut *self.table,
            capture: Some(captured),
        }
    }

    /// Whether this connection's writes are being captured by an adapter
    /// (TLS, for one). A protocol with a path that bypasses
    /// [`Conn::write`] (sending a file straight from the kernel, say) must
    /// write the bytes instead when this is true, or the adapter never sees them.
    pub fn is_capturing(&self) -> bool {
        self.capture.is_some()
    }

    /// `close` of this connection while capturing: only noted.
    pub(super) fn capture_close(&mut self) -> bool {
        match self.capture.as_deref_mut() {
            Some(captured) => {
                captured.close_requested = true;
                true
            }
            None => false,
        }
    }

    /// `write_file` while capturing: the adapter must see the bytes, so
    /// the range is read (in parts) and captured. A file that shrank
    /// sends what there was; the protocol's `Content-Length` then tells
    /// the client the answer is short, as `sendfile` failing would.
    pub(super) fn capture_file(&mut self, file: &std::fs::File, offset: u64, len: u64) {
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0u8; len.min(256 * 1024) as usize];
        let (mut at, end) = (offset, offset + len);
        while at < end {
            let want = (end - at).min(buf.len() as u64) as usize;
            match file.read_at(&mut buf[..want], at) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    self.capture_write(&buf[..n]);
                    at += n as u64;
                }
            }
        }
    }

    /// A write to this connection while capturing. Ignored, as on a plain
    /// connection, once it is closing (or the inner protocol asked to close).
    pub(super) fn capture_write(&mut self, data: &[u8]) -> bool {
        if self.state().ending != Ending::No {
            return false;
        }
        match self.capture.as_deref_mut() {
            Some(captured) if !captured.close_requested => {
                captured.bytes.extend_from_slice(data);
                true
            }
            _ => false,
        }
    }
}
