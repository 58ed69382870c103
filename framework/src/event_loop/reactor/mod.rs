//! One event loop: an `epoll` set, the connections it serves, and one
//! *turn*: wait for readiness, then accept, read, write and time out
//! whatever is ready, never waiting on any one connection.
//!
//! ```text
//!   epoll_wait ──> listener ready ──> accept ──> Protocol::connected
//!       │      ──> socket readable ──> read ──> Protocol::data_received
//!       │      ──> socket writable ──> send the queued output
//!       └─ timeout ──> deadlines due ──> Protocol::timed_out, close
//!   after every callback: settle the touched connections
//!   (send their output, check the limit, finish closing, update epoll)
//! ```

use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};

use crate::control::Control;
use crate::error::is_resource_shortage;
use crate::handler::panic_message;
use crate::hooks::Hooks;
use crate::{Address, Connection, RequestError, StreamTransport};

mod accept;
mod deadlines;
mod read;
mod settle;

use super::calls::Calls;
use super::inbox::Inbox;
use super::table::{ConnId, Ending, State, Table};
use super::timers::{Kind, Timers};
use super::{CloseReason, Conn, Protocol, Settings, Timeout};

/// The `epoll` token of the listening socket.
const LISTENER: u64 = u64::MAX;
/// The `epoll` token of the shutdown wake-up pipe.
const WAKE: u64 = u64::MAX - 1;
/// The `epoll` token of this loop's inbox (connections from the first loop).
const INBOX: u64 = u64::MAX - 2;
/// The `epoll` token of the queue of calls from other threads (`calls.rs`).
const CALLS: u64 = u64::MAX - 3;

/// Bytes read from a socket at once (one buffer for the whole loop).
const READ_BUFFER: usize = 64 * 1024;
/// Reads from one connection per turn at most, so that a client sending
/// without pause cannot keep the loop from the others.
const READS_PER_TURN: usize = 4;
/// Connections accepted per turn at most, for the same reason.
const ACCEPTS_PER_TURN: usize = 64;
/// Readiness reports taken from the kernel per `epoll_wait`.
const EVENTS_PER_WAIT: usize = 256;
/// How long accepting pauses when descriptors run out or the connection
/// cap is reached (closing connections resume it sooner).
const ACCEPT_BACK_OFF: Duration = Duration::from_millis(100);
/// How long a closing connection may go without sending anything before
/// it is dropped with what it still had to send.
const LINGER: Duration = Duration::from_secs(10);

/// What a turn reads from the server: everything shared by its loops.
pub(crate) struct Context<'a, T, F> {
    pub(crate) transport: &'a T,
    pub(crate) factory: &'a F,
    pub(crate) hooks: &'a Hooks,
    pub(crate) settings: &'a Settings,
    /// The shutdown flag and its wake-up pipe.
    pub(crate) control: &'a Control,
    /// Connections open in all the server's loops.
    pub(crate) open: &'a AtomicUsize,
    /// Every loop's inbox, for the first loop to deal new connections into.
    pub(crate) inboxes: &'a [Arc<Inbox>],
    /// How many connections the first loop has dealt (round-robin).
    pub(crate) dealt: &'a AtomicUsize,
}

/// One loop's state.
pub(crate) struct Reactor<P> {
    index: u16,
    epoll: Epoll,
    table: Table,
    /// The protocols, by the same index as the table.
    protocols: Vec<Option<P>>,
    timers: Timers,
    buffer: Box<[u8]>,
    events: Vec<EpollEvent>,
    /// Accepting is paused (no descriptors left, or the cap reached) until then.
    accept_paused_until: Option<Instant>,
    /// Connections dealt to this loop by the first one.
    inbox: Arc<Inbox>,
    /// Drain the wake-up pipe when it fires (only a server's single loop
    /// may: with several, each must see it).
    drain_wake: bool,
    /// Closures queued by other threads (`LoopHandle`) for this loop.
    calls: Arc<Calls>,
}

impl<P: Protocol> Reactor<P> {
    /// A loop watching the server's wake-up pipe, its inbox, its queue of
    /// `calls` from other threads (which its connections'
    /// [`Conn::loop_handle`](crate::Conn::loop_handle) reach), and (the
    /// first loop only) `listener`.
    pub(crate) fn new(
        index: u16,
        listener: BorrowedFd<'_>,
        wake: BorrowedFd<'_>,
        inbox: Arc<Inbox>,
        calls: Arc<Calls>,
        loops: usize,
    ) -> io::Result<Reactor<P>> {
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
        epoll.add(wake, EpollEvent::new(EpollFlags::EPOLLIN, WAKE))?;
        epoll.add(inbox.wake_fd(), EpollEvent::new(EpollFlags::EPOLLIN, INBOX))?;
        epoll.add(calls.fd(), EpollEvent::new(EpollFlags::EPOLLIN, CALLS))?;
        let mut table = Table::new(index);
        table.calls = Arc::downgrade(&calls);
        let reactor = Reactor {
            index,
            epoll,
            table,
            protocols: Vec::new(),
            timers: Timers::default(),
            buffer: vec![0u8; READ_BUFFER].into_boxed_slice(),
            events: vec![EpollEvent::empty(); EVENTS_PER_WAIT],
            accept_paused_until: None,
            inbox,
            drain_wake: loops == 1,
            calls,
        };
        if index == 0 {
            reactor.watch_listener(listener)?;
        }
        Ok(reactor)
    }

