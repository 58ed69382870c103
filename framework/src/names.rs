//! The twelve server classes of Python's `socketserver`, by name.
//!
//! Each alias fixes the transport and the mix-in; `F` is the handler factory,
//! inferred from the closure given to `bind`.

use crate::{
    ForkingMixIn, Sequential, Server, TcpTransport, ThreadPoolMixIn, ThreadingMixIn, UdpTransport,
    UnixDatagramTransport, UnixStreamTransport,
};

/// TCP, one request at a time (Python's `TCPServer`).
pub type TcpServer<F> = Server<TcpTransport, Sequential, F>;
/// TCP, a thread per connection (Python's `ThreadingTCPServer`).
pub type ThreadingTcpServer<F> = Server<TcpTransport, ThreadingMixIn, F>;
/// TCP, a child process per connection (Python's `ForkingTCPServer`).
pub type ForkingTcpServer<F> = Server<TcpTransport, ForkingMixIn, F>;

/// UDP, one datagram at a time (Python's `UDPServer`).
pub type UdpServer<F> = Server<UdpTransport, Sequential, F>;
/// UDP, a thread per datagram (Python's `ThreadingUDPServer`).
pub type ThreadingUdpServer<F> = Server<UdpTransport, ThreadingMixIn, F>;
/// UDP, a child process per datagram (Python's `ForkingUDPServer`).
pub type ForkingUdpServer<F> = Server<UdpTransport, ForkingMixIn, F>;

/// Unix stream socket, one connection at a time (Python's `UnixStreamServer`).
pub type UnixStreamServer<F> = Server<UnixStreamTransport, Sequential, F>;
/// Unix stream socket, a thread per connection (`ThreadingUnixStreamServer`).
pub type ThreadingUnixStreamServer<F> = Server<UnixStreamTransport, ThreadingMixIn, F>;
/// Unix stream socket, a child per connection (`ForkingUnixStreamServer`).
pub type ForkingUnixStreamServer<F> = Server<UnixStreamTransport, ForkingMixIn, F>;

/// Unix datagram socket, one datagram at a time (Python's `UnixDatagramServer`).
pub type UnixDatagramServer<F> = Server<UnixDatagramTransport, Sequential, F>;
/// Unix datagram socket, a thread per datagram (`ThreadingUnixDatagramServer`).
pub type ThreadingUnixDatagramServer<F> = Server<UnixDatagramTransport, ThreadingMixIn, F>;
/// Unix datagram socket, a child per datagram (`ForkingUnixDatagramServer`).
pub type ForkingUnixDatagramServer<F> = Server<UnixDatagramTransport, ForkingMixIn, F>;

/// TCP, a fixed pool of worker threads (see [`ThreadPoolMixIn`]).
pub type ThreadPoolTcpServer<F> = Server<TcpTransport, ThreadPoolMixIn, F>;
/// UDP, a fixed pool of worker threads.
pub type ThreadPoolUdpServer<F> = Server<UdpTransport, ThreadPoolMixIn, F>;
/// Unix stream socket, a fixed pool of worker threads.
pub type ThreadPoolUnixStreamServer<F> = Server<UnixStreamTransport, ThreadPoolMixIn, F>;
/// Unix datagram socket, a fixed pool of worker threads.
pub type ThreadPoolUnixDatagramServer<F> = Server<UnixDatagramTransport, ThreadPoolMixIn, F>;

/// TCP, every connection served by one event loop on `epoll` (the course's
/// IO multiplexing model; the handler is a [`Protocol`](crate::Protocol)).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub type EpollTcpServer<P, F> = crate::EventLoopServer<TcpTransport, P, F>;
/// Unix stream socket, every connection served by one event loop on `epoll`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub type EpollUnixStreamServer<P, F> = crate::EventLoopServer<UnixStreamTransport, P, F>;
