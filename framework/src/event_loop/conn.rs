//! What a protocol holds while the loop calls it: its connection, and a
//! way to reach the other connections of the same loop.

use std::fs::File;
use std::time::{Duration, Instant};

use crate::{Address, Connection};

use super::calls::LoopHandle;
use super::capture::Captured;
use super::table::{ConnId, Ending, Table};

/// A protocol's view of its connection during one call (asyncio's
/// `transport`). Writes are queued and sent by the loop as soon as the
/// call returns, and later whenever the socket can take more; nothing here waits.
pub struct Conn<'a> {
    pub(super) id: ConnId,
    pub(super) table: &'a mut Table,
    /// Set while an adapter runs an inner protocol: this connection's own
    /// writes and `close` land here instead (see [`Conn::capturing`]).
    pub(super) capture: Option<&'a mut Captured>,
}

impl<'a> Conn<'a> {
    pub(crate) fn new(id: ConnId, table: &'a mut Table) -> Conn<'a> {
        Conn {
            id,
            table,
            capture: None,
        }
    }

    /// This connection's id, to keep (e.g. in a chat room's member list)
    /// and write to from another connection's protocol.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// A handle to the loop that serves this connection, for a thread this
    /// protocol hands work to: the thread queues what the connection
    /// should do next with [`LoopHandle::call_soon_threadsafe`], and it
    /// runs on this loop, where [`LoopConns`](super::LoopConns) reaches
    /// this connection (by [`id`](Self::id)). With several loops, each
    /// connection's handle reaches its own loop; the server's
    /// [`loop_handle`](super::EventLoopServer::loop_handle) reaches the
    /// first only. Where no loop runs calls (a
    /// [`MemoryLoop`](super::MemoryLoop)), its calls return `false`.
    pub fn loop_handle(&self) -> LoopHandle {
        LoopHandle::from_weak(self.table.calls.clone())
    }

    /// The client's address.
    pub fn client_address(&self) -> &Address {
        &self.state().client
    }

    /// The socket, for options such as `set_nodelay`. Do not read or write
    /// it directly: the loop does that.
    pub fn connection(&self) -> &Connection {
        &self.state().socket
    }

    /// Queues `data` to be sent to this client. Does nothing once the
    /// connection is closing. If the client does not read and the queue
    /// passes the server's output limit, the connection is closed.
    pub fn write(&mut self, data: &[u8]) {
        self.write_to(self.id, data);
    }

    /// Queues `len` bytes of `file` from `offset`, after what is queued:
    /// the loop sends them with `sendfile(2)`, from the page cache to the
    /// socket, as the socket takes them. They do not count against the
    /// output limit (they are not in memory). Does nothing once closing.
    ///
    /// On a capturing `Conn` (an adapter such as TLS must see the bytes)
    /// the range is read and written as bytes instead.
    pub fn write_file(&mut self, file: File, offset: u64, len: u64) {
        if self.capture.is_some() {
            return self.capture_file(&file, offset, len);
        }
        let Some(state) = self.table.get_mut(self.id) else {
            return;
        };
        if state.ending == Ending::No && !state.shutdown_write {
            state.output.push_file(file, offset, len);
            self.table.touch(self.id);
        }
    }

    /// Queues `data` for another connection of this loop. Returns `false`
    /// if that connection has closed (or is closing, or belongs to another loop).
    pub fn write_to(&mut self, other: ConnId, data: &[u8]) -> bool {
        if other == self.id && self.capture.is_some() {
            return self.capture_write(data);
        }
        let Some(state) = self.table.get_mut(other) else {
            return false;
        };
        if state.ending != Ending::No || state.shutdown_write {
            return false;
        }
        state.output.push(data);
        self.table.touch(other);
        true
    }

    /// Sends what is queued, then closes (`close()` in asyncio). Nothing
    /// more is read, and the protocol's `closed` follows.
    pub fn close(&mut self) {
        self.close_other(self.id);
    }

    /// Closes another connection of this loop gracefully, as [`close`](Self::close).
    pub fn close_other(&mut self, other: ConnId) -> bool {
        if other == self.id && self.capture.is_some() {
            return self.capture_close();
        }
        self.end(other, Ending::Graceful)
    }

    /// Closes at once, dropping what is queued (`abort()` in asyncio).
    pub fn abort(&mut self) {
        self.end(self.id, Ending::Now);
    }

    /// Ends our sending side once the queue is sent (`shutdown(SHUT_WR)`:
    /// the client reads end-of-file) while still reading what the client
    /// sends: a "lingering close", so that bytes the client is still
    /// sending do not make the kernel reset the connection and destroy the
    /// answer on its way. The protocol closes when it has read enough
    /// (typically in `eof_received`). Later writes are ignored.
    ///
    /// On a capturing `Conn` this is a close request: the adapter ends its
    /// own way (TLS sends `close_notify` first).
    pub fn shutdown_write(&mut self) {
        if self.capture.is_some() {
            self.capture_close();
            return;
        }
        if let Some(state) = self.table.get_mut(self.id) {
            state.shutdown_write = true;
            self.table.touch(self.id);
        }
    }

    /// Calls this protocol's `timed_out` with [`Timeout::Timer`](super::Timeout::Timer)
    /// after `after` (e.g. the time a client has to send a whole request);
    /// `None` cancels it. A new call replaces the previous deadline.
    pub fn set_timer(&mut self, after: Option<Duration>) {
        if let Some(state) = self.table.get_mut(self.id) {
            state.timer = after.map(|after| Instant::now() + after);
            if state.timer.is_some() {
                self.table.timer_set.push(self.id);
            }
        }
    }

    /// Stops reading from this client until [`resume_reading`](Self::resume_reading):
    /// what it sends waits in the kernel, and when that fills up, TCP makes
    /// the client wait (flow control, asyncio's `pause_reading`).
    pub fn pause_reading(&mut self) {
        self.set_reading(self.id, false);
    }

    /// Reads from this client again.
    pub fn resume_reading(&mut self) {
        self.set_reading(self.id, true);
    }

    /// Pauses or resumes reading from another connection of this loop
    /// (a chat room slowing a talker down while others catch up).
    pub fn set_reading(&mut self, other: ConnId, reading: bool) -> bool {
        let Some(state) = self.table.get_mut(other) else {
            return false;
        };
        state.reading = reading;
        self.table.touch(other);
        true
    }

    /// Whether this connection is read from (not paused).
    pub fn is_reading(&self) -> bool {
        self.state().reading
    }

    /// Bytes queued for this client and not yet taken by its socket.
    pub fn output_len(&self) -> usize {
        let captured = self.capture.as_deref().map_or(0, Captured::len);
        self.state().output.len() + captured
    }

    /// Bytes queued for another connection; `None` if it has closed.
    pub fn output_len_of(&self, other: ConnId) -> Option<usize> {
        self.table.get(other).map(|state| state.output.len())
    }

    /// Whether the connection is closing or closed (writes are ignored).
    pub fn is_closing(&self) -> bool {
        let close_requested = self.capture.as_deref().is_some_and(|c| c.close_requested);
        close_requested || self.state().ending != Ending::No
    }

    fn end(&mut self, id: ConnId, how: Ending) -> bool {
        let Some(state) = self.table.get_mut(id) else {
            return false;
        };
        match (state.ending, how) {
            (Ending::Done, _) | (Ending::Now, _) => return false,
            (_, Ending::Now) => {
                state.output.clear();
                state.ending = Ending::Now;
            }
            (Ending::No, _) => state.ending = Ending::Graceful,
            (Ending::Graceful, _) => return true,
        }
        self.table.touch(id);
        true
    }

    pub(super) fn state(&self) -> &super::table::State {
        self.table
            .get(self.id)
            .expect("a protocol is only called while its connection is in the table")
    }
}
