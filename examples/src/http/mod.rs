//! The HTTP server: Python's `http.server` (`SimpleHTTPRequestHandler`), in
//! Rust, on the framework — and a static file server a person would use.
//!
//! ```text
//! http-server [--bind ADDR] [--directory DIR] [--protocol HTTP/1.0|HTTP/1.1]
//!             [--model threading|forking|sequential] [PORT]
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
//! | idle keep-alive connections wait in one epoll loop, not a thread each | [`idle`] |
//! | answer what has arrived, without waiting (accept loop, idle loop) | [`ready`] |
//! | writes that wait (a thread) or never wait (the loops) | [`sink`] |

pub mod cache;
pub mod conditional;
pub mod files;
pub mod handler;
pub mod head;
pub mod idle;
pub mod limit;
pub mod listing;
pub mod log;
pub mod path;
pub mod range;
pub mod ready;
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
    Address, ForkingMixIn, MixIn, RequestHandler, Sequential, Server, ServerOptions, StreamRequest,
    TcpTransport,
};

pub use handler::{HttpHandler, Site};
pub use head::Version;

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
    /// How connections run: a thread each (like Python's
    /// ThreadingHTTPServer), a child process each, or one at a time.
    #[arg(long, value_enum, default_value_t = HttpModel::Threading)]
    model: HttpModel,
    /// Most children at once in the forking model (Python's `max_children`).
    #[arg(long, default_value_t = 40)]
    max_children: usize,
    /// Seconds a client has to send a whole request head (also the idle
    /// keep-alive time and the longest stall while we write to it).
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS", value_parser = crate::serving::positive_seconds)]
    timeout: f64,
    /// Most connections handled at once; clients beyond it get 503.
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
    /// Do not write the access log to stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Port to listen on (0 picks a free one).
    #[arg(default_value_t = 8000)]
    port: u16,
}

/// The concurrency models: the framework's three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HttpModel {
    /// Threads for the connections that wait (the framework's
    /// `ThreadingMixIn`); what needs no waiting is answered by the accept
    /// loop, and idle keep-alive connections wait in one epoll loop.
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
            max_connections: args.max_connections,
            access_log: !args.quiet,
            // Only threads can park connections and go on: a forked child
            // serves one connection and exits.
            idle_loop: args.model == HttpModel::Threading,
        },
    )?;
    let factory = move || HttpHandler::new(Arc::clone(&site));
    let address = (args.bind.as_str(), args.port);
    // Like http.server: SO_REUSEADDR, so a restart does not wait for TIME_WAIT.
    let options = ServerOptions::reuse_address();
    match args.model {
        // Both run the framework's one-at-a-time accept loop. In the
        // threading model the handler answers what has arrived and passes
        // waiting work on to threads (see `HttpHandler`): the loop must not
        // be a thread per connection itself, or every request would pay a
        // thread switch.
        HttpModel::Sequential | HttpModel::Threading => serve(
            Server::<TcpTransport, Sequential, _>::bind_with(address, &options, factory)?,
        ),
        HttpModel::Forking => {
            let mut server =
                Server::<TcpTransport, ForkingMixIn, _>::bind_with(address, &options, factory)?;
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
