//! Driving protocols with no event loop and no wire: bytes in, bytes out,
//! all in memory, for tests and fuzzers.
//!
//! A [`Protocol`](super::Protocol) only ever sees its [`Conn`]; it cannot
//! tell whether a loop is behind it. A [`MemoryLoop`] holds connections as
//! the loop's table does, hands out their `Conn`s, and keeps what the
//! protocols write (file ranges included) until the caller takes it. The
//! caller plays the loop: it calls `data_received` with any split of the
//! bytes it likes, `eof_received`, `timed_out`, `writable` after taking
//! the output, and `closed` at the end.
//!
//! ```
//! use framework::{Conn, LineProtocol, Lines, MemoryLoop, Protocol};
//! use std::io;
//!
//! struct Echo;
//! impl LineProtocol for Echo {
//!     fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
//!         conn.write(line);
//!         Ok(())
//!     }
//! }
//!
//! let mut memory = MemoryLoop::new();
//! let id = memory.open().unwrap();
//! let mut echo = Lines::new(Echo);
//! echo.data_received(&mut memory.conn(id), b"he").unwrap();
//! echo.data_received(&mut memory.conn(id), b"llo\n").unwrap();
//! assert_eq!(memory.take_output(id), b"hello\n");
//! ```
//!
//! Each connection still owns a socket, one end of a Unix socket pair that
//! nothing reads or writes: a protocol may set options on
//! [`Conn::connection`] (`TCP_NODELAY`, buffer sizes) as it does on a real
//! loop. No byte goes through it.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::net::UnixStream;
use std::time::Instant;

use crate::{Address, Connection};

use super::Conn;
use super::table::{ConnId, Ending, State, Table};

/// Connections without a loop: their protocols' output stays in memory.
/// See the [module documentation](self).
#[derive(Debug)]
pub struct MemoryLoop {
    table: Table,
    opened: u16,
}

impl Default for MemoryLoop {
    fn default() -> Self {
        MemoryLoop::new()
    }
}

impl MemoryLoop {
    /// No connections yet.
    pub fn new() -> MemoryLoop {
        MemoryLoop {
            table: Table::new(0),
            opened: 0,
        }
    }

    /// A new connection, from client `127.0.0.1:40000 + n` for the n-th
    /// one. Call the protocol's `connected` with [`conn`](Self::conn) next.
    pub fn open(&mut self) -> io::Result<ConnId> {
        let (ours, _theirs) = UnixStream::pair()?;
        let port = 40000u16.wrapping_add(self.opened);
        self.opened = self.opened.wrapping_add(1);
        Ok(self.table.insert(State::new(
            Connection::Unix(ours),
            Address::Inet(SocketAddr::from((Ipv4Addr::LOCALHOST, port))),
            Instant::now(),
        )))
    }

    /// The `Conn` to call connection `id`'s protocol with.
    ///
    /// # Panics
    /// If `id` is not open here (never opened, or removed).
    pub fn conn(&mut self, id: ConnId) -> Conn<'_> {
        assert!(self.table.get(id).is_some(), "{id:?} is not open");
        // The loop settles touched connections after each call; here
        // there is nothing to settle, so the notes are simply dropped.
        for index in std::mem::take(&mut self.table.dirty) {
            if let Some(state) = self.table.id_at(index).and_then(|i| self.table.get_mut(i)) {
                state.dirty = false;
            }
        }
        self.table.timer_set.clear();
        Conn::new(id, &mut self.table)
    }

    /// Takes what waits to be sent to `id`, as the client would read it
    /// (file ranges read from their files). Empty if `id` is not open.
    pub fn take_output(&mut self, id: ConnId) -> Vec<u8> {
        self.table
            .get_mut(id)
            .map(|state| state.output.take_all())
            .unwrap_or_default()
    }

    /// Bytes waiting to be sent to `id`.
    pub fn output_len(&self, id: ConnId) -> usize {
        self.table.get(id).map_or(0, |state| state.output.len())
    }

    /// Whether `id`'s protocol closed or aborted it (a loop would read
    /// nothing more from it).
    pub fn is_closing(&self, id: ConnId) -> bool {
        self.table
            .get(id)
            .is_none_or(|state| state.ending != Ending::No)
    }

    /// Whether `id`'s protocol asked to end the sending side
    /// ([`Conn::shutdown_write`]): it still reads, and writes nothing more.
    pub fn is_write_shut(&self, id: ConnId) -> bool {
        self.table.get(id).is_some_and(|state| state.shutdown_write)
    }

    /// Whether `id` is read from (its protocol has not paused reading).
    pub fn is_reading(&self, id: ConnId) -> bool {
        self.table.get(id).is_some_and(|state| state.reading)
    }

    /// The deadline `id`'s protocol set with [`Conn::set_timer`], if any.
    pub fn timer(&self, id: ConnId) -> Option<Instant> {
        self.table.get(id).and_then(|state| state.timer)
    }

    /// Forgets connection `id` (after its protocol's `closed`): its
    /// output is dropped and [`Conn::write_to`] it returns `false`.
    pub fn remove(&mut self, id: ConnId) {
        self.table.remove(id);
    }
}
