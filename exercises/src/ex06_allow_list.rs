//! Exercise 06: verify_request, an allow-list.          (lessons 16, 20)
//!
//! Python's `BaseServer.verify_request(request, client_address)` runs in the
//! server loop right after accept(), before any handler: returning False
//! closes the connection at once. Here it is a closure given to
//! `server.set_verify_request(...)`; the check wires yours in like this:
//!
//! ```ignore
//! server.set_verify_request(move |client| is_allowed(&allowed, client));
//! ```
//!
//! Write `is_allowed`: true only for a client whose IP address is in the
//! list. Unix-socket clients have no IP address: refuse them. An IPv6
//! client may be an IPv4 one in disguise (`::ffff:127.0.0.1`, what a
//! dual-stack socket reports): treat it as the IPv4 address.
//!
//! Check it with `cargo exercise 06`; stuck? `cargo hint 06`.

use std::net::IpAddr;

use framework::Address;

/// Whether `client` may talk to the server.
pub fn is_allowed(allowed: &[IpAddr], client: &Address) -> bool {
    // TODO: this lets everyone in.
    let _ = (allowed, client);
    true
}
