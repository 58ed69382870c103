//! The server's datagram socket, UDP or Unix, shared by every request.

use std::io;
use std::net::UdpSocket;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::UnixDatagram;

use crate::Address;

/// A bound datagram socket. Replies to clients go out through it, the way
/// Python's `DatagramRequestHandler` answers with `socket.sendto`.
#[derive(Debug)]
pub enum DatagramSocket {
    /// A UDP socket.
    Udp(UdpSocket),
    /// A Unix domain datagram socket.
    Unix(UnixDatagram),
}

impl DatagramSocket {
    /// Sends one datagram to `to`. A Unix peer without a path cannot be answered.
    pub fn send_to(&self, data: &[u8], to: &Address) -> io::Result<usize> {
        match (self, to) {
            (DatagramSocket::Udp(s), Address::Inet(addr)) => s.send_to(data, addr),
            (DatagramSocket::Unix(s), Address::Unix(Some(path))) => s.send_to(data, path),
            (DatagramSocket::Unix(_), Address::Unix(None)) => Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "the client's Unix datagram socket is unnamed, so it cannot be answered",
            )),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("address {to} does not belong to this socket's family"),
            )),
        }
    }

    /// Receives one datagram into `buf`, returning its length and sender.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, Address)> {
        match self {
            DatagramSocket::Udp(s) => s.recv_from(buf).map(|(n, a)| (n, Address::Inet(a))),
            DatagramSocket::Unix(s) => s.recv_from(buf).map(|(n, a)| (n, Address::from_unix(&a))),
        }
    }

    /// The address the socket is bound to.
    pub fn local_address(&self) -> io::Result<Address> {
        match self {
            DatagramSocket::Udp(s) => s.local_addr().map(Address::Inet),
            DatagramSocket::Unix(s) => s.local_addr().map(|a| Address::from_unix(&a)),
        }
    }
}

impl AsFd for DatagramSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            DatagramSocket::Udp(s) => s.as_fd(),
            DatagramSocket::Unix(s) => s.as_fd(),
        }
    }
}

impl AsRawFd for DatagramSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}