    /// One turn: waits at most `wait` (and never past the nearest
    /// deadline), then handles everything ready. Returns how many sockets
    /// were ready (the wake-up pipe not counted).
    pub(crate) fn turn<T, F>(
        &mut self,
        cx: &Context<'_, T, F>,
        wait: Option<Duration>,
    ) -> io::Result<usize>
    where
        T: StreamTransport,
        F: Fn() -> P,
    {
        let now = Instant::now();
        let nearest = [
            wait.map(|w| now + w),
            self.timers.next(),
            self.accept_paused_until,
        ]
        .into_iter()
        .flatten()
        .min();
        let timeout = match nearest {
            None => EpollTimeout::NONE,
            // Rounded up: waking a little early would only spin until due.
            Some(when) => {
                let ms = when
                    .saturating_duration_since(now)
                    .as_nanos()
                    .div_ceil(1_000_000);
                EpollTimeout::try_from(Duration::from_millis(ms as u64))
                    .unwrap_or(EpollTimeout::MAX)
            }
        };
        let ready = match self.epoll.wait(&mut self.events, timeout) {
            Ok(n) => n,
            Err(Errno::EINTR) => 0,
            Err(err) => return Err(err.into()),
        };
        let mut sockets = 0;
        for i in 0..ready {
            let event = self.events[i];
            match event.data() {
                WAKE => {
                    if self.drain_wake {
                        cx.control.drain_wake_pipe();
                    }
                }
                CALLS => self.calls.run(&mut self.table),
                LISTENER => {
                    sockets += 1;
                    self.accept_ready(cx);
                }
                INBOX => {
                    for (socket, client) in self.inbox.take() {
                        sockets += 1;
                        self.admit(cx, socket, client);
                    }
                }
                token => {
                    sockets += 1;
                    let id = ConnId::from_token(token, self.index);
                    self.connection_ready(cx, id, event.events());
                }
            }
            self.settle_touched(cx);
        }
        self.resume_accepting_if_due(cx);
        self.fire_timers(cx);
        self.settle_touched(cx);
        let table = &self.table;
        self.timers
            .forget_closed(table.open(), |index, generation| {
                table.is_open(index, generation)
            });
        Ok(sockets)
    }

    /// Closes every connection (the server is closing): one last try to
    /// send what is queued, then `Protocol::closed` with `ServerClosed`.
    pub(crate) fn close_all<T, F>(&mut self, cx: &Context<'_, T, F>) {
        for id in self.table.ids() {
            if let Some(state) = self.table.get_mut(id) {
                let _ = state.output.send(&state.socket);
                state.reason = Some(CloseReason::ServerClosed);
                state.ending = Ending::Now;
            }
            self.finish(cx, id);
        }
        self.settle_touched(cx);
    }
}

/// Calls one protocol method for connection `id`. An error or a panic is
/// reported to `handle_error` and aborts that connection only.
fn call<P: Protocol>(
    table: &mut Table,
    protocols: &mut [Option<P>],
    hooks: &Hooks,
    id: ConnId,
    f: impl FnOnce(&mut P, &mut Conn<'_>) -> io::Result<()>,
) {
    let Some(protocol) = protocols
        .get_mut(id.index as usize)
        .and_then(Option::as_mut)
    else {
        return;
    };
    let mut conn = Conn::new(id, table);
    let error = match panic::catch_unwind(AssertUnwindSafe(|| f(protocol, &mut conn))) {
        Ok(Ok(())) => return,
        Ok(Err(err)) => RequestError::Io(err),
        Err(payload) => RequestError::Panic(panic_message(payload.as_ref())),
    };
    report(table, hooks, id, error);
    if let Some(state) = table.get_mut(id) {
        if state.ending != Ending::Done {
            state.output.clear();
            state.ending = Ending::Now;
            state.reason = Some(CloseReason::ProtocolError);
        }
    }
    table.touch(id);
}

/// Passes a protocol's failure to `handle_error`, naming its client.
fn report(table: &Table, hooks: &Hooks, id: ConnId, error: RequestError) {
    if let Some(state) = table.get(id) {
        (hooks.handle_error)(&state.client, &error);
    }
}
