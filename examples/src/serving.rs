//! Starting a server the same way in every binary: the `Serving ...` line,
//! Ctrl+C handling, and the choice of concurrency model on the command line.

use std::io::{self, Write};

use framework::{
    Address, Bind, EventLoopServer, ForkingMixIn, MixIn, Protocol, RequestHandler, Sequential,
    Server, ServerOptions, StreamTransport, ThreadPoolMixIn, ThreadingMixIn, Transport,
};

/// How a server runs its requests, as chosen with `--model`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Model {
    /// One request at a time (the "loop server").
    Sequential,
    /// A thread per request.
    Threading,
    /// A child process per request.
    Forking,
    /// A fixed pool of worker threads and a bounded queue.
    Pool,
    /// One event loop (epoll) serving every connection: IO multiplexing.
    Poll,
}

impl Model {
    /// The model's name as typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Model::Sequential => "sequential",
            Model::Threading => "threading",
            Model::Forking => "forking",
            Model::Pool => "pool",
            Model::Poll => "poll",
        }
    }
}

/// The first line every server prints: `Serving <what> on <host> port <port> ...`.
pub fn serving_line(what: &str, address: &Address) -> String {
    match address {
        Address::Inet(addr) => format!("Serving {what} on {} port {} ...", addr.ip(), addr.port()),
        other => format!("Serving {what} on {other} ..."),
    }
}

/// The first line a started server prints on its (piped) stdout, waited
/// for at most `wait`; `None` if none came. The rest of its stdout is read
/// and dropped, so that the server never blocks on a full pipe.
pub fn first_line(child: &mut std::process::Child, wait: std::time::Duration) -> Option<String> {
    use std::io::BufRead;
    let stdout = child.stdout.take()?;
    let (first, line) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = io::BufReader::new(stdout).lines();
        if let Some(Ok(line)) = lines.next() {
            let _ = first.send(line);
        }
        lines.for_each(drop);
    });
    line.recv_timeout(wait).ok()
}

/// The port in a serving line (or any line with ` port N`): the reading
/// side of [`serving_line`]'s contract, for programs that start servers.
pub fn port_in(line: &str) -> Option<u16> {
    line.split(" port ")
        .nth(1)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Prints the `Serving ...` line and flushes it, so a reader sees it at once
/// even when stdout is a pipe.
pub fn announce(what: &str, address: &Address) {
    let _ = print_flushed(&serving_line(what, address));
}

/// Parses a number of seconds greater than zero (and small enough for a
/// `Duration`): a `clap` value parser for options such as `--timeout`.
pub fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() && s < 1e9 => Ok(s),
        _ => Err(format!(
            "{text:?} is not a number of seconds greater than 0"
        )),
    }
}

/// Prints `line` and flushes stdout (a pipe would otherwise hold it back).
pub fn print_flushed(line: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}

/// Announces the server, makes Ctrl+C and SIGTERM stop it gracefully, and
/// serves until then. Dropping the server at the end waits for running requests.
pub fn serve<T, M, F, H>(server: Server<T, M, F>, what: &str) -> io::Result<()>
where
    T: Transport,
    M: MixIn,
    F: Fn() -> H + Send + Sync + 'static,
    H: RequestHandler<T::Request>,
{
    announce(what, &server.server_address());
    server.shutdown_on_ctrl_c()?;
    server.serve_forever()
}

/// Announces an event-loop server and serves it until Ctrl+C or SIGTERM.
/// Dropping it at the end closes the connections still open.
pub fn serve_event_loop<T, P, F>(server: EventLoopServer<T, P, F>, what: &str) -> io::Result<()>
where
    T: StreamTransport,
    P: Protocol,
    F: Fn() -> P + Send + Sync + 'static,
{
    announce(what, &server.server_address());
    server.shutdown_on_ctrl_c()?;
    server.serve_forever()
}

/// Binds an event-loop server (`--model poll`, with `--loops`) and serves
/// it (see [`serve_event_loop`]). `factory` makes one protocol per connection.
pub fn run_event_loop<T, A, P, F>(
    model: &ModelArgs,
    address: A,
    options: &ServerOptions,
    what: &str,
    factory: F,
) -> io::Result<()>
where
    T: StreamTransport + Bind<A>,
    P: Protocol,
    F: Fn() -> P + Send + Sync + 'static,
{
    let mut server = EventLoopServer::<T, P, F>::bind_with(address, options, factory)?;
    server.set_loops(usize::from(model.loops))?;
    let loops = match model.loops {
        1 => String::new(),
        n => format!(" ({n} loops)"),
    };
    serve_event_loop(server, &format!("{what}, poll{loops}"))
}

/// The command-line flags that choose a concurrency model; add them to a
/// binary's arguments with `#[command(flatten)]`.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// How requests run: one at a time, a thread each, a child process
    /// each, a fixed pool of threads, or all on one event loop (poll).
    #[arg(long, value_enum, default_value_t = Model::Threading)]
    pub model: Model,
    /// Most children at once in the forking model (Python's `max_children`).
    #[arg(long, default_value_t = 40)]
    pub max_children: usize,
    /// Worker threads in the pool model (default: min(32, cores + 4)).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Requests that may wait for a worker in the pool model; beyond them
    /// new clients are refused (closed at once).
    #[arg(long, default_value_t = 128)]
    pub queue: usize,
    /// Event loops (threads) in the poll model; one per core is usual.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub loops: u16,
    /// Threading model: Ctrl+C does not wait for running requests (Python's
    /// `daemon_threads`). Set by the program, not a flag.
    #[arg(skip)]
    pub daemon_threads: bool,
}

/// Binds a server with the chosen model and serves it (see [`serve`]).
/// `what` names the service in the `Serving ...` line; the model is added.
pub fn run<T, A, F, H>(
    model: &ModelArgs,
    address: A,
    options: &ServerOptions,
    what: &str,
    factory: F,
) -> io::Result<()>
where
    T: Bind<A>,
    F: Fn() -> H + Send + Sync + 'static,
    H: RequestHandler<T::Request>,
{
    let what = format!("{what}, {}", model.model.name());
    match model.model {
        Model::Sequential => serve(
            Server::<T, Sequential, F>::bind_with(address, options, factory)?,
            &what,
        ),
        Model::Threading => {
            let mut server = Server::<T, ThreadingMixIn, F>::bind_with(address, options, factory)?;
            server.mixin_mut().daemon_threads = model.daemon_threads;
            serve(server, &what)
        }
        Model::Forking => {
            let mut server = Server::<T, ForkingMixIn, F>::bind_with(address, options, factory)?;
            server.mixin_mut().max_children = model.max_children;
            serve(server, &what)
        }
        Model::Pool => {
            let mut pool = ThreadPoolMixIn::default();
            pool.workers = model.workers.unwrap_or(pool.workers);
            pool.queue_size = model.queue;
            let what = format!("{what} ({} workers)", pool.workers);
            let server = Server::<T, ThreadPoolMixIn, F>::from_transport(
                T::bind(address, options)?,
                pool,
                factory,
            )?;
            serve(server, &what)
        }
        Model::Poll => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "this server has no event-loop version (--model poll)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_of_a_serving_line_reads_back() {
        let address = Address::Inet("127.0.0.1:40123".parse().unwrap());
        assert_eq!(port_in(&serving_line("echo", &address)), Some(40123));
        let http = "Serving HTTP on 127.0.0.1 port 8000 (http://127.0.0.1:8000/) ...";
        assert_eq!(port_in(http), Some(8000));
        assert_eq!(port_in("Serving echo on /tmp/s ..."), None);
    }
}
