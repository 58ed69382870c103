//! The event-loop server: Python's `BaseServer` life cycle around one (or
//! several) event loops.

use std::io;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::control::Control;
use crate::hooks::Hooks;
use crate::{
    Address, Bind, DEFAULT_POLL_INTERVAL, RequestError, ServerHandle, ServerOptions,
    StreamTransport,
};

use super::calls::{Calls, LoopHandle};
use super::inbox::Inbox;
use super::reactor::{Context, Reactor};
use super::{Protocol, Settings};

/// A stream server whose connections are all served by one thread (or one
/// per loop, see [`set_loops`](Self::set_loops)) waiting on `epoll`.
/// Each connection gets a [`Protocol`] from the factory `F`.
///
/// Use the aliases [`EpollTcpServer`](crate::EpollTcpServer) and
/// [`EpollUnixStreamServer`](crate::EpollUnixStreamServer).
///
/// ```
/// use std::io::{self, BufRead, BufReader, Write};
/// use std::net::TcpStream;
/// use std::sync::Arc;
/// use framework::{Conn, EpollTcpServer, Protocol};
///
/// /// Answers every chunk with its length.
/// struct Count;
/// impl Protocol for Count {
///     fn data_received(&mut self, conn: &mut Conn<'_>, data: &[u8]) -> io::Result<()> {
///         conn.write(format!("{}\n", data.len()).as_bytes());
///         Ok(())
///     }
/// }
///
/// # fn main() -> io::Result<()> {
/// let server = Arc::new(EpollTcpServer::bind("127.0.0.1:0", || Count)?);
/// let address = server.server_address().inet().unwrap();
/// let looping = Arc::clone(&server);
/// let thread = std::thread::spawn(move || looping.serve_forever());
///
/// let mut client = TcpStream::connect(address)?;
/// client.write_all(b"four")?;
/// let mut line = String::new();
/// BufReader::new(client).read_line(&mut line)?;
/// assert_eq!(line, "4\n");
///
/// server.shutdown(); // wakes the loop at once; returns when it has stopped
/// thread.join().unwrap()?;
/// # Ok(())
/// # }
/// ```
pub struct EventLoopServer<T: StreamTransport, P: Protocol, F> {
    transport: T,
    factory: F,
    hooks: Hooks,
    settings: Settings,
    control: Arc<Control>,
    /// One per loop; each locked by the thread running it.
    reactors: Vec<Mutex<Reactor<P>>>,
    /// One per loop: where the first loop deals new connections.
    inboxes: Vec<Arc<Inbox>>,
    dealt: AtomicUsize,
    open: AtomicUsize,
    timeout: Option<Duration>,
    /// Closures from other threads, run by the first loop ([`LoopHandle`]).
    calls: Arc<Calls>,
}

