//! The server: Python's `BaseServer` life cycle around a transport and a mix-in.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::control::Control;
use crate::error::is_resource_shortage;
use crate::handler::{panic_message, run_handler};
use crate::hooks::Hooks;
use crate::{
    Address, Bind, Job, MixIn, Request, RequestError, RequestHandler, ServerHandle, ServerOptions,
    Transport,
};

/// Python's default `poll_interval` for `serve_forever`.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How many ready requests one wake-up of the loop takes at most before it
/// looks at the shutdown flag and runs `service_actions` again.
const REQUESTS_PER_WAKEUP: usize = 64;

/// How long the loop pauses when accept fails for want of descriptors or memory.
const BACK_OFF_MS: u8 = 100;

/// A server: a bound [`Transport`], a concurrency [`MixIn`], and a factory
/// `F` that makes one [`RequestHandler`] per request.
///
/// Use the named aliases ([`TcpServer`](crate::TcpServer),
/// [`ThreadingTcpServer`](crate::ThreadingTcpServer), ...) rather than
/// spelling the three parameters out.
pub struct Server<T: Transport, M: MixIn, F> {
    /// `None` only while the server is being dropped (closed first, then
    /// the mix-in waits for running requests).
    transport: Option<T>,
    mixin: M,
    factory: Arc<F>,
    hooks: Hooks,
    control: Arc<Control>,
    timeout: Option<Duration>,
    /// What a forked child must close, worked out once (see `close_in_child`).
    close_in_child: Vec<RawFd>,
}

impl<T, M, F, H> Server<T, M, F>
where
    T: Transport,
    M: MixIn + Default,
    F: Fn() -> H + Send + Sync + 'static,
    H: RequestHandler<T::Request>,
{
    /// Binds (and for streams, listens) with the default [`ServerOptions`].
    /// `factory` is called once per request to make its handler.
    pub fn bind<A>(address: A, factory: F) -> io::Result<Self>
    where
        T: Bind<A>,
    {
        Self::bind_with(address, &ServerOptions::default(), factory)
    }

    /// Binds with the given options (Python's class attributes such as
    /// `allow_reuse_address`, set before `server_bind`).
    pub fn bind_with<A>(address: A, options: &ServerOptions, factory: F) -> io::Result<Self>
    where
        T: Bind<A>,
    {
        let transport = T::bind(address, options)?;
        Self::from_transport(transport, M::default(), factory)
    }
}

