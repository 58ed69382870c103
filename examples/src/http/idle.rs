//! The idle loop: connections waiting for their next request wait here,
//! all of them watched by one thread with `epoll` (lesson 09), instead of
//! each holding a thread blocked in `read`.
//!
//! A busy keep-alive client sends a small request, waits for the answer,
//! and sends the next. With a thread per connection every request wakes a
//! different sleeping thread, and on a small machine the switching costs
//! more than the answers. So, as in nginx, one loop waits for all of them
//! and answers what it can without waiting ([`receive_and_answer`]); whatever
//! must wait — a request body, a large file, a slow reader — goes to a
//! thread of the framework's `ThreadingMixIn` ([`IdleLoop::hand_off`]),
//! which comes back here when the connection is idle again.
//!
//! A connection idle for the timeout is closed, with `408 Request Timeout`
//! if half a request had come, as a connection's thread would close it.

use std::collections::HashMap;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use framework::{Connection, MixIn, ThreadingMixIn};
use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::eventfd::{EfdFlags, EventFd};
use parking_lot::Mutex;

use super::handler::{Conn, Next, Site, resume};
use super::limit::Slot;
use super::ready::{Step, receive_and_answer};
use super::sink::{Pending, Sink};

/// How often idle connections are checked against the timeout.
const SWEEP_EVERY: Duration = Duration::from_millis(500);

/// The `epoll` token of the wake-up eventfd (connections use their fd).
const WAKE: u64 = u64::MAX;

/// A connection between requests, with the bytes of the next one so far.
pub struct Parked {
    /// The connection (a descriptor of its own, see `StreamRequest::detach`).
    pub connection: Connection,
    /// The client's address, for the access log.
    pub client: String,
    /// Its place under the connection cap (none for a 503 being sent).
    pub slot: Option<Slot>,
    /// Bytes of the next request received so far.
    pub received: Vec<u8>,
    /// When it last finished a response (or arrived): the idle timeout
    /// and the time to send a whole request head both count from here.
    since: Instant,
}

impl Parked {
    /// A connection leaving a thread or the accept loop.
    pub fn new(
        connection: Connection,
        client: String,
        slot: Option<Slot>,
        received: Vec<u8>,
    ) -> Parked {
        Parked {
            connection,
            client,
            slot,
            received,
            since: Instant::now(),
        }
    }
}

impl Parked {
    /// How long since it last finished a response (or arrived).
    pub fn waited(&self) -> Duration {
        self.since.elapsed()
    }
}

/// The loop's shared half: where connections are parked or handed off.
pub struct IdleLoop {
    epoll: Epoll,
    wake: EventFd,
    arriving: Mutex<Vec<Parked>>,
    threads: ThreadingMixIn,
}

impl IdleLoop {
    /// The epoll set, its wake-up eventfd and the threads for waiting work;
    /// [`IdleLoop::start`] runs the loop.
    pub fn new() -> std::io::Result<IdleLoop> {
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
        let wake = EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)?;
        epoll.add(wake.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, WAKE))?;
        let mut threads = ThreadingMixIn::default();
        // Like ThreadingHTTPServer: Ctrl+C does not wait for open connections.
        threads.daemon_threads = true;
        Ok(IdleLoop {
            epoll,
            wake,
            arriving: Mutex::new(Vec::new()),
            threads,
        })
    }

    /// Starts the loop's thread for `site` (whose `idle` is this loop). It
    /// runs for the life of the process, as the server does.
    pub fn start(site: &Arc<Site>) -> std::io::Result<()> {
        let site = Arc::clone(site);
        thread::Builder::new()
            .name("http-idle".into())
            .spawn(move || Loop::new(site).run())?;
        Ok(())
    }

    /// Hands a connection to the loop (from any thread).
    pub fn park(&self, parked: Parked) {
        // Answers follow one another on a kept-alive connection: none may
        // wait for the ACK of the one before (Nagle's algorithm).
        let _ = parked.connection.set_nodelay(true);
        self.arriving.lock().push(parked);
        // An eventfd counts: one write per park, one read takes them all.
        let _ = self.wake.write(1);
    }

    /// Gives a connection to a thread: it sends what is `pending`, then
    /// does what `next` says (`handler::resume`).
    pub fn hand_off(&self, site: &Arc<Site>, parked: Parked, pending: Pending, next: Next) {
        let site = Arc::clone(site);
        // If no thread can start, the job is dropped and the connection
        // closed: the client sees its request fail rather than hang.
        let _ = self.threads.process_request(
            Box::new(move || {
                resume(&site, parked, pending, next);
                true
            }),
            &[],
        );
    }
}

