//! Helpers for tests that run a sequential or threading server inside the
//! test process (never a forking one: see `process`). Every wait has a
//! deadline, so a loop that never returns fails its test instead of hanging
//! the run.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use framework::{
    EpollTcpServer, MixIn, Protocol, RequestHandler, Server, StreamRequest, TcpTransport,
};

/// How long any single step of an in-process test may take.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Runs `f` on a thread and returns its result, failing the test if it takes
/// longer than `deadline` (a hang becomes a failure, not a stuck test run).
pub fn within<R: Send + 'static>(deadline: Duration, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(deadline)
        .unwrap_or_else(|_| panic!("did not finish within {deadline:?}"))
}

/// A TCP server running `serve_forever` on its own thread.
pub struct Running<M: MixIn, F> {
    /// The server, shared with the loop's thread.
    pub server: Arc<Server<TcpTransport, M, F>>,
    thread: thread::JoinHandle<io::Result<()>>,
}

impl<M, F, H> Running<M, F>
where
    M: MixIn,
    F: Fn() -> H + Send + Sync + 'static,
    H: RequestHandler<StreamRequest>,
{
    /// Starts `serve_forever_with_poll_interval` on a new thread.
    pub fn start(server: Server<TcpTransport, M, F>, poll_interval: Duration) -> Self {
        let server = Arc::new(server);
        let looping = Arc::clone(&server);
        let thread = thread::spawn(move || looping.serve_forever_with_poll_interval(poll_interval));
        Running { server, thread }
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.server.server_address().inet().expect("a TCP server")
    }

    /// Shuts the loop down and joins it (bounded); returns the server, not
    /// yet closed.
    pub fn stop(self) -> Server<TcpTransport, M, F> {
        let Running { server, thread } = self;
        let stopping = Arc::clone(&server);
        within(DEADLINE, move || {
            stopping.shutdown();
            thread.join().unwrap().unwrap();
        });
        Arc::try_unwrap(server)
            .ok()
            .expect("the loop thread has let go of the server")
    }
}

/// Echoes lines until the client closes.
pub struct Echo;

impl RequestHandler<StreamRequest> for Echo {
    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        let mut line = Vec::new();
        while request.rfile.read_until(b'\n', &mut line)? > 0 {
            request.wfile.write_all(&line)?;
            line.clear();
        }
        Ok(())
    }
}

/// Connects with a read timeout of [`DEADLINE`].
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream
}

/// Sends `line` and reads one line back.
pub fn ask(stream: &mut TcpStream, line: &str) -> String {
    stream.write_all(line.as_bytes()).unwrap();
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).unwrap();
    answer
}

/// A gate that handlers wait at until the test opens it.
#[derive(Clone, Default)]
pub struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    /// Lets every waiting (and future) handler through.
    pub fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }

    fn wait(&self) {
        let (open, changed) = &*self.0;
        let mut open = open.lock().unwrap();
        while !*open {
            open = changed.wait(open).unwrap();
        }
    }
}

/// A handler that says `in\n`, then waits at its gate.
pub struct WaitAtGate(pub Gate);

impl RequestHandler<StreamRequest> for WaitAtGate {
    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        request.wfile.write_all(b"in\n")?;
        self.0.wait();
        Ok(())
    }
}

/// Reads the `in\n` of a [`WaitAtGate`] handler: it is running now.
pub fn read_in(stream: &mut TcpStream) {
    let mut line = [0u8; 3];
    stream.read_exact(&mut line).unwrap();
    assert_eq!(&line, b"in\n");
}

/// An event-loop server running `serve_forever` on its own thread.
pub struct RunningLoop<P: Protocol, F> {
    /// The server, shared with the loop's thread.
    pub server: Arc<EpollTcpServer<P, F>>,
    thread: thread::JoinHandle<io::Result<()>>,
}

impl<P, F> RunningLoop<P, F>
where
    P: Protocol,
    F: Fn() -> P + Send + Sync + 'static,
{
    /// Starts `serve_forever_with_poll_interval` on a new thread.
    pub fn start(server: EpollTcpServer<P, F>, poll_interval: Duration) -> Self {
        let server = Arc::new(server);
        let looping = Arc::clone(&server);
        let thread = thread::spawn(move || looping.serve_forever_with_poll_interval(poll_interval));
        RunningLoop { server, thread }
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.server.server_address().inet().expect("a TCP server")
    }

    /// Shuts the loop down and joins it (bounded); returns the server, not
    /// yet closed.
    pub fn stop(self) -> EpollTcpServer<P, F> {
        let RunningLoop { server, thread } = self;
        let stopping = Arc::clone(&server);
        within(DEADLINE, move || {
            stopping.shutdown();
            thread.join().unwrap().unwrap();
        });
        Arc::try_unwrap(server)
            .ok()
            .expect("the loop thread has let go of the server")
    }
}

/// Raises this process's descriptor limit to its hard limit (a test with
/// thousands of connections needs two descriptors each, client and server).
pub fn raise_fd_limit() -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).expect("setrlimit");
    hard
}
