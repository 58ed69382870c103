//! The kernel's own table of TCP connections, `/proc/net/tcp`, read so that
//! lessons can show the states a connection goes through (LISTEN,
//! ESTABLISHED, FIN_WAIT2, CLOSE_WAIT, TIME_WAIT, ...) as they happen.
//!
//! This is what `ss -tan` and `netstat -tan` print; reading the file
//! directly needs no extra tool and no privileges.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

/// One line of `/proc/net/tcp`: a TCP socket the kernel knows about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpEntry {
    /// This end of the connection.
    pub local: SocketAddrV4,
    /// The other end (`0.0.0.0:0` for a listening socket).
    pub remote: SocketAddrV4,
    /// The state's name, as in RFC 793 (`ESTABLISHED`, `TIME_WAIT`, ...).
    pub state: &'static str,
}

/// The names of the state numbers the kernel writes (include/net/tcp_states.h).
fn state_name(code: u8) -> &'static str {
    match code {
        0x01 => "ESTABLISHED",
        0x02 => "SYN_SENT",
        0x03 => "SYN_RECV",
        0x04 => "FIN_WAIT1",
        0x05 => "FIN_WAIT2",
        0x06 => "TIME_WAIT",
        0x07 => "CLOSE",
        0x08 => "CLOSE_WAIT",
        0x09 => "LAST_ACK",
        0x0A => "LISTEN",
        0x0B => "CLOSING",
        _ => "UNKNOWN",
    }
}

/// `0100007F:1F90` → 127.0.0.1:8080 (the address is written as the kernel
/// holds it in memory: network order bytes read as a little-endian number).
fn parse_address(text: &str) -> Option<SocketAddrV4> {
    let (ip, port) = text.split_once(':')?;
    let ip = u32::from_str_radix(ip, 16).ok()?;
    let port = u16::from_str_radix(port, 16).ok()?;
    Some(SocketAddrV4::new(Ipv4Addr::from(ip.to_le_bytes()), port))
}

/// Every IPv4 TCP socket whose local or remote port is `port`.
pub fn entries_for_port(port: u16) -> Vec<TcpEntry> {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return Vec::new();
    };
    // A busy machine can list tens of thousands of sockets: look for the
    // port's text (":1F90 ") first, and parse only the lines that have it.
    let needle = format!(":{port:04X} ");
    table
        .lines()
        .skip(1)
        .filter(|line| line.contains(&needle))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local = parse_address(fields.get(1)?)?;
            let remote = parse_address(fields.get(2)?)?;
            let state = state_name(u8::from_str_radix(fields.get(3)?, 16).ok()?);
            Some(TcpEntry {
                local,
                remote,
                state,
            })
        })
        .filter(|entry| entry.local.port() == port || entry.remote.port() == port)
        .collect()
}

/// The state of the connection from `local` to `remote`, if the kernel has it.
pub fn state_of(local: SocketAddrV4, remote: SocketAddrV4) -> Option<&'static str> {
    entries_for_port(local.port())
        .into_iter()
        .find(|e| e.local == local && e.remote == remote)
        .map(|e| e.state)
}

/// Waits (up to 5 s) until the connection `local` → `remote` is in `state`,
/// and returns the state it was last seen in. State changes travel as
/// packets, so a lesson waits for them instead of hoping they are done.
pub fn wait_for_state(
    local: SocketAddrV4,
    remote: SocketAddrV4,
    state: &str,
) -> Option<&'static str> {
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        let seen = state_of(local, remote);
        if seen == Some(state) || Instant::now() >= end {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Prints the kernel's entries for one connection between `server` and
/// `client`, and for the server's listening socket if it is still open.
/// (Other sockets on the same port numbers, say from other programs, are
/// left out.)
pub fn print_table(server: SocketAddrV4, client: SocketAddrV4) {
    let unspecified = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0);
    println!("    {:<22} {:<22} state", "local", "remote");
    let ours = |e: &TcpEntry| {
        (e.local == server && (e.remote == client || e.remote == unspecified))
            || (e.local == client && e.remote == server)
    };
    for entry in entries_for_port(server.port()).into_iter().filter(ours) {
        println!(
            "    {:<22} {:<22} {}",
            entry.local.to_string(),
            entry.remote.to_string(),
            entry.state
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_addresses_are_decoded() {
        assert_eq!(
            parse_address("0100007F:1F90"),
            Some(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080))
        );
        assert_eq!(
            parse_address("00000000:0000"),
            Some(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
        );
        assert_eq!(parse_address("nonsense"), None);
        assert_eq!(state_name(0x06), "TIME_WAIT");
        assert_eq!(state_name(0x0A), "LISTEN");
    }

    #[test]
    fn a_listening_socket_shows_up_in_the_table() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let std::net::SocketAddr::V4(address) = listener.local_addr().unwrap() else {
            panic!("IPv4 expected");
        };
        let entries = entries_for_port(address.port());
        assert!(
            entries
                .iter()
                .any(|e| e.local == address && e.state == "LISTEN"),
            "{entries:?}"
        );
    }
}
