//! Addresses of servers and clients, for every transport.
//!
//! Python hands you a tuple `(host, port)` for internet sockets and a string
//! for Unix sockets. Rust gives each its own type, so the framework joins
//! them into one enum that every handler can print and compare.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where a server listens or where a request came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// An IPv4 or IPv6 address with its port (TCP and UDP).
    Inet(SocketAddr),
    /// A Unix domain socket path; `None` for an unnamed (unbound) peer.
    Unix(Option<PathBuf>),
}

impl Address {
    /// The port of an internet address, `None` for Unix sockets.
    pub fn port(&self) -> Option<u16> {
        match self {
            Address::Inet(addr) => Some(addr.port()),
            Address::Unix(_) => None,
        }
    }

    /// The internet address, `None` for Unix sockets.
    pub fn inet(&self) -> Option<SocketAddr> {
        match self {
            Address::Inet(addr) => Some(*addr),
            Address::Unix(_) => None,
        }
    }

    /// The path of a Unix socket, `None` for internet sockets and unnamed peers.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Address::Unix(Some(path)) => Some(path),
            _ => None,
        }
    }

    pub(crate) fn from_unix(addr: &std::os::unix::net::SocketAddr) -> Address {
        Address::Unix(addr.as_pathname().map(Path::to_path_buf))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Inet(addr) => write!(f, "{addr}"),
            Address::Unix(Some(path)) => write!(f, "{}", path.display()),
            Address::Unix(None) => write!(f, "(unnamed)"),
        }
    }
}

impl From<SocketAddr> for Address {
    fn from(addr: SocketAddr) -> Self {
        Address::Inet(addr)
    }
}
