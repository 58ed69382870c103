//! Active mode (`PORT`, `EPRT`): the client listens, the server connects.
//!
//! The client names the address to connect to, and nothing in the
//! protocol says it must be its own: `PORT` with a third machine's address
//! makes the server connect there and send a file's bytes, which can be
//! commands for that machine's service — the FTP bounce attack (CERT
//! CA-1997-27, RFC 2577). Like vsftpd (`port_promiscuous=NO`), this server
//! connects only to the control connection's own peer address, and never
//! to a privileged port (below 1024, where system services listen).

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// Parses `PORT`'s `h1,h2,h3,h4,p1,p2`.
pub fn parse_port(arg: &str) -> Option<SocketAddr> {
    let numbers: Vec<u8> = arg
        .split(',')
        .map(|n| n.trim().parse().ok())
        .collect::<Option<_>>()?;
    let [a, b, c, d, p1, p2] = numbers[..] else {
        return None;
    };
    let ip = Ipv4Addr::new(a, b, c, d);
    Some(SocketAddr::new(
        IpAddr::V4(ip),
        u16::from(p1) << 8 | u16::from(p2),
    ))
}

/// Why an `EPRT` argument is refused: the text of the reply and its code
/// (`522` for an address family this server does not speak).
#[derive(Debug, PartialEq, Eq)]
pub struct EprtError(pub u16, pub &'static str);

/// Parses `EPRT`'s `|1|132.235.1.2|6275|` (RFC 2428): any delimiter
/// character, protocol 1 (IPv4) or 2 (IPv6).
pub fn parse_eprt(arg: &str) -> Result<SocketAddr, EprtError> {
    let bad = EprtError(501, "Bad EPRT argument.");
    let mut chars = arg.chars();
    let delim = chars.next().ok_or(EprtError(501, "Bad EPRT argument."))?;
    let fields: Vec<&str> = chars.as_str().split(delim).collect();
    let [proto, host, port, ""] = fields[..] else {
        return Err(bad);
    };
    if proto != "1" && proto != "2" {
        return Err(EprtError(522, "Network protocol not supported, use (1,2)."));
    }
    let bad_address = EprtError(501, "Bad EPRT address.");
    let ip: IpAddr = host.parse().map_err(|_| bad_address)?;
    if ip.is_ipv4() != (proto == "1") {
        return Err(EprtError(501, "Bad EPRT address."));
    }
    let port: u16 = port.parse().map_err(|_| bad)?;
    Ok(SocketAddr::new(ip, port))
}

/// Why the server will not connect to `target`, or `None` if it may: the
/// address must be the control connection's peer's, the port unprivileged.
pub fn bounce_problem(target: SocketAddr, peer: IpAddr) -> Option<&'static str> {
    if canonical(target.ip()) != canonical(peer) {
        Some("Illegal PORT command: the data address must be your own (FTP bounce).")
    } else if target.port() < 1024 {
        Some("Illegal PORT command: privileged ports are refused.")
    } else {
        None
    }
}

/// An IPv4 address written as IPv6 (`::ffff:127.0.0.1`) is the same address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Connects from `local` (the control connection's own address, any
/// port) to `target`, within `timeout`.
pub fn connect(local: IpAddr, target: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let domain = socket2::Domain::for_address(target);
    let socket = socket2::Socket::new(domain, socket2::Type::STREAM, None)?;
    socket.bind(&SocketAddr::new(local, 0).into())?;
    socket.connect_timeout(&target.into(), timeout)?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_and_eprt_arguments() {
        assert_eq!(
            parse_port("127,0,0,1,195,85"),
            Some("127.0.0.1:50005".parse().unwrap())
        );
        assert_eq!(parse_port("127,0,0,1,195"), None);
        assert_eq!(parse_port("127,0,0,1,300,1"), None);
        assert_eq!(
            parse_eprt("|1|127.0.0.1|50005|"),
            Ok("127.0.0.1:50005".parse().unwrap())
        );
        assert_eq!(
            parse_eprt("!2!::1!50005!"),
            Ok("[::1]:50005".parse().unwrap())
        );
        assert_eq!(parse_eprt("|3|x|1|").unwrap_err().0, 522);
        assert_eq!(parse_eprt("|1|::1|1|").unwrap_err().0, 501);
        assert_eq!(parse_eprt("|1|127.0.0.1|").unwrap_err().0, 501);
    }

    #[test]
    fn only_the_clients_own_address() {
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let to = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(bounce_problem(to("127.0.0.1:50000"), peer), None);
        assert_eq!(bounce_problem(to("[::ffff:127.0.0.1]:50000"), peer), None);
        assert!(bounce_problem(to("127.0.0.2:50000"), peer).is_some());
        assert!(bounce_problem(to("10.0.0.1:25"), peer).is_some());
        assert!(bounce_problem(to("127.0.0.1:25"), peer).is_some());
    }
}
