//! Settings that must be chosen before the socket is bound.
//!
//! Python sets these as class attributes (`allow_reuse_address = True`) or
//! passes `bind_and_activate=False` to change them before binding. Here they
//! are a plain struct handed to `Server::bind_with`.

/// Socket settings applied between `socket()` and `bind()`/`listen()`.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// `SO_REUSEADDR`: rebind a port whose old connections are still in
    /// `TIME_WAIT`. Python's default is `False`; so is ours.
    pub allow_reuse_address: bool,
    /// `SO_REUSEPORT`: let several sockets bind the same port (internet sockets only).
    pub allow_reuse_port: bool,
    /// The `listen()` backlog. Default: the system's maximum (`SOMAXCONN`),
    /// as Python 3.15 does; older Pythons used 5.
    pub request_queue_size: i32,
    /// The largest datagram a datagram server reads; longer ones are cut.
    pub max_packet_size: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            allow_reuse_address: false,
            allow_reuse_port: false,
            request_queue_size: libc::SOMAXCONN,
            max_packet_size: 8192,
        }
    }
}

impl ServerOptions {
    /// The defaults with `SO_REUSEADDR` on, as `http.server` uses.
    pub fn reuse_address() -> Self {
        ServerOptions {
            allow_reuse_address: true,
            ..ServerOptions::default()
        }
    }
}