/// The loop's own half, on its thread.
struct Loop {
    site: Arc<Site>,
    parked: HashMap<RawFd, Parked>,
}

impl Loop {
    fn new(site: Arc<Site>) -> Loop {
        Loop {
            site,
            parked: HashMap::new(),
        }
    }

    fn idle(&self) -> &IdleLoop {
        self.site
            .idle
            .as_ref()
            .expect("the loop runs only for a site with one")
    }

    fn run(mut self) {
        let mut events = vec![EpollEvent::empty(); 256];
        let mut last_sweep = Instant::now();
        let timeout = EpollTimeout::try_from(SWEEP_EVERY).expect("half a second fits");
        loop {
            let ready = match self.idle().epoll.wait(&mut events, timeout) {
                Ok(n) => n,
                Err(Errno::EINTR) => 0,
                Err(err) => {
                    eprintln!("http-server: idle loop: epoll_wait: {err}");
                    thread::sleep(SWEEP_EVERY);
                    0
                }
            };
            for event in &events[..ready] {
                match event.data() {
                    WAKE => self.take_arrivals(),
                    fd => self.on_readable(fd as RawFd),
                }
            }
            if last_sweep.elapsed() >= SWEEP_EVERY {
                self.sweep();
                last_sweep = Instant::now();
            }
        }
    }

    /// Registers the connections parked since the last turn.
    fn take_arrivals(&mut self) {
        let _ = self.idle().wake.read();
        let arrived = std::mem::take(&mut *self.idle().arriving.lock());
        for parked in arrived {
            let fd = parked.connection.as_raw_fd();
            // Level-triggered: bytes that came before the registration
            // are reported by the next wait.
            let interest = EpollEvent::new(EpollFlags::EPOLLIN | EpollFlags::EPOLLRDHUP, fd as u64);
            if self
                .idle()
                .epoll
                .add(parked.connection.as_fd(), interest)
                .is_ok()
            {
                self.parked.insert(fd, parked);
            }
        }
    }

    /// Reads what a connection sent, and answers the requests now whole.
    fn on_readable(&mut self, fd: RawFd) {
        let Some(parked) = self.parked.get_mut(&fd) else {
            return;
        };
        let step = receive_and_answer(
            &self.site,
            &parked.connection,
            &parked.client,
            &mut parked.received,
        );
        match step {
            Step::Wait => {
                if parked.received.is_empty() {
                    parked.since = Instant::now();
                }
            }
            Step::Close => self.close(fd),
            Step::HandOff(pending, next) => self.hand_off(fd, pending, next),
        }
    }

    /// Closes connections idle for longer than the timeout. One that had
    /// sent half a request gets `408 Request Timeout`, as on a thread.
    fn sweep(&mut self) {
        let timeout = self.site.settings.timeout;
        let expired: Vec<RawFd> = self
            .parked
            .iter()
            .filter(|(_, p)| p.since.elapsed() >= timeout)
            .map(|(&fd, _)| fd)
            .collect();
        for fd in expired {
            let parked = &self.parked[&fd];
            if parked.received.is_empty() {
                self.close(fd);
                continue;
            }
            let mut conn = Conn::new(
                &self.site,
                &parked.connection,
                &parked.client,
                Sink::NonBlocking(Pending::default()),
            );
            let sent = conn.error(None, 408, "Request timed out", Next::CloseAndLinger);
            let pending = conn.into_pending();
            match sent {
                Ok(next) => self.hand_off(fd, pending, next),
                Err(_) => self.close(fd),
            }
        }
    }

    fn remove(&mut self, fd: RawFd) -> Option<Parked> {
        let parked = self.parked.remove(&fd)?;
        let _ = self.idle().epoll.delete(parked.connection.as_fd());
        Some(parked)
    }

    /// Ends a connection: end-of-file to the client, then close.
    fn close(&mut self, fd: RawFd) {
        if let Some(parked) = self.remove(fd) {
            let _ = parked.connection.shutdown(Shutdown::Write);
        }
    }

    fn hand_off(&mut self, fd: RawFd, pending: Pending, next: Next) {
        if let Some(parked) = self.remove(fd) {
            self.idle().hand_off(&self.site, parked, pending, next);
        }
    }
}