impl<T, P, F> EventLoopServer<T, P, F>
where
    T: StreamTransport,
    P: Protocol,
    F: Fn() -> P + Send + Sync + 'static,
{
    /// Binds and listens with the default [`ServerOptions`]. `factory` is
    /// called once per connection to make its protocol.
    pub fn bind<A>(address: A, factory: F) -> io::Result<Self>
    where
        T: Bind<A>,
    {
        Self::bind_with(address, &ServerOptions::default(), factory)
    }

    /// Binds with the given options (`allow_reuse_address`, backlog...).
    pub fn bind_with<A>(address: A, options: &ServerOptions, factory: F) -> io::Result<Self>
    where
        T: Bind<A>,
    {
        Self::from_transport(T::bind(address, options)?, factory)
    }

    /// Builds a server around an already bound transport.
    pub fn from_transport(transport: T, factory: F) -> io::Result<Self> {
        let control = Arc::new(Control::new(transport.server_address())?);
        let inbox = Arc::new(Inbox::new()?);
        let calls = Calls::new()?;
        let reactor = Reactor::new(
            0,
            transport.as_fd(),
            control.wake_fd(),
            inbox.clone(),
            Arc::clone(&calls),
            1,
        )?;
        Ok(EventLoopServer {
            transport,
            factory,
            hooks: Hooks::default(),
            settings: Settings::default(),
            control,
            reactors: vec![Mutex::new(reactor)],
            inboxes: vec![inbox],
            dealt: AtomicUsize::new(0),
            open: AtomicUsize::new(0),
            timeout: None,
            calls,
        })
    }

    /// Serves until [`shutdown`](Self::shutdown), running `service_actions`
    /// at least every 0.5 s.
    pub fn serve_forever(&self) -> io::Result<()> {
        self.serve_forever_with_poll_interval(DEFAULT_POLL_INTERVAL)
    }

    /// Python's `serve_forever(poll_interval)`: the loop wakes at least
    /// every `poll_interval` to run `service_actions`. Shutdown does not
    /// wait for it. With several loops, each runs on its own thread and
    /// this returns when all have stopped.
    pub fn serve_forever_with_poll_interval(&self, poll_interval: Duration) -> io::Result<()> {
        let _running = self.control.enter_loop()?;
        let cx = self.context();
        let cx = &cx;
        thread::scope(|scope| {
            let others: Vec<_> = (1..self.reactors.len())
                .map(|i| scope.spawn(move || self.run(i, cx, poll_interval)))
                .collect();
            let mut result = self.run(0, cx, poll_interval);
            for other in others {
                let joined = other
                    .join()
                    .unwrap_or_else(|_| Err(io::Error::other("an event loop panicked")));
                result = result.and(joined);
            }
            result
        })
    }

    /// One loop until shutdown. The first loop also runs `service_actions`.
    fn run(&self, index: usize, cx: &Context<'_, T, F>, poll_interval: Duration) -> io::Result<()> {
        let mut reactor = self.reactors[index].lock();
        let result = (|| {
            while !self.control.shutdown_requested() {
                reactor.turn(cx, Some(poll_interval))?;
                if index == 0 {
                    self.hooks.service_actions();
                }
            }
            Ok(())
        })();
        if result.is_err() {
            // One loop failing stops the others: the server is down.
            self.control.request_shutdown();
        }
        result
    }

    /// One turn of the (first) loop: waits at most
    /// [`timeout`](Self::set_timeout) for any socket to be ready and
    /// handles everything that is; if nothing came in time, runs
    /// `handle_timeout`. (Python's `handle_request` serves one request; on
    /// an event loop, one turn is the nearest thing.)
    pub fn handle_request(&self) -> io::Result<()> {
        let cx = self.context();
        let deadline = self.timeout.map(|timeout| Instant::now() + timeout);
        let mut reactor = self.reactors[0].lock();
        loop {
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if reactor.turn(&cx, remaining)? > 0 {
                return Ok(());
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                self.hooks.handle_timeout();
                return Ok(());
            }
        }
    }

    /// Stops `serve_forever` and waits until it has returned. Connections
    /// stay open: the next `serve_forever` serves them on.
    pub fn shutdown(&self) {
        self.control.shutdown();
    }

    /// A handle to run code on the (first) loop's thread from any other
    /// thread, asyncio's `call_soon_threadsafe`: a server's terminal
    /// writing to its clients, a timer. See [`LoopHandle`]. With several
    /// loops ([`set_loops`](Self::set_loops)) the calls run on the first,
    /// and reach only the connections it serves; a protocol that hands
    /// work to another thread takes [`Conn::loop_handle`](super::Conn::loop_handle)
    /// instead, which reaches its own loop.
    pub fn loop_handle(&self) -> LoopHandle {
        LoopHandle::new(&self.calls)
    }

    /// A cloneable handle to shut the server down from another thread.
    pub fn handle(&self) -> ServerHandle {
        ServerHandle::new(Arc::clone(&self.control))
    }

    /// Makes Ctrl+C (SIGINT), SIGTERM and SIGHUP stop `serve_forever`.
    pub fn shutdown_on_ctrl_c(&self) -> io::Result<()> {
        let handle = self.handle();
        ctrlc::set_handler(move || handle.request_shutdown()).map_err(io::Error::other)
    }

    /// Where the server listens; port 0 has become the real port.
    pub fn server_address(&self) -> Address {
        self.transport.server_address()
    }

    /// Connections open now, in all loops.
    pub fn connection_count(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// How long `handle_request` waits (`None`: forever).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Sets the `handle_request` timeout.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// Closes a connection on which no byte went either way for `idle`
    /// (after [`Protocol::timed_out`]). Default: none. A thread-per-client
    /// server would set a read timeout on each socket instead.
    pub fn set_idle_timeout(&mut self, idle: Option<Duration>) {
        self.settings.idle_timeout = idle;
    }

    /// Closes a connection open for longer than `total`, busy or not
    /// (after [`Protocol::timed_out`]). Default: none.
    pub fn set_total_timeout(&mut self, total: Option<Duration>) {
        self.settings.total_timeout = total;
    }

    /// The most bytes queued for one client that has not read them. A
    /// client past it is closed at once, its queue dropped, so that a peer
    /// that never reads cannot eat the server's memory. Default 4 MiB
    /// ([`DEFAULT_MAX_OUTPUT`](super::DEFAULT_MAX_OUTPUT)). A protocol
    /// sending more than that in one go should write in parts, from
    /// [`Protocol::writable`].
    pub fn set_max_output(&mut self, bytes: usize) {
        self.settings.max_output = bytes;
    }

    /// The most connections open at once; beyond it, new clients wait in
    /// the kernel's listen queue until one closes. Default: no cap (running
    /// out of descriptors pauses accepting as well).
    pub fn set_max_connections(&mut self, max: Option<usize>) {
        self.settings.max_connections = max;
    }

    /// Runs `loops` event loops, one thread each (one per core is usual):
    /// the first accepts and deals the new connections round the loops,
    /// and each loop serves its own to the end.
    /// [`Conn::write_to`](super::Conn::write_to) reaches only connections
    /// of the same loop. Default 1. Set before serving: fails while
    /// connections are open.
    pub fn set_loops(&mut self, loops: usize) -> io::Result<()> {
        if self.connection_count() > 0 {
            return Err(io::Error::other("set_loops: connections are open"));
        }
        let loops = loops.clamp(1, usize::from(u16::MAX));
        self.inboxes = (0..loops)
            .map(|_| Inbox::new().map(Arc::new))
            .collect::<io::Result<_>>()?;
        self.reactors = (0..loops)
            .map(|i| {
                let (listener, wake) = (self.transport.as_fd(), self.control.wake_fd());
                let inbox = Arc::clone(&self.inboxes[i]);
                // The first loop takes the server's calls (`loop_handle`);
                // every other loop has a queue of its own, which its
                // connections reach through `Conn::loop_handle`.
                let calls = match i {
                    0 => Arc::clone(&self.calls),
                    _ => Calls::new()?,
                };
                Reactor::new(i as u16, listener, wake, inbox, calls, loops).map(Mutex::new)
            })
            .collect::<io::Result<_>>()?;
        Ok(())
    }

    /// How many event loops serve (see [`set_loops`](Self::set_loops)).
    pub fn loops(&self) -> usize {
        self.reactors.len()
    }

    /// Python's `verify_request`: return `false` to refuse a client; its
    /// connection is closed at once and no protocol is made.
    pub fn set_verify_request(&mut self, hook: impl Fn(&Address) -> bool + Send + Sync + 'static) {
        self.hooks.verify_request = Some(Arc::new(hook));
    }

    /// Python's `handle_error`: called when a protocol returns an error or
    /// panics (its connection is then closed). Default: a report on stderr.
    pub fn set_handle_error(
        &mut self,
        hook: impl Fn(&Address, &RequestError) + Send + Sync + 'static,
    ) {
        self.hooks.handle_error = Arc::new(hook);
    }

    /// Python's `service_actions`: called on every turn of `serve_forever`.
    pub fn set_service_actions(&mut self, hook: impl Fn() + Send + Sync + 'static) {
        self.hooks.service_actions = Some(Arc::new(hook));
    }

    /// Python's `handle_timeout`: called when `handle_request` times out.
    pub fn set_handle_timeout(&mut self, hook: impl Fn() + Send + Sync + 'static) {
        self.hooks.handle_timeout = Some(Arc::new(hook));
    }

    /// Python's `server_close`: stops listening and closes every open
    /// connection (each protocol is told [`CloseReason::ServerClosed`](super::CloseReason::ServerClosed)).
    /// Dropping the server does the same.
    pub fn server_close(self) {
        drop(self);
    }
}

impl<T: StreamTransport, P: Protocol, F> EventLoopServer<T, P, F> {
    /// What every turn reads from the server.
    fn context(&self) -> Context<'_, T, F> {
        Context {
            transport: &self.transport,
            factory: &self.factory,
            hooks: &self.hooks,
            settings: &self.settings,
            control: &self.control,
            open: &self.open,
            inboxes: &self.inboxes,
            dealt: &self.dealt,
        }
    }
}

impl<T: StreamTransport, P: Protocol, F> AsFd for EventLoopServer<T, P, F> {
    /// Python's `fileno()`: the listening socket.
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.transport.as_fd()
    }
}

impl<T: StreamTransport, P: Protocol, F> Drop for EventLoopServer<T, P, F> {
    fn drop(&mut self) {
        let cx = self.context();
        for reactor in &self.reactors {
            reactor.lock().close_all(&cx);
        }
    }
}
