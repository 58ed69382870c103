//! The chat room (the course's 聊天室 homework), over UDP and over TCP.
//!
//! ```text
//! chat-server [--tcp] [--bind ADDR] [--timeout SECONDS] [--queue KIB] [--write-timeout SECONDS] [--quiet] [PORT]
//! chat-client [--heartbeat SECONDS] [ADDR] NAME
//! ```
//!
//! - [`protocol`]: the rules both servers share: names, limits, the text of
//!   every notice, and the parsing of the course's `L` / `C` / `Q` datagrams;
//! - [`udp`]: the course's design, a `UdpServer` whose handler looks up the
//!   sender's address in a shared member list;
//! - [`tcp`]: the same room as lines over TCP on the framework's event loop
//!   (`EpollTcpServer`, one thread), usable with plain `nc`; [`tcp_room`]
//!   holds its state and its burst policy, [`tcp_input`] its framing;
//! - [`admin`]: lines typed at the server's terminal reach everyone as `admin`;
//! - [`server`], [`client`]: the two programs.
//!
//! The protocol byte by byte is in `notes/18-chat-room.md`.

pub mod admin;
pub mod client;
pub mod protocol;
pub mod server;
pub mod tcp;
pub mod tcp_input;
pub mod tcp_room;
pub mod udp;

/// The default port, the course's 8888.
pub const DEFAULT_PORT: u16 = 8888;

use std::time::Duration;

/// How a chat server behaves; the defaults are the command line's.
#[derive(Debug, Clone)]
pub struct Settings {
    /// UDP: a member silent for this long (no message, no heartbeat) is dropped.
    pub timeout: Duration,
    /// TCP: the send-queue limit, in bytes: a member with more waiting for
    /// its socket is disconnected as not reading.
    pub queue: usize,
    /// TCP: a member whose socket accepted nothing for this long while
    /// lines waited is disconnected as not reading.
    pub write_timeout: Duration,
    /// TCP: how long a member whose socket accepts nothing may hold a
    /// talker back before the room goes on without it (see `tcp_room`).
    pub hold: Duration,
    /// Log joins and leaves but not every message.
    pub quiet: bool,
    /// Print no log at all (for benchmarks that run the server in-process).
    pub silent: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timeout: Duration::from_secs(30),
            queue: 256 * 1024,
            write_timeout: Duration::from_secs(10),
            hold: Duration::from_millis(200),
            quiet: false,
            silent: false,
        }
    }
}

impl Settings {
    /// Prints one line of the server's log, unless silent.
    fn log(&self, line: &str) {
        if !self.silent {
            let _ = crate::serving::print_flushed(line);
        }
    }
}
