//! The server's datagram socket, UDP or Unix, shared by every request.

use std::io;
use std::mem::MaybeUninit;
use std::net::UdpSocket;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::UnixDatagram;
use std::path::Path;

use socket2::SockRef;

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

    /// Receives one datagram without waiting (`MSG_DONTWAIT`), returning its
    /// length, whether it was longer than `buf` and cut (`MSG_TRUNC`), and
    /// its sender.
    ///
    /// The server's loop calls this when poll said the socket is readable.
    /// The socket itself stays blocking, so that replies sent through it
    /// wait for room in the send buffer instead of failing with `WouldBlock`.
    pub(crate) fn recv_from_now(&self, buf: &mut [u8]) -> io::Result<(usize, bool, Address)> {
        let socket = SockRef::from(self);
        // SAFETY: every initialised byte is a valid `MaybeUninit<u8>`, and
        // recvfrom only ever writes initialised bytes into the buffer.
        let uninit = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
        let (len, from) =
            socket.recv_from_with_flags(uninit, libc::MSG_DONTWAIT | libc::MSG_TRUNC)?;
        let address = match self {
            DatagramSocket::Udp(_) => Address::Inet(from.as_socket().ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidData, "not an internet address")
            })?),
            DatagramSocket::Unix(_) => Address::Unix(from.as_pathname().map(Path::to_path_buf)),
        };
        // With MSG_TRUNC, Linux returns the datagram's real length.
        Ok((len.min(buf.len()), len > buf.len(), address))
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
