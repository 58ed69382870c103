//! The HTTP server: Python's `http.server` (`SimpleHTTPRequestHandler`), in
//! Rust, on the framework — and a static file server a person would use.
//!
//! ```text
//! http-server [--bind ADDR] [--directory DIR] [--protocol HTTP/1.0|HTTP/1.1]
//!             [--model poll|threading|forking|sequential] [--loops N]
//!             [--tls-cert PATH [--tls-key PATH] [--tls-password-file PATH]] [PORT]
//! ```
//!
//! The course's "httpserver, second version" (一个基于多线程并发的 HTTPServer):
//! receive the browser's request, parse it, decide what was asked for, and
//! answer in HTTP's format. Each step is one small file:
//!
//! | step | file |
//! |---|---|
//! | read a request head, with Python's limits and a deadline | [`head`] |
//! | turn the URL into a path that cannot leave the served directory | [`path`] |
//! | open it (symlinks checked by the kernel), list a directory | [`files`], [`listing`] |
//! | keep small files in memory, checked against the disk each time | [`cache`] |
//! | `If-None-Match`, `If-Modified-Since`, `Range` | [`conditional`], [`range`] |
//! | write the response head in one send, the body with `sendfile` | [`response`] |
//! | the Apache-style access log on stderr | [`log`] |
//! | the cap on concurrent connections (503 beyond it) | [`limit`] |
//! | one connection, request after request (keep-alive) | [`handler`] |
//! | the same on the framework's event loop: every connection, one thread | [`on_loop`] |
//! | writes that wait (a thread) or are queued (the event loop) | [`sink`] |

pub mod cache;
pub mod conditional;
pub mod files;
pub mod handler;
pub mod head;
pub mod limit;
pub mod listing;
pub mod log;
pub mod on_loop;
pub mod path;
pub mod range;
pub mod response;
pub mod sink;

use std::ffi::OsString;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use framework::{
    Address, EpollTcpServer, ForkingMixIn, MixIn, RequestHandler, Sequential, Server,
    ServerOptions, StreamRequest, TcpTransport, ThreadingMixIn,
};

pub use handler::{HttpHandler, Site};
pub use head::Version;
pub use on_loop::HttpProtocol;

use crate::tls::MaybeTls;

/// Serve a directory over HTTP (like `python3 -m http.server`).
#[derive(Parser, Debug)]
#[command(version)]
#[command(name = "http-server")]
struct Args {
    /// Address to bind.
    #[arg(long, short = 'b', default_value = "127.0.0.1")]
    bind: String,
    /// Directory to serve (default: the current directory).
    #[arg(long, short = 'd')]
    directory: Option<PathBuf>,
    /// HTTP version to answer with; HTTP/1.1 keeps connections open.
    #[arg(long, short = 'p', default_value = "HTTP/1.1", value_parser = parse_protocol)]
    protocol: Version,
    /// How connections run: all on one event loop, a thread each (like
    /// Python's ThreadingHTTPServer), a child process each, or one at a time.
    #[arg(long, value_enum, default_value_t = HttpModel::Poll)]
    model: HttpModel,
    /// Most children at once in the forking model (Python's `max_children`).
    #[arg(long, default_value_t = 40)]
    max_children: usize,
    /// Seconds a client has to send a whole request head (also the idle
    /// keep-alive time and the longest stall while we write to it).
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS", value_parser = crate::serving::positive_seconds)]
    timeout: f64,
    /// Most connections handled at once; clients beyond it get 503.
    /// Default: 16384 on the event loop, 256 with a thread or process each.
    #[arg(long)]
    max_connections: Option<usize>,
    /// Event loops (threads) in the poll model; one per core is usual.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    loops: u16,
    /// HTTPS (`--tls-cert`, `--tls-key`, `--tls-password-file`, as in
    /// Python 3.14's http.server); on the event loop.
    #[command(flatten)]
    tls: crate::tls::TlsArgs,
    /// Do not write the access log to stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Port to listen on (0 picks a free one).
    #[arg(default_value_t = 8000)]
    port: u16,
}

/// The concurrency models: the framework's four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HttpModel {
    /// Every connection on one event loop (`EventLoopServer`): an idle
    /// keep-alive connection costs a table entry, not a thread.
    Poll,
    /// A thread per connection (the framework's `ThreadingMixIn`), like
    /// Python's `ThreadingHTTPServer`.
    Threading,
    /// A child process per connection (`ForkingMixIn`).
    Forking,
    /// One connection at a time (the loop server); no keep-alive.
    Sequential,
}

fn parse_protocol(text: &str) -> Result<Version, String> {
    match text {
        "HTTP/1.0" => Ok(Version::HTTP_10),
        "HTTP/1.1" => Ok(Version::HTTP_11),
        _ => Err("use HTTP/1.0 or HTTP/1.1".to_string()),
    }
}

