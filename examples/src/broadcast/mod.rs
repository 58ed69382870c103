//! The UDP broadcaster: one sender, every receiver on the port gets a copy.
//!
//! ```text
//! broadcast-send [--to ADDR:PORT] [--interval SECONDS] [--count N] [MESSAGE]
//! broadcast-recv [--bind ADDR] [--port PORT] [--count N]
//! ```
//!
//! The default target is `127.255.255.255:9999`, the broadcast address of
//! the loopback network 127.0.0.0/8: it reaches every receiver on this host
//! and nothing beyond it. Three socket options make it work:
//!
//! - the sender sets `SO_BROADCAST`; without it the kernel refuses to send
//!   to a broadcast address (`EACCES`, "Permission denied");
//! - every receiver sets `SO_REUSEADDR` (and `SO_REUSEPORT`) before `bind`,
//!   so that several sockets can bind the same port; Linux then hands a copy
//!   of each broadcast datagram to every one of them;
//! - a receiver binds `0.0.0.0` (any address, as the course does) or the
//!   broadcast address `127.255.255.255` itself; one bound to `127.0.0.1`
//!   receives none of them, because the datagram is addressed elsewhere.
//!
//! Measured on this project's Linux machine: see `notes/06-udp-broadcast.md`.

pub mod recv;
pub mod send;

/// The course's port.
pub const DEFAULT_PORT: u16 = 9999;

/// The loopback network's broadcast address.
pub const LOOPBACK_BROADCAST: &str = "127.255.255.255";
