//! How rustls's outgoing records reach the connection's queue.
//!
//! rustls writes records to any `io::Write` (`write_tls`). The event
//! loop's [`Conn::write`] never refuses and never waits (it queues), so an
//! `io::Write` over a `Conn` takes every byte at once: one call of
//! `write_tls` moves everything rustls has ready.

use std::io::{self, IoSlice};

use framework::Conn;
use rustls::ServerConnection;

/// An `io::Write` that queues on a [`Conn`].
struct ToConn<'c, 'a>(&'c mut Conn<'a>);

impl io::Write for ToConn<'_, '_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.write(data);
        Ok(data.len())
    }

    /// rustls hands several records at once; queue them all.
    fn write_vectored(&mut self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut total = 0;
        for slice in slices {
            self.0.write(slice);
            total += slice.len();
        }
        Ok(total)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Queues every record rustls wants to send (handshake messages, alerts,
/// encrypted data) on `conn`.
pub(crate) fn send_records(session: &mut ServerConnection, conn: &mut Conn<'_>) -> io::Result<()> {
    while session.wants_write() {
        if session.write_tls(&mut ToConn(conn))? == 0 {
            break;
        }
    }
    Ok(())
}
