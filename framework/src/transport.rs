//! The four kinds of server socket: TCP, UDP, Unix stream, Unix datagram.
//!
//! Python's `TCPServer`, `UDPServer` and the Unix variants differ only in
//! `address_family`, `socket_type` and a few methods (`get_request`,
//! `server_activate`). Here each is a [`Transport`]: it binds, reports its
//! address, and turns readiness into a [`Request`].

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::{UnixDatagram, UnixListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use socket2::{Domain, SockAddr, Socket, Type};

use crate::{
    Address, Connection, DatagramRequest, DatagramSocket, Request, ServerHandle, ServerOptions,
    StreamRequest,
};

/// A bound server socket that produces requests.
pub trait Transport: AsFd + Send + Sync + Sized + 'static {
    /// What one request is: a connection or a datagram.
    type Request: Request;
    /// True for connection-oriented sockets: a forked child closes its copy
    /// of the listening socket, while a datagram child still answers through it.
    const IS_STREAM: bool;

    /// Where the socket is bound; port 0 has become the real port.
    fn server_address(&self) -> Address;

    /// Python's `get_request`: `accept()` or `recvfrom()`. It never waits:
    /// it fails with `WouldBlock` when nothing is waiting.
    fn get_request(&self, server: &ServerHandle) -> io::Result<Self::Request>;
}

/// A connection-oriented transport (TCP, Unix stream): its requests are
/// accepted connections. The event-loop server needs the bare connection
/// (one descriptor, no buffered reader), so it accepts through this.
pub trait StreamTransport: Transport<Request = StreamRequest> {
    /// `accept()` without waiting: the connection (blocking, as handlers
    /// expect) and the peer's address; `WouldBlock` when nobody waits.
    fn accept_connection(&self) -> io::Result<(Connection, Address)>;
}

/// A transport that can be bound to an address of type `A`.
pub trait Bind<A>: Transport {
    /// Creates the socket, applies the options, binds and (for streams) listens.
    fn bind(address: A, options: &ServerOptions) -> io::Result<Self>;
}

/// Creates, configures and binds one socket; on any error the socket is
/// dropped here, so a failed bind leaks no descriptor.
fn bound_socket(
    domain: Domain,
    kind: Type,
    address: &SockAddr,
    options: &ServerOptions,
) -> io::Result<Socket> {
    let socket = Socket::new(domain, kind, None)?;
    let internet = domain == Domain::IPV4 || domain == Domain::IPV6;
    if options.allow_reuse_address {
        socket.set_reuse_address(true)?;
    }
    // Linux rejects SO_REUSEPORT on Unix sockets (Python checks the family too).
    if options.allow_reuse_port && internet {
        socket.set_reuse_port(true)?;
    }
    socket.bind(address)?;
    if kind == Type::STREAM {
        socket.listen(options.request_queue_size)?;
        // The loop waits with poll(); accept() must then never block.
        socket.set_nonblocking(true)?;
    }
    // A datagram socket stays blocking: replies go out through it and should
    // wait for buffer space. The loop receives with MSG_DONTWAIT instead.
    Ok(socket)
}

/// Tries each address a name resolves to, like `std::net::TcpListener::bind`.
fn bind_first(
    address: impl ToSocketAddrs,
    kind: Type,
    options: &ServerOptions,
) -> io::Result<Socket> {
    let mut last_error = None;
    for addr in address.to_socket_addrs()? {
        match bound_socket(Domain::for_address(addr), kind, &addr.into(), options) {
            Ok(socket) => return Ok(socket),
            Err(err) => last_error = Some(err),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to nothing",
        )
    }))
}

/// Handlers expect an ordinary blocking socket, but the listening socket is
/// non-blocking. On Linux `accept` never passes `O_NONBLOCK` on (accept(2)),
/// so this costs nothing there; elsewhere (the BSDs) it is one call.
fn blocking(stream: &impl AsFd) -> io::Result<()> {
    if cfg!(any(target_os = "linux", target_os = "android")) {
        return Ok(());
    }
    socket2::SockRef::from(stream).set_nonblocking(false)
}

fn inet_address(socket: &Socket) -> io::Result<SocketAddr> {
    socket
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an internet socket address"))
}

/// A listening TCP socket (Python's `TCPServer`).
#[derive(Debug)]
pub struct TcpTransport {
    listener: std::net::TcpListener,
    address: SocketAddr,
}

impl<A: ToSocketAddrs> Bind<A> for TcpTransport {
    fn bind(address: A, options: &ServerOptions) -> io::Result<Self> {
        let socket = bind_first(address, Type::STREAM, options)?;
        let address = inet_address(&socket)?;
        Ok(TcpTransport {
            listener: socket.into(),
            address,
        })
    }
}

impl Transport for TcpTransport {
    type Request = StreamRequest;
    const IS_STREAM: bool = true;

    fn server_address(&self) -> Address {
        Address::Inet(self.address)
    }

