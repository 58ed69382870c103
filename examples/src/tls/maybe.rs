//! [`MaybeTls`]: one protocol type for a server that speaks TLS or not,
//! as its command line says.

use std::io;

use framework::{CloseReason, Conn, Protocol, Timeout};

use super::{Tls, TlsConfig};

/// The protocol `P`, served plainly or over TLS, chosen when the server
/// starts (`--tls-cert` given or not). An `EpollTcpServer` has one protocol
/// type; this lets one factory make either:
///
/// ```no_run
/// # use std::io;
/// # use framework::{Conn, EpollTcpServer, Protocol};
/// # use examples::tls::{MaybeTls, TlsConfig};
/// # struct Http;
/// # impl Protocol for Http {
/// #     fn data_received(&mut self, _: &mut Conn<'_>, _: &[u8]) -> io::Result<()> { Ok(()) }
/// # }
/// # fn main() -> io::Result<()> {
/// let tls: Option<TlsConfig> = None; // from TlsArgs::https_config()
/// let server = EpollTcpServer::bind("127.0.0.1:0", move || MaybeTls::new(tls.as_ref(), Http))?;
/// # Ok(())
/// # }
/// ```
pub enum MaybeTls<P> {
    /// Plain TCP: the protocol as it is.
    Plain(P),
    /// The protocol inside TLS. Boxed: a TLS session is over a kilobyte,
    /// and a plain connection should not carry that size unused.
    Tls(Box<Tls<P>>),
}

impl<P: Protocol> MaybeTls<P> {
    /// `inner` over TLS if `config` is given, else plain.
    pub fn new(config: Option<&TlsConfig>, inner: P) -> MaybeTls<P> {
        match config {
            Some(config) => MaybeTls::Tls(Box::new(Tls::new(config, inner))),
            None => MaybeTls::Plain(inner),
        }
    }

    /// The protocol inside.
    pub fn get_ref(&self) -> &P {
        match self {
            MaybeTls::Plain(inner) => inner,
            MaybeTls::Tls(tls) => tls.get_ref(),
        }
    }

    /// The protocol as the loop calls it.
    fn protocol(&mut self) -> &mut dyn Protocol {
        match self {
            MaybeTls::Plain(inner) => inner,
            MaybeTls::Tls(tls) => &mut **tls,
        }
    }
}

impl<P: Protocol> Protocol for MaybeTls<P> {
    fn connected(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        self.protocol().connected(conn)
    }

    fn data_received(&mut self, conn: &mut Conn<'_>, data: &[u8]) -> io::Result<()> {
        self.protocol().data_received(conn, data)
    }

    fn eof_received(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        self.protocol().eof_received(conn)
    }

    fn writable(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        self.protocol().writable(conn)
    }

    fn timed_out(&mut self, conn: &mut Conn<'_>, timeout: Timeout) -> io::Result<()> {
        self.protocol().timed_out(conn, timeout)
    }

    fn closed(&mut self, conn: &mut Conn<'_>, reason: &CloseReason) {
        self.protocol().closed(conn, reason)
    }
}
