//! The chat room over TCP lines, for plain `nc 127.0.0.1 8888`, on the
//! framework's event loop: one thread serves every member.
//!
//! An [`EpollTcpServer`] makes a [`ChatConn`] per connection; each is a thin
//! shim that hands what happened (bytes in, end of input, queue drained,
//! closed) to the one [`Room`] they share. The loop calls them one at a
//! time on its thread, so the room needs no locking discipline beyond the
//! uncontended mutex that makes it shareable. What UDP did not need:
//!
//! - **backpressure**: a member's socket takes what it can; the rest waits
//!   in the member's queue in the loop, and the burst policy of
//!   [`tcp_room`](super::tcp_room) decides who waits and who is cut off;
//! - **framing**: TCP is a byte stream, so a message is a line with a
//!   maximum length ([`tcp_input`](super::tcp_input));
//! - **other threads**: the server's terminal and a 50 ms timer reach the
//!   room through [`LoopHandle::call_soon_threadsafe`], which runs their
//!   code on the loop's thread.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use framework::{
    CloseReason, Conn, EpollTcpServer, LoopHandle, Protocol, ServerHandle, ServerOptions,
};
use parking_lot::Mutex;

use super::Settings;
use super::protocol::Departure;
use super::tcp_room::Room;

pub use super::tcp_room::NAME_PROMPT;

/// What the kernel may hold for one member on top of its queue: a small
/// send buffer keeps "not reading" from hiding behind megabytes of buffer.
const SEND_BUFFER: usize = 64 * 1024;

/// How often the room looks at who made progress (see `tcp_room.rs`).
const TICK: Duration = Duration::from_millis(50);

/// How long the goodbye at shutdown may take before connections are dropped.
const GOODBYE: Duration = Duration::from_secs(5);

/// The room, shared by every connection's protocol and the other threads'
/// calls (all of which run on the loop's thread).
pub struct TcpRoom {
    state: Mutex<Room>,
}

impl TcpRoom {
    /// The names of the members, in the order they joined.
    pub fn names(&self) -> Vec<String> {
        self.state.lock().names()
    }
}

/// One connection's protocol: passes every event to the room.
pub struct ChatConn {
    room: Arc<TcpRoom>,
}

impl Protocol for ChatConn {
    fn connected(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        // Lines are small and must go out at once.
        conn.connection().set_nodelay(true)?;
        socket2::SockRef::from(conn.connection()).set_send_buffer_size(SEND_BUFFER)?;
        let client = conn.client_address().clone();
        let id = conn.id();
        self.room.state.lock().arrive(conn, id, client);
        Ok(())
    }

    fn data_received(&mut self, conn: &mut Conn<'_>, data: &[u8]) -> io::Result<()> {
        let id = conn.id();
        self.room.state.lock().received(conn, id, data);
        Ok(())
    }

    fn eof_received(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        let id = conn.id();
        self.room.state.lock().end_of_input(conn, id);
        Ok(())
    }

    fn writable(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        let id = conn.id();
        self.room.state.lock().drained(conn, id);
        Ok(())
    }

    fn closed(&mut self, conn: &mut Conn<'_>, reason: &CloseReason) {
        let why = match reason {
            CloseReason::ServerClosed => None,
            CloseReason::PeerClosed => Some(Departure::Quit),
            CloseReason::OutputLimit | CloseReason::TimedOut(_) => Some(Departure::TooSlow),
            _ => Some(Departure::ConnectionLost),
        };
        let id = conn.id();
        self.room.state.lock().closed(conn, id, why);
    }
}

/// The factory type: a boxed closure, so that the server's type can be named.
type Factory = Box<dyn Fn() -> ChatConn + Send + Sync>;

/// A bound TCP chat server and its room.
pub struct TcpChat {
    server: EpollTcpServer<ChatConn, Factory>,
    room: Arc<TcpRoom>,
}

impl TcpChat {
    /// Binds and listens (with `SO_REUSEADDR`, so a restart finds its port free).
    pub fn bind(address: impl ToSocketAddrs, settings: Settings) -> io::Result<TcpChat> {
        let queue = settings.queue;
        let room = Arc::new(TcpRoom {
            state: Mutex::new(Room::new(settings)),
        });
        let for_conns = Arc::clone(&room);
        let factory: Factory = Box::new(move || ChatConn {
            room: Arc::clone(&for_conns),
        });
        let mut server =
            EpollTcpServer::bind_with(address, &ServerOptions::reuse_address(), factory)?;
        // The room cuts a member off at `queue` bytes itself, with a notice;
        // the loop's own limit is only a backstop above it.
        server.set_max_output(queue + 1024 * 1024);
        // The turns of the goodbye at shutdown wait at most this long each.
        server.set_timeout(Some(TICK));
        Ok(TcpChat { server, room })
    }

    /// Where the server listens (port 0 has become the real port).
    pub fn server_address(&self) -> SocketAddr {
        self.server
            .server_address()
            .inet()
            .expect("a TCP server has an internet address")
    }

    /// The room.
    pub fn room(&self) -> &Arc<TcpRoom> {
        &self.room
    }

    /// A function that any thread may call to send a line to every member
    /// as `admin` (the server's terminal); it runs on the loop's thread.
    pub fn admin(&self) -> impl Fn(&str) + Send + 'static {
        let handle = self.server.loop_handle();
        let room = Arc::clone(&self.room);
        move |text: &str| {
            let (room, text) = (Arc::clone(&room), text.to_string());
            handle.call_soon_threadsafe(move |conns| room.state.lock().admin_says(conns, &text));
        }
    }

    /// A handle to stop `serve_forever` from another thread.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Makes Ctrl+C stop `serve_forever`.
    pub fn shutdown_on_ctrl_c(&self) -> io::Result<()> {
        self.server.shutdown_on_ctrl_c()
    }

    /// Serves until shut down, then says goodbye to every member (a notice
    /// and `EXIT`) and closes every connection, within 5 s.
    pub fn serve_forever(&self) -> io::Result<()> {
        let ticker = Ticker::start(self.server.loop_handle(), Arc::clone(&self.room));
        let result = self.server.serve_forever();
        ticker.stop();
        self.say_goodbye();
        result
    }

    /// The loop has stopped: queues the goodbye and turns the loop by hand
    /// until every connection has closed or the time is up.
    fn say_goodbye(&self) {
        let room = Arc::clone(&self.room);
        self.server
            .loop_handle()
            .call_soon_threadsafe(move |conns| room.state.lock().close(conns));
        let deadline = Instant::now() + GOODBYE;
        while self.server.connection_count() > 0 && Instant::now() < deadline {
            if self.server.handle_request().is_err() {
                break;
            }
        }
    }
}

/// The room's clock: a thread that queues `Room::tick` on the loop every
/// [`TICK`] (the loop has no timers for protocols of its own).
struct Ticker {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Ticker {
    fn start(handle: LoopHandle, room: Arc<TcpRoom>) -> Ticker {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            while !stopping.load(Ordering::Acquire) {
                thread::sleep(TICK);
                let room = Arc::clone(&room);
                if !handle.call_soon_threadsafe(move |conns| room.state.lock().tick(conns)) {
                    return; // the server is gone
                }
            }
        });
        Ticker { stop, thread }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Release);
        let _ = self.thread.join();
    }
}