impl<T, M, F, H> Server<T, M, F>
where
    T: Transport,
    M: MixIn,
    F: Fn() -> H + Send + Sync + 'static,
    H: RequestHandler<T::Request>,
{
    /// Builds a server around an already bound transport and a configured mix-in.
    pub fn from_transport(transport: T, mixin: M, factory: F) -> io::Result<Self> {
        let control = Arc::new(Control::new(transport.server_address())?);
        let close_in_child = close_in_child(&transport, &control);
        Ok(Server {
            transport: Some(transport),
            mixin,
            factory: Arc::new(factory),
            hooks: Hooks::default(),
            control,
            timeout: None,
            close_in_child,
        })
    }

    /// Handles requests until [`shutdown`](Self::shutdown) is called,
    /// running `service_actions` at least every 0.5 s.
    ///
    /// ```
    /// use std::io::{self, BufRead, BufReader, Write};
    /// use std::net::TcpStream;
    /// use std::sync::Arc;
    /// use framework::{RequestHandler, StreamRequest, ThreadingTcpServer};
    ///
    /// struct Hello;
    /// impl RequestHandler<StreamRequest> for Hello {
    ///     fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
    ///         writeln!(req.wfile, "hello, {}", req.client_address)
    ///     }
    /// }
    ///
    /// # fn main() -> io::Result<()> {
    /// // Port 0: the system picks a free port; server_address() tells which.
    /// let server = Arc::new(ThreadingTcpServer::bind("127.0.0.1:0", || Hello)?);
    /// let address = server.server_address().inet().unwrap();
    /// let looping = Arc::clone(&server);
    /// let thread = std::thread::spawn(move || looping.serve_forever());
    ///
    /// let mut line = String::new();
    /// BufReader::new(TcpStream::connect(address)?).read_line(&mut line)?;
    /// assert!(line.starts_with("hello, 127.0.0.1:"));
    ///
    /// server.shutdown(); // returns once serve_forever has returned
    /// thread.join().unwrap()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn serve_forever(&self) -> io::Result<()> {
        self.serve_forever_with_poll_interval(DEFAULT_POLL_INTERVAL)
    }

    /// Python's `serve_forever(poll_interval)`. Shutdown does not wait for
    /// the interval: it wakes the loop at once. The interval only sets how
    /// often `service_actions` runs while the server is idle.
    pub fn serve_forever_with_poll_interval(&self, poll_interval: Duration) -> io::Result<()> {
        let _running = self.control.enter_loop()?;
        while !self.control.shutdown_requested() {
            let ready = self.wait_readable(Some(poll_interval))?;
            // Checked again after the wait, so that a request arriving with
            // the shutdown is not accepted (CPython bpo-35017).
            if self.control.shutdown_requested() {
                break;
            }
            if ready {
                self.handle_ready_requests();
            }
            self.service_actions();
        }
        Ok(())
    }

    /// Handles one request, waiting at most [`timeout`](Self::set_timeout)
    /// for it; when none comes in time, runs `handle_timeout` instead.
    ///
    /// ```
    /// use std::io;
    /// use std::time::Duration;
    /// use framework::{DatagramRequest, RequestHandler, UdpServer};
    ///
    /// /// Answers each datagram with its length.
    /// struct Length;
    /// impl RequestHandler<DatagramRequest> for Length {
    ///     fn handle(&mut self, req: &mut DatagramRequest) -> io::Result<()> {
    ///         let n = req.packet().len();
    ///         req.wfile.extend_from_slice(n.to_string().as_bytes());
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # fn main() -> io::Result<()> {
    /// let mut server = UdpServer::bind("127.0.0.1:0", || Length)?;
    /// server.set_timeout(Some(Duration::from_millis(50)));
    /// server.set_handle_timeout(|| println!("nobody came"));
    /// server.handle_request()?; // nothing arrives: prints "nobody came"
    ///
    /// let client = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// client.send_to(b"four", server.server_address().inet().unwrap())?;
    /// server.handle_request()?; // handles that datagram
    /// let mut reply = [0u8; 8];
    /// let n = client.recv(&mut reply)?;
    /// assert_eq!(&reply[..n], b"4");
    /// # Ok(())
    /// # }
    /// ```
    pub fn handle_request(&self) -> io::Result<()> {
        let deadline = self.timeout.map(|timeout| Instant::now() + timeout);
        loop {
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if self.wait_readable(remaining)? {
                // An accept error is ignored, as in Python: the call returns.
                let _ = self.handle_one_request();
                break;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                self.hooks.handle_timeout();
                break;
            }
            // Woken by a signal or the shutdown pipe: keep waiting.
        }
        // Better than Python: children are reaped here too, not only when a
        // timeout fires, so a handle_request loop leaves no zombies.
        self.mixin.service_actions();
        Ok(())
    }

    /// Stops `serve_forever` and waits until it has returned. See
    /// [`ServerHandle::shutdown`].
    pub fn shutdown(&self) {
        self.control.shutdown();
    }

    /// A cloneable handle to shut the server down from another thread.
    pub fn handle(&self) -> ServerHandle {
        ServerHandle::new(Arc::clone(&self.control))
    }

    /// Makes Ctrl+C (SIGINT), SIGTERM and SIGHUP stop `serve_forever`
    /// gracefully. Can be set once per process (the `ctrlc` crate's rule).
    pub fn shutdown_on_ctrl_c(&self) -> io::Result<()> {
        let handle = self.handle();
        ctrlc::set_handler(move || handle.request_shutdown()).map_err(io::Error::other)
    }

    /// Where the server listens; port 0 has become the real port.
    pub fn server_address(&self) -> Address {
        self.transport().server_address()
    }

    /// How long `handle_request` waits (Python's `timeout`; `None`: forever).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Sets the `handle_request` timeout.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// Python's `verify_request`: return `false` to refuse a client; its
    /// request is then closed and no handler runs.
    ///
    /// ```no_run
    /// # use framework::{RequestHandler, StreamRequest, ThreadingTcpServer};
    /// # struct Echo;
    /// # impl RequestHandler<StreamRequest> for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest) -> std::io::Result<()> { Ok(()) }
    /// # }
    /// # fn main() -> std::io::Result<()> {
    /// let mut server = ThreadingTcpServer::bind("0.0.0.0:9999", || Echo)?;
    /// // Only clients on this machine.
    /// server.set_verify_request(|client| client.inet().is_some_and(|a| a.ip().is_loopback()));
    /// server.serve_forever()
    /// # }
    /// ```
    pub fn set_verify_request(&mut self, hook: impl Fn(&Address) -> bool + Send + Sync + 'static) {
        self.hooks.verify_request = Some(Arc::new(hook));
    }

    /// Python's `handle_error`: called when a handler fails or panics. The
    /// default prints a report naming the client on stderr.
    pub fn set_handle_error(
        &mut self,
        hook: impl Fn(&Address, &RequestError) + Send + Sync + 'static,
    ) {
        self.hooks.handle_error = Arc::new(hook);
    }

    /// Python's `service_actions`: called on every pass of `serve_forever`.
    pub fn set_service_actions(&mut self, hook: impl Fn() + Send + Sync + 'static) {
        self.hooks.service_actions = Some(Arc::new(hook));
    }

    /// Python's `handle_timeout`: called when `handle_request` times out.
    pub fn set_handle_timeout(&mut self, hook: impl Fn() + Send + Sync + 'static) {
        self.hooks.handle_timeout = Some(Arc::new(hook));
    }

    /// The concurrency mix-in, to read its state.
    pub fn mixin(&self) -> &M {
        &self.mixin
    }

    /// The concurrency mix-in, to set `max_children`, `daemon_threads`...
    pub fn mixin_mut(&mut self) -> &mut M {
        &mut self.mixin
    }

    /// Python's `server_close`: closes the socket, then (with
    /// `block_on_close`) waits for running threads or children. Dropping the
    /// server does the same.
    pub fn server_close(self) {
        drop(self);
    }

    fn transport(&self) -> &T {
        self.transport
            .as_ref()
            .expect("the transport lives until drop")
    }

    fn service_actions(&self) {
        self.mixin.service_actions();
        self.hooks.service_actions();
    }

    /// Waits until the server socket is readable, the wake-up pipe fires or
    /// `timeout` passes. Returns whether a request is waiting.
    fn wait_readable(&self, timeout: Option<Duration>) -> io::Result<bool> {
        let readable = PollFlags::POLLIN;
        let mut fds = [
            PollFd::new(self.transport().as_fd(), readable),
            PollFd::new(self.control.wake_fd(), readable),
        ];
        let timeout = match timeout {
            Some(t) => PollTimeout::try_from(t).unwrap_or(PollTimeout::MAX),
            None => PollTimeout::NONE,
        };
        match poll(&mut fds, timeout) {
            Ok(_) => {}
            Err(Errno::EINTR) => return Ok(false),
            Err(err) => return Err(err.into()),
        }
        let fired = |fd: &PollFd<'_>| fd.revents().is_some_and(|r| !r.is_empty());
        if fired(&fds[1]) {
            self.control.drain_wake_pipe();
        }
        Ok(fired(&fds[0]))
    }

    /// Takes every request that is ready, up to a batch, then returns to the loop.
    fn handle_ready_requests(&self) {
        for _ in 0..REQUESTS_PER_WAKEUP {
            if self.control.shutdown_requested() {
                break;
            }
            if let Err(err) = self.handle_one_request() {
                if is_resource_shortage(&err) {
                    self.back_off();
                }
                break;
            }
        }
    }

    /// Python's `_handle_request_noblock`. Fails only when accept/recvfrom
    /// failed (`WouldBlock` when no request was waiting); like Python, the
    /// loop ignores that error.
    fn handle_one_request(&self) -> io::Result<()> {
        let request = self.transport().get_request(&self.handle())?;
        let client = request.client_address().clone();
        if !self.hooks.verify(&client) {
            request.close();
            return Ok(());
        }
        let job = self.job(request);
        if let Err(err) = self.mixin.process_request(job, &self.close_in_child) {
            (self.hooks.handle_error)(&client, &RequestError::Io(err));
        }
        Ok(())
    }

    /// Out of descriptors or memory, `accept` fails while the connection
    /// stays queued, so the socket stays readable: Python's loop then spins
    /// at full CPU. Pause instead (still waking at once for shutdown) and let
    /// running requests finish and free what they hold.
    fn back_off(&self) {
        let mut fds = [PollFd::new(self.control.wake_fd(), PollFlags::POLLIN)];
        let _ = poll(&mut fds, PollTimeout::from(BACK_OFF_MS));
    }

    /// Packs the whole work of one request (Python's `finish_request`,
    /// `handle_error` and `shutdown_request`) into a closure the mix-in runs.
    fn job(&self, mut request: T::Request) -> Job {
        let factory = Arc::clone(&self.factory);
        let handle_error = Arc::clone(&self.hooks.handle_error);
        Box::new(move || {
            let result =
                panic::catch_unwind(AssertUnwindSafe(|| run_handler(factory(), &mut request)))
                    .unwrap_or_else(|payload| {
                        Err(RequestError::Panic(panic_message(payload.as_ref())))
                    });
            if let Err(err) = &result {
                handle_error(request.client_address(), err);
            }
            request.close();
            result.is_ok()
        })
    }
}

/// What a forked child must close: the wake-up pipe and, for streams, the
/// listening socket (a datagram child still replies through its socket).
fn close_in_child<T: Transport>(transport: &T, control: &Control) -> Vec<RawFd> {
    let mut fds = control.pipe_fds().to_vec();
    if T::IS_STREAM {
        fds.push(transport.as_fd().as_raw_fd());
    }
    fds
}

impl<T: Transport, M: MixIn, F> AsFd for Server<T, M, F> {
    /// Python's `fileno()`: the server socket, e.g. to add it to a selector.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.transport
            .as_ref()
            .expect("the transport lives until drop")
            .as_fd()
    }
}

impl<T: Transport, M: MixIn, F> Drop for Server<T, M, F> {
    fn drop(&mut self) {
        // Close the socket first, so that no new client queues up while we
        // wait for the running ones.
        drop(self.transport.take());
        self.mixin.server_close();
    }
}
