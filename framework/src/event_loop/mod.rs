//! The fourth server model: IO multiplexing (IO多路复用), an event loop.
//!
//! The other models give each client something that can wait: the loop
//! server makes everybody wait for the current client, the threading and
//! forking mix-ins give each client a thread or a process that blocks in
//! `read`. An event-loop server gives no one anything: **one thread waits
//! for all sockets at once** with `epoll` (lesson 09), and when one is
//! ready it does only what can be done without waiting, then goes back to
//! waiting. Ten thousand idle clients then cost ten thousand small table
//! entries, not ten thousand threads.
//!
//! Because nothing may wait, the handler cannot be a [`RequestHandler`]
//! that calls `read` and `write_all`. It is a [`Protocol`]: an object per
//! connection that the loop *calls* when bytes arrive
//! ([`Protocol::data_received`]), and that answers by queueing bytes
//! ([`Conn::write`]). The loop sends them when the socket can take them,
//! keeps a per-connection output limit, and applies the server's timeouts.
//! [`Lines`] turns a [`LineProtocol`] (whole lines in) into a `Protocol`;
//! an adapter that transforms what its inner protocol *writes* (TLS, in
//! the examples' `tls` module) calls it with [`Conn::capturing`].
//!
//! ```no_run
//! use std::io;
//! use framework::{Conn, EpollTcpServer, LineProtocol, Lines};
//!
//! /// Echoes every line back.
//! struct Echo;
//!
//! impl LineProtocol for Echo {
//!     fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
//!         conn.write(line);
//!         Ok(())
//!     }
//! }
//!
//! fn main() -> io::Result<()> {
//!     let server = EpollTcpServer::bind("127.0.0.1:9999", || Lines::new(Echo))?;
//!     server.shutdown_on_ctrl_c()?;
//!     server.serve_forever()
//! }
//! ```
//!
//! ## What the loop does that lesson 09's programs do not
//!
//! - **Write queues.** Lesson 09's echo writes with a blocking `write_all`:
//!   one client that stops reading stalls every client. Here a write never
//!   waits; what the socket does not take is queued and sent on `EPOLLOUT`,
//!   and a client whose queue passes the limit
//!   ([`EventLoopServer::set_max_output`]) is closed, costing others nothing.
//! - **Timeouts.** A heap of deadlines: idle and total time per connection,
//!   the `epoll_wait` timeout set to the nearest one.
//! - **Fairness.** At most a few reads per connection and a batch of
//!   accepts per turn, so one busy client cannot starve the rest.
//! - **Failure isolation.** A protocol that returns an error or panics is
//!   reported to `handle_error` and loses its own connection only.
//! - **The server life cycle** of the other models: `shutdown` wakes the
//!   loop at once, `verify_request`, `service_actions`, `server_close`.
//! - **Calls from other threads.** [`LoopHandle::call_soon_threadsafe`]
//!   queues a closure that the loop runs on its own thread (an `eventfd`
//!   in its `epoll` set wakes it): a server's terminal talking to clients.
//!
//! ## Why `nix`'s `epoll`, not `mio`
//!
//! The course teaches `select`, `poll` and `epoll` by name, and this
//! module is meant to be read after lesson 09: `nix` is a thin, safe
//! wrapper over the very system calls (`epoll_create1`, `epoll_ctl`,
//! `epoll_wait`), already used across the crate. `mio` would hide them
//! behind its own portable vocabulary (registries, tokens, interests) to
//! run on BSD and Windows too; this model is Linux-only instead, like the
//! `splice` and `TCP_CORK` the examples use.

mod calls;
mod capture;
mod conn;
mod inbox;
mod lines;
mod memory;
mod output;
mod protocol;
mod reactor;
mod server;
mod table;
mod timers;

pub use calls::{LoopConns, LoopHandle};
pub use capture::Captured;
pub use conn::Conn;
pub use lines::{DEFAULT_MAX_LINE, LineProtocol, Lines};
pub use memory::MemoryLoop;
pub use protocol::{CloseReason, Protocol, Timeout};
pub use server::EventLoopServer;
pub use table::ConnId;

#[allow(unused_imports)] // for the doc links above
use crate::RequestHandler;

use std::time::Duration;

/// Default output limit per connection (see [`EventLoopServer::set_max_output`]).
pub const DEFAULT_MAX_OUTPUT: usize = 4 * 1024 * 1024;

/// The event-loop server's settings.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) total_timeout: Option<Duration>,
    pub(crate) max_output: usize,
    pub(crate) max_connections: Option<usize>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            idle_timeout: None,
            total_timeout: None,
            max_output: DEFAULT_MAX_OUTPUT,
            max_connections: None,
        }
    }
}
