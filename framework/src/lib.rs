//! # framework: Python's `socketserver`, in Rust
//!
//! A small crate for writing network servers the way Python's
//! [`socketserver`](https://docs.python.org/3/library/socketserver.html)
//! does: pick a transport, pick how requests run concurrently, write a
//! handler with `setup` / `handle` / `finish`, and call `serve_forever`.
//!
//! Four server models, as the course teaches them:
//!
//! | model | here | handler |
//! |---|---|---|
//! | loop server (循环服务器) | [`TcpServer`], ... ([`Sequential`]) | [`RequestHandler`] |
//! | a thread per client (多线程并发) | [`ThreadingTcpServer`], ... ([`ThreadingMixIn`]); or a fixed pool: [`ThreadPoolTcpServer`] ([`ThreadPoolMixIn`]) | [`RequestHandler`] |
//! | a process per client (多进程并发) | [`ForkingTcpServer`], ... ([`ForkingMixIn`]) | [`RequestHandler`] |
//! | IO multiplexing (IO并发): one thread, epoll | [`EpollTcpServer`], [`EpollUnixStreamServer`] ([`EventLoopServer`]) | [`Protocol`] (or [`LineProtocol`] in [`Lines`]) |
//!
//! ```text
//!                    +-----------+
//!                    |  Server   |   serve_forever, handle_request, shutdown,
//!                    +-----------+   verify_request, handle_error, server_close
//!                   /      |      \
//!      +-----------+  +---------+  +----------------------+
//!      | Transport |  |  MixIn  |  | factory: Fn() -> H   |
//!      +-----------+  +---------+  +----------------------+
//!      TcpTransport   Sequential        H: RequestHandler<R>
//!      UdpTransport   ThreadingMixIn       setup / handle / finish
//!      UnixStream...  ForkingMixIn      R: StreamRequest (rfile, wfile)
//!      UnixDatagram...                     DatagramRequest (packet in, reply out)
//! ```
//!
//! Python builds twelve classes by multiple inheritance
//! (`class ThreadingTCPServer(ThreadingMixIn, TCPServer)`); here the same
//! choice is two type parameters, and the twelve names are type aliases.
//!
//! ## An echo server in full
//!
//! ```no_run
//! use std::io::{self, BufRead, Write};
//! use framework::{RequestHandler, StreamRequest, ThreadingTcpServer};
//!
//! struct Echo;
//!
//! impl RequestHandler<StreamRequest> for Echo {
//!     fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
//!         let mut line = String::new();
//!         while req.rfile.read_line(&mut line)? > 0 {
//!             req.wfile.write_all(line.to_uppercase().as_bytes())?;
//!             line.clear();
//!         }
//!         Ok(())
//!     }
//! }
//!
//! fn main() -> io::Result<()> {
//!     let server = ThreadingTcpServer::bind("127.0.0.1:9999", || Echo)?;
//!     println!("Serving on {}", server.server_address());
//!     server.shutdown_on_ctrl_c()?;
//!     server.serve_forever()
//! }
//! ```
//!
//! ## Python name → Rust name
//!
//! | Python `socketserver` | this crate |
//! |---|---|
//! | `TCPServer`, `UDPServer` | [`TcpServer`], [`UdpServer`] |
//! | `UnixStreamServer`, `UnixDatagramServer` | [`UnixStreamServer`], [`UnixDatagramServer`] |
//! | `ThreadingTCPServer`, `ForkingTCPServer`, ... (8 names) | [`ThreadingTcpServer`], [`ForkingTcpServer`], ... |
//! | `ThreadingMixIn`, `ForkingMixIn` | [`ThreadingMixIn`], [`ForkingMixIn`] (type parameter `M`); [`Sequential`] is the plain server |
//! | `BaseRequestHandler` (`setup`, `handle`, `finish`) | [`RequestHandler`] |
//! | `StreamRequestHandler.rfile` / `.wfile` | [`StreamRequest::rfile`] / [`StreamRequest::wfile`] |
//! | `DatagramRequestHandler.rfile` / `.wfile` | [`DatagramRequest::rfile`] / [`DatagramRequest::wfile`] |
//! | `self.client_address`, `self.server` | `request.client_address`, `request.server` ([`ServerHandle`]) |
//! | `RequestHandlerClass` | the factory closure given to [`Server::bind`] |
//! | `serve_forever(poll_interval)` | [`Server::serve_forever`], [`Server::serve_forever_with_poll_interval`] |
//! | `shutdown()` | [`Server::shutdown`], [`ServerHandle::shutdown`] |
//! | `handle_request()`, `timeout`, `handle_timeout()` | [`Server::handle_request`], [`Server::set_timeout`], [`Server::set_handle_timeout`] |
//! | `verify_request`, `handle_error`, `service_actions` | [`Server::set_verify_request`], [`Server::set_handle_error`], [`Server::set_service_actions`] |
//! | `server_close()`, `with server:` | [`Server::server_close`], dropping the server |
//! | `server_address` | [`Server::server_address`] |
//! | `allow_reuse_address`, `allow_reuse_port`, `request_queue_size`, `max_packet_size` | fields of [`ServerOptions`], given to [`Server::bind_with`] |
//! | `max_children`, `block_on_close` (forking) | [`ForkingMixIn`] fields, via [`Server::mixin_mut`] |
//! | `daemon_threads`, `block_on_close` (threading) | [`ThreadingMixIn`] fields, via [`Server::mixin_mut`] |
//! | `fileno()` | `AsFd` on [`Server`] |
//! | `StreamRequestHandler.timeout`, `disable_nagle_algorithm` | [`StreamRequest::set_timeout`], [`StreamRequest::set_nodelay`] |
//! | (`concurrent.futures.ThreadPoolExecutor` behind a server) | [`ThreadPoolMixIn`]: `workers`, `queue_size`; a full queue refuses the request |
//! | `asyncio.Protocol` (`connection_made`, `data_received`, `eof_received`, `connection_lost`) | [`Protocol`] (`connected`, `data_received`, `eof_received`, `closed`) |
//! | asyncio's `transport.write`, `close`, `abort`, `pause_reading` | [`Conn::write`], [`Conn::close`], [`Conn::abort`], [`Conn::pause_reading`] |
//! | `loop.create_server(factory, host, port)` + `serve_forever` | [`EventLoopServer::bind`] + [`EventLoopServer::serve_forever`] |
//! | Twisted's `LineReceiver` (`lineReceived`, `MAX_LENGTH`, `lineLengthExceeded`) | [`Lines`] + [`LineProtocol`] (`line_received`, [`Lines::with_max_line`], `line_too_long`) |
//!
//! ## Where it does better than Python
//!
//! - `shutdown()` wakes `serve_forever` at once through a pipe, instead of
//!   after up to `poll_interval` (CPython gh-88932); calling it before the
//!   loop started, or from a handler, does not deadlock.
//! - A panicking handler is reported through `handle_error` like an error,
//!   in threads and in forked children, and the server goes on.
//! - The threading mix-in counts live threads instead of keeping every
//!   thread until `server_close` (CPython bpo-37193).
//! - The forking mix-in only ever waits for its own children, and also
//!   reaps them in `handle_request` loops.
//! - The listen backlog defaults to the system's maximum, not 5.
//! - A Unix socket's file is removed when its server closes.
//! - When `accept` fails for want of descriptors (`EMFILE`), the loop pauses
//!   for 100 ms instead of spinning on the still-readable socket.
//! - A failed bind closes its socket before returning the error.
//! - A handler can keep its connection after `handle` returns
//!   ([`StreamRequest::detach`]), to hand it to another part of the
//!   program (a loop of its own, another thread) without the server
//!   sending end-of-file.
//! - A fourth model Python's `socketserver` lacks: an epoll event loop
//!   ([`EventLoopServer`]) with write queues, a per-connection output
//!   limit, idle and total timeouts, and the same life cycle (`shutdown`,
//!   `verify_request`, `handle_error`, `server_close`); ten thousand idle
//!   clients cost it about 0.2 KiB each (`cargo bench-echo`).

#![deny(missing_docs)]

mod address;
mod connection;
mod control;
mod datagram_socket;
mod error;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod event_loop;
mod handler;
mod hooks;
mod mixin;
mod names;
mod options;
mod request;
mod server;
mod transport;

pub use address::Address;
pub use connection::Connection;
pub use control::ServerHandle;
pub use datagram_socket::DatagramSocket;
pub use error::{RequestError, print_request_error};
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use event_loop::{
    Captured, CloseReason, Conn, ConnId, DEFAULT_MAX_LINE, DEFAULT_MAX_OUTPUT, EventLoopServer,
    LineProtocol, Lines, LoopConns, LoopHandle, MemoryLoop, Protocol, Timeout,
};
pub use handler::RequestHandler;
pub use mixin::{ForkingMixIn, Job, MixIn, Sequential, ThreadPoolMixIn, ThreadingMixIn};
pub use names::*;
pub use options::ServerOptions;
pub use request::{DatagramRequest, Request, StreamRequest};
pub use server::{DEFAULT_POLL_INTERVAL, Server};
pub use transport::{
    Bind, StreamTransport, TcpTransport, Transport, UdpTransport, UnixDatagramTransport,
    UnixStreamTransport,
};