    fn get_request(&self, server: &ServerHandle) -> io::Result<StreamRequest> {
        let (connection, peer) = self.accept_connection()?;
        StreamRequest::new(connection, peer, server.clone())
    }
}

impl StreamTransport for TcpTransport {
    fn accept_connection(&self) -> io::Result<(Connection, Address)> {
        let (stream, peer) = self.listener.accept()?;
        blocking(&stream)?;
        Ok((Connection::Tcp(stream), Address::Inet(peer)))
    }
}

impl AsFd for TcpTransport {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }
}

/// A bound UDP socket (Python's `UDPServer`).
#[derive(Debug)]
pub struct UdpTransport {
    socket: Arc<DatagramSocket>,
    address: SocketAddr,
    max_packet_size: usize,
}

impl<A: ToSocketAddrs> Bind<A> for UdpTransport {
    fn bind(address: A, options: &ServerOptions) -> io::Result<Self> {
        let socket = bind_first(address, Type::DGRAM, options)?;
        let address = inet_address(&socket)?;
        Ok(UdpTransport {
            socket: Arc::new(DatagramSocket::Udp(socket.into())),
            address,
            max_packet_size: options.max_packet_size,
        })
    }
}

impl Transport for UdpTransport {
    type Request = DatagramRequest;
    const IS_STREAM: bool = false;

    fn server_address(&self) -> Address {
        Address::Inet(self.address)
    }

    fn get_request(&self, server: &ServerHandle) -> io::Result<DatagramRequest> {
        receive_datagram(&self.socket, self.max_packet_size, server)
    }
}

impl AsFd for UdpTransport {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

/// Python's `UDPServer.get_request`: one `recvfrom(max_packet_size)`.
fn receive_datagram(
    socket: &Arc<DatagramSocket>,
    max_packet_size: usize,
    server: &ServerHandle,
) -> io::Result<DatagramRequest> {
    let mut buf = vec![0u8; max_packet_size];
    let (len, truncated, from) = socket.recv_from_now(&mut buf)?;
    buf.truncate(len);
    let mut request = DatagramRequest::new(buf, from, Arc::clone(socket), server.clone());
    request.truncated = truncated;
    Ok(request)
}

/// Removes a Unix socket's file when the server that created it closes
/// (Python leaves it behind, and the next bind then fails).
#[derive(Debug)]
struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A listening Unix stream socket (Python's `UnixStreamServer`).
#[derive(Debug)]
pub struct UnixStreamTransport {
    listener: UnixListener,
    file: SocketFile,
}

impl<P: AsRef<Path>> Bind<P> for UnixStreamTransport {
    fn bind(path: P, options: &ServerOptions) -> io::Result<Self> {
        let path = path.as_ref();
        let socket = bound_socket(Domain::UNIX, Type::STREAM, &SockAddr::unix(path)?, options)?;
        Ok(UnixStreamTransport {
            listener: socket.into(),
            file: SocketFile(path.to_path_buf()),
        })
    }
}

impl Transport for UnixStreamTransport {
    type Request = StreamRequest;
    const IS_STREAM: bool = true;

    fn server_address(&self) -> Address {
        Address::Unix(Some(self.file.0.clone()))
    }

    fn get_request(&self, server: &ServerHandle) -> io::Result<StreamRequest> {
        let (connection, peer) = self.accept_connection()?;
        StreamRequest::new(connection, peer, server.clone())
    }
}

impl StreamTransport for UnixStreamTransport {
    fn accept_connection(&self) -> io::Result<(Connection, Address)> {
        let (stream, peer) = self.listener.accept()?;
        blocking(&stream)?;
        Ok((Connection::Unix(stream), Address::from_unix(&peer)))
    }
}

impl AsFd for UnixStreamTransport {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }
}

/// A bound Unix datagram socket (Python's `UnixDatagramServer`).
#[derive(Debug)]
pub struct UnixDatagramTransport {
    socket: Arc<DatagramSocket>,
    max_packet_size: usize,
    file: SocketFile,
}

impl<P: AsRef<Path>> Bind<P> for UnixDatagramTransport {
    fn bind(path: P, options: &ServerOptions) -> io::Result<Self> {
        let path = path.as_ref();
        let socket = bound_socket(Domain::UNIX, Type::DGRAM, &SockAddr::unix(path)?, options)?;
        let socket: UnixDatagram = socket.into();
        Ok(UnixDatagramTransport {
            socket: Arc::new(DatagramSocket::Unix(socket)),
            max_packet_size: options.max_packet_size,
            file: SocketFile(path.to_path_buf()),
        })
    }
}

impl Transport for UnixDatagramTransport {
    type Request = DatagramRequest;
    const IS_STREAM: bool = false;

    fn server_address(&self) -> Address {
        Address::Unix(Some(self.file.0.clone()))
    }

    fn get_request(&self, server: &ServerHandle) -> io::Result<DatagramRequest> {
        receive_datagram(&self.socket, self.max_packet_size, server)
    }
}

impl AsFd for UnixDatagramTransport {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}
