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
    /// Closures queued by other threads (`LoopHandle`), if this loop takes them.
    calls: Option<Arc<Calls>>,
}

impl<P: Protocol> Reactor<P> {
    /// A loop watching the server's wake-up pipe and its inbox, and (the
    /// first loop only) `listener`.
    pub(crate) fn new(
        index: u16,
        listener: BorrowedFd<'_>,
        wake: BorrowedFd<'_>,
        inbox: Arc<Inbox>,
        loops: usize,
    ) -> io::Result<Reactor<P>> {
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
        epoll.add(wake, EpollEvent::new(EpollFlags::EPOLLIN, WAKE))?;
        epoll.add(inbox.wake_fd(), EpollEvent::new(EpollFlags::EPOLLIN, INBOX))?;
        let reactor = Reactor {
            index,
            epoll,
            table: Table::new(index),
            protocols: Vec::new(),
            timers: Timers::default(),
            buffer: vec![0u8; READ_BUFFER].into_boxed_slice(),
            events: vec![EpollEvent::empty(); EVENTS_PER_WAIT],
            accept_paused_until: None,
            inbox,
            drain_wake: loops == 1,
            calls: None,
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
                CALLS => {
                    if let Some(inbox) = &self.calls {
                        inbox.run(&mut self.table);
                    }
                }
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
        Ok(sockets)
    }

    /// Makes this loop run the closures queued in `inbox` (woken by its `eventfd`).
    pub(crate) fn take_calls(&mut self, inbox: Arc<Calls>) -> io::Result<()> {
        self.epoll
            .add(inbox.fd(), EpollEvent::new(EpollFlags::EPOLLIN, CALLS))?;
        self.calls = Some(inbox);
        Ok(())
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

    // --- accepting --------------------------------------------------------

    fn watch_listener(&self, listener: BorrowedFd<'_>) -> io::Result<()> {
        let event = EpollEvent::new(EpollFlags::EPOLLIN, LISTENER);
        Ok(self.epoll.add(listener, event)?)
    }

    fn accept_ready<T, F>(&mut self, cx: &Context<'_, T, F>)
    where
        T: StreamTransport,
        F: Fn() -> P,
    {
        for _ in 0..ACCEPTS_PER_TURN {
            if cx
                .settings
                .max_connections
                .is_some_and(|max| cx.open.load(Ordering::Relaxed) >= max)
            {
                // New clients wait in the kernel's listen queue meanwhile.
                self.pause_accepting(cx);
                return;
            }
            match cx.transport.accept_connection() {
                Ok((socket, client)) => {
                    // Dealt round the loops; this loop's share it admits itself.
                    let to = cx.dealt.fetch_add(1, Ordering::Relaxed) % cx.inboxes.len();
                    if to == usize::from(self.index) {
                        self.admit(cx, socket, client);
                    } else {
                        cx.inboxes[to].put(socket, client);
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) if is_resource_shortage(&err) => {
                    // The connection stays queued and the listener stays
                    // readable: without a pause the loop would spin.
                    self.pause_accepting(cx);
                    return;
                }
                // The client gave up before we accepted (ECONNABORTED...).
                Err(_) => {}
            }
        }
    }

    fn pause_accepting<T: StreamTransport, F>(&mut self, cx: &Context<'_, T, F>) {
        if self.accept_paused_until.is_none() {
            let _ = self.epoll.delete(cx.transport.as_fd());
        }
        self.accept_paused_until = Some(Instant::now() + ACCEPT_BACK_OFF);
    }

    fn resume_accepting<T: StreamTransport, F>(&mut self, cx: &Context<'_, T, F>) {
        if self.accept_paused_until.take().is_some() {
            let _ = self.watch_listener(cx.transport.as_fd());
        }
    }

    fn resume_accepting_if_due<T: StreamTransport, F>(&mut self, cx: &Context<'_, T, F>) {
        if self
            .accept_paused_until
            .is_some_and(|until| Instant::now() >= until)
        {
            self.resume_accepting(cx);
        }
    }

    /// Takes a new connection into the loop: `verify_request`, a protocol
    /// from the factory, its deadlines, `Protocol::connected`.
    fn admit<T, F>(&mut self, cx: &Context<'_, T, F>, socket: Connection, client: Address)
    where
        F: Fn() -> P,
    {
        if !cx.hooks.verify(&client) || socket.set_nonblocking(true).is_err() {
            return; // dropping the socket closes it
        }
        let protocol = match panic::catch_unwind(AssertUnwindSafe(cx.factory)) {
            Ok(protocol) => protocol,
            Err(payload) => {
                let error = RequestError::Panic(panic_message(payload.as_ref()));
                (cx.hooks.handle_error)(&client, &error);
                return;
            }
        };
        let now = Instant::now();
        let id = self.table.insert(State {
            socket,
            client,
            output: Default::default(),
            reading: true,
            eof: false,
            ending: Ending::No,
            reason: None,
            dirty: false,
            interest: EpollFlags::EPOLLIN.bits(),
            last_active: now,
            linger_armed: false,
            shutdown_write: false,
            write_shut: false,
            timer: None,
            timer_queued: None,
        });
        let state = self.table.get(id).expect("just inserted");
        let registered = self.epoll.add(
            state.socket.as_fd(),
            EpollEvent::new(EpollFlags::EPOLLIN, id.token()),
        );
        if registered.is_err() {
            self.table.remove(id);
            return;
        }
        let slot = id.index as usize;
        if self.protocols.len() <= slot {
            self.protocols.resize_with(slot + 1, || None);
        }
        self.protocols[slot] = Some(protocol);
        cx.open.fetch_add(1, Ordering::Relaxed);
        if let Some(idle) = cx.settings.idle_timeout {
            self.timers.add(now + idle, id, Kind::Idle);
        }
        if let Some(total) = cx.settings.total_timeout {
            self.timers.add(now + total, id, Kind::Total);
        }
        call(
            &mut self.table,
            &mut self.protocols,
            cx.hooks,
            id,
            |p, conn| p.connected(conn),
        );
        self.table.touch(id);
        // A client usually sends its first bytes right after connecting:
        // they are often here already, and reading them now saves a turn
        // of the loop (one `epoll_wait`) per connection.
        self.read_from(cx, id);
    }

    // --- reading ----------------------------------------------------------

    fn connection_ready<T, F>(&mut self, cx: &Context<'_, T, F>, id: ConnId, flags: EpollFlags) {
        let Some(state) = self.table.get_mut(id) else {
            return; // closed earlier in this turn
        };
        let broken = flags.intersects(EpollFlags::EPOLLHUP | EpollFlags::EPOLLERR);
        if flags.contains(EpollFlags::EPOLLOUT) || state.ending != Ending::No {
            // Sending (or finishing a close) happens when it is settled.
            self.table.touch(id);
        }
        let state = self.table.get_mut(id).expect("looked up above");
        let can_read = state.ending == Ending::No && state.reading && !state.eof;
        if can_read && (flags.contains(EpollFlags::EPOLLIN) || broken) {
            self.read_from(cx, id);
        } else if broken && state.output.is_empty() {
            // Reset, or gone while reading was paused: nothing to do but end.
            let error = socket2::SockRef::from(&state.socket).take_error();
            state.reason = Some(match error {
                Ok(Some(err)) => CloseReason::Failed(err),
                _ => CloseReason::PeerClosed,
            });
            state.ending = Ending::Now;
            self.table.touch(id);
        }
    }

    /// Reads what the client sent and hands it to the protocol.
    fn read_from<T, F>(&mut self, cx: &Context<'_, T, F>, id: ConnId) {
        for _ in 0..READS_PER_TURN {
            let Some(state) = self.table.get_mut(id) else {
                return;
            };
            if state.ending != Ending::No || !state.reading || state.eof {
                return;
            }
            match (&state.socket).read(&mut self.buffer) {
                Ok(0) => {
                    state.eof = true;
                    self.table.touch(id);
                    call(
                        &mut self.table,
                        &mut self.protocols,
                        cx.hooks,
                        id,
                        |p, c| p.eof_received(c),
                    );
                    return;
                }
                Ok(n) => {
                    state.last_active = Instant::now();
                    let data = &self.buffer[..n];
                    call(
                        &mut self.table,
                        &mut self.protocols,
                        cx.hooks,
                        id,
                        |p, c| p.data_received(c, data),
                    );
                    if n < self.buffer.len() {
                        return; // the socket is most likely empty now
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    state.reason = Some(CloseReason::Failed(err));
                    state.ending = Ending::Now;
                    self.table.touch(id);
                    return;
                }
            }
        }
    }

    // --- settling: output, limits, endings, epoll interest ------------------

    fn settle_touched<T, F>(&mut self, cx: &Context<'_, T, F>) {
        loop {
            for id in std::mem::take(&mut self.table.timer_set) {
                let Some(state) = self.table.get_mut(id) else {
                    continue;
                };
                // Only a deadline earlier than the one queued needs an entry.
                if let Some(when) = state.timer {
                    if state.timer_queued.is_none_or(|queued| when < queued) {
                        state.timer_queued = Some(when);
                        self.timers.add(when, id, Kind::Timer);
                    }
                }
            }
            let Some(index) = self.table.dirty.pop() else {
                return;
            };
            if let Some(id) = self.table.id_at(index) {
                self.settle(cx, id);
            }
        }
    }

    /// Brings one connection up to date after callbacks touched it.
    fn settle<T, F>(&mut self, cx: &Context<'_, T, F>, id: ConnId) {
        let Some(state) = self.table.get_mut(id) else {
            return;
        };
        state.dirty = false;
        match state.ending {
            Ending::Done => return,
            Ending::Now => return self.finish(cx, id),
            Ending::No | Ending::Graceful => {}
        }
        let had_output = !state.output.is_empty();
        if had_output {
            match state.output.send(&state.socket) {
                Ok(0) => {}
                Ok(_) => state.last_active = Instant::now(),
                Err(err) => {
                    state.reason = Some(CloseReason::Failed(err));
                    return self.finish(cx, id);
                }
            }
        }
        if state.output.memory() > cx.settings.max_output {
            // A client that does not read: it costs us memory, so it goes.
            state.reason = Some(CloseReason::OutputLimit);
            state.output.clear();
            return self.finish(cx, id);
        }
        if state.output.is_empty() {
            if state.ending == Ending::Graceful {
                return self.finish(cx, id);
            }
            if state.shutdown_write && !state.write_shut {
                // Everything is sent: now the client may read end-of-file.
                state.write_shut = true;
                let _ = state.socket.shutdown(std::net::Shutdown::Write);
            }
            if had_output {
                call(
                    &mut self.table,
                    &mut self.protocols,
                    cx.hooks,
                    id,
                    |p, c| p.writable(c),
                );
                // It may have written more, or closed: settled again then.
                if self.table.get(id).is_some_and(|s| s.dirty) {
                    return;
                }
            }
        } else if state.ending == Ending::Graceful && !state.linger_armed {
            state.linger_armed = true;
            self.timers.add(Instant::now() + LINGER, id, Kind::Linger);
        }
        self.update_interest(id);
    }

    /// Tells epoll what this connection waits for now: bytes to read
    /// (unless paused, ended or closing), room to write (if output waits).
    fn update_interest(&mut self, id: ConnId) {
        let Some(state) = self.table.get_mut(id) else {
            return;
        };
        let mut want = EpollFlags::empty();
        if state.ending == Ending::No && state.reading && !state.eof {
            want |= EpollFlags::EPOLLIN;
        }
        if !state.output.is_empty() {
            want |= EpollFlags::EPOLLOUT;
        }
        if want.bits() != state.interest {
            let mut event = EpollEvent::new(want, id.token());
            if self.epoll.modify(state.socket.as_fd(), &mut event).is_ok() {
                state.interest = want.bits();
            }
        }
    }

    /// Closes a connection: out of epoll, `Protocol::closed`, out of the table.
    fn finish<T, F>(&mut self, cx: &Context<'_, T, F>, id: ConnId) {
        let Some(state) = self.table.get_mut(id) else {
            return;
        };
        if state.ending == Ending::Done {
            return;
        }
        let reason = state.reason.take().unwrap_or(match state.ending {
            Ending::Now => CloseReason::Aborted,
            _ if state.eof => CloseReason::PeerClosed,
            _ => CloseReason::Closed,
        });
        state.ending = Ending::Done;
        let _ = self.epoll.delete(state.socket.as_fd());
        if let Some(protocol) = self.protocols[id.index as usize].as_mut() {
            let mut conn = Conn::new(id, &mut self.table);
            let closed =
                panic::catch_unwind(AssertUnwindSafe(|| protocol.closed(&mut conn, &reason)));
            if let Err(payload) = closed {
                report(
                    &self.table,
                    cx.hooks,
                    id,
                    RequestError::Panic(panic_message(payload.as_ref())),
                );
            }
        }
        self.protocols[id.index as usize] = None;
        self.table.remove(id); // drops the socket: the kernel sends FIN
        cx.open.fetch_sub(1, Ordering::Relaxed);
        if self.accept_paused_until.is_some() {
            // Room for a new client, or a descriptor freed.
            self.accept_paused_until = Some(Instant::now());
        }
    }

    // --- deadlines ----------------------------------------------------------

    fn fire_timers<T, F>(&mut self, cx: &Context<'_, T, F>) {
        let now = Instant::now();
        while let Some((id, kind, when)) = self.timers.pop_due(now, self.index) {
            let Some(state) = self.table.get_mut(id) else {
                continue; // closed since
            };
            match kind {
                Kind::Idle => {
                    let Some(idle) = cx.settings.idle_timeout else {
                        continue;
                    };
                    if state.ending != Ending::No {
                        continue; // a closing connection lingers instead
                    }
                    let due = state.last_active + idle;
                    if due > now {
                        self.timers.add(due, id, Kind::Idle);
                    } else {
                        self.time_out(cx, id, Timeout::Idle);
                    }
                }
                Kind::Total => {
                    if state.ending == Ending::No {
                        self.time_out(cx, id, Timeout::Total);
                    }
                }
                Kind::Timer => {
                    if state.timer_queued != Some(when) {
                        continue; // an entry replaced by an earlier one
                    }
                    state.timer_queued = None;
                    match state.timer {
                        // The protocol moved its deadline later meanwhile.
                        Some(deadline) if deadline > now => {
                            state.timer_queued = Some(deadline);
                            self.timers.add(deadline, id, Kind::Timer);
                        }
                        Some(_) if state.ending == Ending::No => {
                            state.timer = None;
                            self.time_out(cx, id, Timeout::Timer);
                        }
                        _ => {}
                    }
                }
                Kind::Linger => {
                    let due = state.last_active + LINGER;
                    if state.ending != Ending::Graceful {
                        continue;
                    } else if due > now {
                        self.timers.add(due, id, Kind::Linger);
                    } else {
                        state.reason = Some(CloseReason::TimedOut(Timeout::Idle));
                        state.output.clear();
                        state.ending = Ending::Now;
                        self.table.touch(id);
                    }
                }
            }
        }
    }

    /// A timeout passed: the protocol may say goodbye, then it closes.
    fn time_out<T, F>(&mut self, cx: &Context<'_, T, F>, id: ConnId, which: Timeout) {
        call(
            &mut self.table,
            &mut self.protocols,
            cx.hooks,
            id,
            |p, c| p.timed_out(c, which),
        );
        if let Some(state) = self.table.get_mut(id) {
            // The server's timeouts close; the protocol's timer is its own.
            if state.ending == Ending::No && which != Timeout::Timer {
                state.ending = Ending::Graceful;
                state.reason = Some(CloseReason::TimedOut(which));
            }
        }
        self.table.touch(id);
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
