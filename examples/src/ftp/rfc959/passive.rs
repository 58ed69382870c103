//! Passive mode (`PASV`, `EPSV`): the server listens, the client connects.
//!
//! The listening port is announced to whoever asked, but anyone who can
//! reach it could connect first and take (or plant) the file: "port
//! theft". So only a connection from the control connection's own peer
//! address is accepted; any other is closed at once, and the server goes
//! on waiting for the right one until the data timeout (vsftpd's
//! `pasv_promiscuous=NO`).

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// The ports passive listeners may use (`--passive-ports 50000-50100`);
/// `None`: any port the system picks.
pub type PortRange = Option<(u16, u16)>;

/// Parses `LOW-HIGH` (a `clap` value parser).
pub fn parse_port_range(text: &str) -> Result<(u16, u16), String> {
    let bad = || format!("{text:?} is not a port range like 50000-50100");
    let (low, high) = text.split_once('-').ok_or_else(bad)?;
    let low: u16 = low.trim().parse().map_err(|_| bad())?;
    let high: u16 = high.trim().parse().map_err(|_| bad())?;
    if low == 0 || low > high {
        return Err(bad());
    }
    Ok((low, high))
}

/// A listener on `ip` (the control connection's local address) and a port
/// of `range`: tried in order from a point that moves with every call, so
/// that sessions do not all race for the first port.
pub fn listen(ip: IpAddr, range: PortRange) -> io::Result<TcpListener> {
    let Some((low, high)) = range else {
        return TcpListener::bind(SocketAddr::new(ip, 0));
    };
    let count = u32::from(high - low) + 1;
    let start = next_start() % count;
    for i in 0..count {
        let port = low + ((start + i) % count) as u16;
        match TcpListener::bind(SocketAddr::new(ip, port)) {
            Ok(listener) => return Ok(listener),
            Err(err) if err.kind() == io::ErrorKind::AddrInUse => continue,
            Err(err) => return Err(err),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        "every passive port is in use",
    ))
}

/// A different starting point for each call (a process-wide counter mixed
/// with the process id, so that forked children differ too).
fn next_start() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static CALLS: AtomicU32 = AtomicU32::new(0);
    CALLS
        .fetch_add(1, Ordering::Relaxed)
        .wrapping_mul(7919)
        .wrapping_add(std::process::id())
}

/// Waits at most `timeout` for a connection from `peer` and returns it;
/// connections from other addresses are closed and counted in `strangers`.
pub fn accept_from(
    listener: &TcpListener,
    peer: IpAddr,
    timeout: Duration,
    strangers: &mut u32,
) -> io::Result<TcpStream> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        let millis = u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(millis)) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(errno) => return Err(errno.into()),
        }
        let (stream, from) = listener.accept()?;
        if from.ip() == peer {
            return Ok(stream);
        }
        // Someone else: not our client. Closed at once (dropped).
        *strangers += 1;
    }
}

/// The `227` reply text for `PASV`: `Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
pub fn pasv_text(addr: SocketAddr) -> Option<String> {
    let IpAddr::V4(ip) = addr.ip() else {
        return None;
    };
    let [a, b, c, d] = ip.octets();
    let (p1, p2) = (addr.port() >> 8, addr.port() & 0xff);
    Some(format!(
        "Entering Passive Mode ({a},{b},{c},{d},{p1},{p2})."
    ))
}

/// The `229` reply text for `EPSV` (RFC 2428): the port only; the address
/// is the control connection's.
pub fn epsv_text(port: u16) -> String {
    format!("Entering Extended Passive Mode (|||{port}|).")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_and_ranges() {
        let addr: SocketAddr = "127.0.0.1:50005".parse().unwrap();
        assert_eq!(
            pasv_text(addr).unwrap(),
            "Entering Passive Mode (127,0,0,1,195,85)."
        );
        assert_eq!(pasv_text("[::1]:21".parse().unwrap()), None);
        assert_eq!(
            epsv_text(50005),
            "Entering Extended Passive Mode (|||50005|)."
        );
        assert_eq!(parse_port_range("50000-50100"), Ok((50000, 50100)));
        assert!(parse_port_range("5-1").is_err());
        assert!(parse_port_range("0-10").is_err());
        assert!(parse_port_range("x").is_err());
    }

    #[test]
    fn a_stranger_is_turned_away() {
        let listener = listen("127.0.0.1".parse().unwrap(), None).unwrap();
        let addr = listener.local_addr().unwrap();
        // The "client" is 127.0.0.1; a stranger connects from 127.0.0.2 first.
        let stranger =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        stranger
            .bind(&"127.0.0.2:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        stranger.connect(&addr.into()).unwrap();
        let _client = TcpStream::connect(addr).unwrap();
        let mut strangers = 0;
        let got = accept_from(
            &listener,
            "127.0.0.1".parse().unwrap(),
            Duration::from_secs(5),
            &mut strangers,
        )
        .unwrap();
        assert_eq!(got.peer_addr().unwrap().ip().to_string(), "127.0.0.1");
        assert_eq!(strangers, 1);
    }
}
