//! Reaching the loop from another thread: asyncio's `call_soon_threadsafe`.
//!
//! Everything an event loop serves belongs to its one thread: a protocol
//! writes to the others with [`Conn::write_to`] only because the loop is
//! calling it. A thread outside the loop (a server's terminal, a timer)
//! must not touch the connections itself. It *asks* the loop instead: it
//! queues a closure in the loop's queue of calls and wakes the loop through an `eventfd`
//! that sits in the loop's `epoll` set beside the sockets. On its next turn
//! the loop runs the closure on its own thread, like any callback.
//!
//! ```text
//!   other thread                      loop thread
//!   handle.call_soon_threadsafe(f)
//!     calls.push(f)
//!     eventfd += 1   ───epoll_wait───> calls ready: f(&mut LoopConns)
//! ```

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Weak};

use nix::sys::eventfd::{EfdFlags, EventFd};
use parking_lot::Mutex;

use crate::handler::panic_message;

use super::Conn;
use super::table::{ConnId, Table};

/// A closure waiting for the loop.
type Call = Box<dyn FnOnce(&mut LoopConns<'_>) + Send>;

/// Closures queued for one loop, and the `eventfd` that wakes it.
pub(crate) struct Calls {
    calls: Mutex<Vec<Call>>,
    wake: EventFd,
}

impl Calls {
    pub(crate) fn new() -> io::Result<Arc<Calls>> {
        // Non-blocking: `run` reads it until it is empty, never waits.
        let wake = EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)?;
        Ok(Arc::new(Calls {
            calls: Mutex::new(Vec::new()),
            wake,
        }))
    }

    /// What the loop registers with `epoll`.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.wake.as_fd()
    }

    /// Runs (on the loop's thread) every closure queued so far, in order.
    /// A closure that panics is reported on stderr; the loop goes on.
    pub(crate) fn run(&self, table: &mut Table) {
        // Reset the counter first: a call queued meanwhile wakes us again.
        let _ = self.wake.read();
        let calls = std::mem::take(&mut *self.calls.lock());
        for call in calls {
            let mut conns = LoopConns::new(table);
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| call(&mut conns))) {
                eprintln!(
                    "event loop: a call from another thread panicked: {}",
                    panic_message(payload.as_ref())
                );
            }
        }
    }
}

/// A handle to run code on an event loop's thread from any other thread
/// (from [`EventLoopServer::loop_handle`](super::EventLoopServer::loop_handle)).
/// Cloneable and cheap; it does not keep the server alive.
///
/// ```
/// use std::io::{self, BufRead, BufReader};
/// use std::net::TcpStream;
/// use std::sync::Arc;
/// use std::sync::mpsc;
/// use framework::{Conn, EpollTcpServer, Protocol};
///
/// /// Tells a channel which connection arrived; ignores what it sends.
/// struct Report(mpsc::Sender<framework::ConnId>);
/// impl Protocol for Report {
///     fn connected(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
///         let _ = self.0.send(conn.id());
///         Ok(())
///     }
///     fn data_received(&mut self, _: &mut Conn<'_>, _: &[u8]) -> io::Result<()> {
///         Ok(())
///     }
/// }
///
/// # fn main() -> io::Result<()> {
/// let (tx, rx) = mpsc::channel();
/// let tx = std::sync::Mutex::new(tx);
/// let server = Arc::new(EpollTcpServer::bind("127.0.0.1:0", move || {
///     Report(tx.lock().unwrap().clone())
/// })?);
/// let looping = Arc::clone(&server);
/// let thread = std::thread::spawn(move || looping.serve_forever());
///
/// let client = TcpStream::connect(server.server_address().inet().unwrap())?;
/// let id = rx.recv().unwrap();
/// // From this thread, not the loop's: the loop writes it when it can.
/// server.loop_handle().call_soon_threadsafe(move |conns| {
///     conns.write_to(id, b"hello from another thread\n");
/// });
/// let mut line = String::new();
/// BufReader::new(client).read_line(&mut line)?;
/// assert_eq!(line, "hello from another thread\n");
///
/// server.shutdown();
/// thread.join().unwrap()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct LoopHandle {
    calls: Weak<Calls>,
}

impl LoopHandle {
    pub(crate) fn new(calls: &Arc<Calls>) -> LoopHandle {
        LoopHandle {
            calls: Arc::downgrade(calls),
        }
    }

    /// A handle on a queue known only weakly (a connection's table).
    pub(crate) fn from_weak(calls: Weak<Calls>) -> LoopHandle {
        LoopHandle { calls }
    }

    /// Queues `call` to run on the loop's thread at its next turn and
    /// wakes the loop; never waits. Calls run in the order they were
    /// queued, between the loop's other callbacks, so they may use
    /// [`LoopConns`] freely. Returns `false` (and drops `call`) if the
    /// server is gone. A call queued while `serve_forever` is not running
    /// waits for the next turn (`serve_forever` or `handle_request`).
    pub fn call_soon_threadsafe(
        &self,
        call: impl FnOnce(&mut LoopConns<'_>) + Send + 'static,
    ) -> bool {
        let Some(inbox) = self.calls.upgrade() else {
            return false;
        };
        inbox.calls.lock().push(Box::new(call));
        // A full counter (2^64 - 2 wake-ups pending) cannot happen; an
        // error would only mean that a wake-up is already pending.
        let _ = inbox.wake.write(1);
        true
    }
}

/// The loop's connections, as a call from another thread reaches them:
/// the cross-connection half of [`Conn`] (a call has no connection of its own).
pub struct LoopConns<'a> {
    conn: Conn<'a>,
}

impl<'a> LoopConns<'a> {
    fn new(table: &'a mut Table) -> LoopConns<'a> {
        // An id that names no connection: `Conn`'s methods about "this
        // connection" are never called through `LoopConns`.
        let nobody = ConnId {
            index: u32::MAX,
            generation: u32::MAX,
            reactor: u16::MAX,
        };
        LoopConns {
            conn: Conn::new(nobody, table),
        }
    }

    /// See [`Conn::write_to`].
    pub fn write_to(&mut self, id: ConnId, data: &[u8]) -> bool {
        self.conn.write_to(id, data)
    }

    /// See [`Conn::close_other`].
    pub fn close_other(&mut self, id: ConnId) -> bool {
        self.conn.close_other(id)
    }

    /// See [`Conn::set_reading`].
    pub fn set_reading(&mut self, id: ConnId, reading: bool) -> bool {
        self.conn.set_reading(id, reading)
    }

    /// See [`Conn::output_len_of`].
    pub fn output_len_of(&self, id: ConnId) -> Option<usize> {
        self.conn.output_len_of(id)
    }
}