/// The whole `http-server` program: parses `args` (the first is the program
/// name) and serves until Ctrl+C.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    crate::memory::give_memory_back();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("http-server: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let directory = match &args.directory {
        Some(dir) => dir.clone(),
        None => std::env::current_dir()?,
    };
    let site = Site::open(
        &directory,
        handler::Settings {
            protocol: args.protocol,
            // A loop server (循环服务器) handles one connection at a time:
            // a kept-alive connection would shut every other client out.
            keep_alive: args.protocol >= Version::HTTP_11 && args.model != HttpModel::Sequential,
            timeout: Duration::from_secs_f64(args.timeout),
            max_connections: args.max_connections.unwrap_or(match args.model {
                HttpModel::Poll => 16384,
                _ => 256,
            }),
            access_log: !args.quiet,
        },
    )?;
    // Thousands of connections need a descriptor each: the soft limit is
    // often 1024, the hard one much higher.
    crate::proc_info::raise_fd_limit();
    let address = (args.bind.as_str(), args.port);
    // Like http.server: SO_REUSEADDR, so a restart does not wait for TIME_WAIT.
    let options = ServerOptions::reuse_address();
    let tls = args.tls.https_config()?;
    if tls.is_some() && args.model != HttpModel::Poll {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "HTTPS runs on the event loop: use --model poll (the default)",
        ));
    }
    let handler = {
        let site = Arc::clone(&site);
        move || HttpHandler::new(Arc::clone(&site))
    };
    match args.model {
        HttpModel::Poll => {
            let https = tls.is_some();
            let factory = move || MaybeTls::new(tls.as_ref(), HttpProtocol::new(Arc::clone(&site)));
            let mut server = EpollTcpServer::bind_with(address, &options, factory)?;
            server.set_loops(usize::from(args.loops))?;
            // A client that reads nothing for the timeout, while an answer
            // waits for it, is closed (as a thread's write timeout would).
            server.set_idle_timeout(Some(Duration::from_secs_f64(args.timeout)));
            serve_on_loop(server, https)
        }
        HttpModel::Sequential => serve(Server::<TcpTransport, Sequential, _>::bind_with(
            address, &options, handler,
        )?),
        HttpModel::Threading => {
            let mut server =
                Server::<TcpTransport, ThreadingMixIn, _>::bind_with(address, &options, handler)?;
            // Like ThreadingHTTPServer: Ctrl+C does not wait for open connections.
            server.mixin_mut().daemon_threads = true;
            serve(server)
        }
        HttpModel::Forking => {
            let mut server =
                Server::<TcpTransport, ForkingMixIn, _>::bind_with(address, &options, handler)?;
            server.mixin_mut().max_children = args.max_children;
            serve(server)
        }
    }
}

/// Python's banner, e.g. `Serving HTTP on 127.0.0.1 port 8000 (http://127.0.0.1:8000/) ...`.
pub fn banner(address: &SocketAddr) -> String {
    let host = address.ip();
    let url_host = match address {
        SocketAddr::V4(_) => host.to_string(),
        SocketAddr::V6(_) => format!("[{host}]"),
    };
    let port = address.port();
    format!("Serving HTTP on {host} port {port} (http://{url_host}:{port}/) ...")
}

/// Prints the banner and runs the event loop until Ctrl+C.
fn serve_on_loop<F>(
    server: EpollTcpServer<MaybeTls<HttpProtocol>, F>,
    https: bool,
) -> io::Result<()>
where
    F: Fn() -> MaybeTls<HttpProtocol> + Send + Sync + 'static,
{
    let Address::Inet(address) = server.server_address() else {
        unreachable!("a TCP server has an internet address");
    };
    let line = banner(&address);
    let line = match https {
        // Python 3.14's words for an HTTPS server.
        true => line
            .replacen("Serving HTTP", "Serving HTTPS", 1)
            .replacen("http://", "https://", 1),
        false => line,
    };
    crate::serving::print_flushed(&line)?;
    server.shutdown_on_ctrl_c()?;
    server.serve_forever()?;
    println!("\nKeyboard interrupt received, exiting.");
    Ok(())
}

fn serve<M, F>(server: Server<TcpTransport, M, F>) -> io::Result<()>
where
    M: MixIn,
    F: Fn() -> HttpHandler + Send + Sync + 'static,
    HttpHandler: RequestHandler<StreamRequest>,
{
    let Address::Inet(address) = server.server_address() else {
        unreachable!("a TCP server has an internet address");
    };
    crate::serving::print_flushed(&banner(&address))?;
    server.shutdown_on_ctrl_c()?;
    server.serve_forever()?;
    println!("\nKeyboard interrupt received, exiting.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_is_pythons() {
        let v4: SocketAddr = "127.0.0.1:8000".parse().unwrap();
        assert_eq!(
            banner(&v4),
            "Serving HTTP on 127.0.0.1 port 8000 (http://127.0.0.1:8000/) ..."
        );
        let v6: SocketAddr = "[::1]:8080".parse().unwrap();
        assert_eq!(
            banner(&v6),
            "Serving HTTP on ::1 port 8080 (http://[::1]:8080/) ..."
        );
    }
}
