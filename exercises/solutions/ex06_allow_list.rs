//! Exercise 06, a reference solution: verify_request with an allow-list.

use std::net::IpAddr;

use framework::Address;

/// Whether `client` may talk to the server.
pub fn is_allowed(allowed: &[IpAddr], client: &Address) -> bool {
    // A Unix-socket peer has no IP address: it cannot be on the list.
    let Some(addr) = client.inet() else {
        return false;
    };
    // ::ffff:a.b.c.d is an IPv4 client seen through an IPv6 socket.
    let ip = match addr.ip() {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    allowed.contains(&ip)
}
