//! [`Tls`]: any event-loop [`Protocol`], served over TLS.
//!
//! Each call from the loop goes through three steps:
//!
//! 1. **in**: ciphertext from the socket goes into rustls (`read_tls`),
//!    which checks and decrypts it (`process_new_packets`); during the
//!    handshake this produces no plaintext, only handshake messages to send;
//! 2. **the inner protocol** is called with the plaintext, on a
//!    [`Conn::capturing`] connection, so that what it writes is kept;
//! 3. **out**: the kept plaintext goes into rustls (`writer`), which
//!    encrypts it, and every record rustls has ready (handshake messages,
//!    data, alerts) is queued on the real connection.
//!
//! Endings: a client whose first byte cannot start TLS is closed at once
//! (on an HTTP server, after a readable 400); one that breaks TLS later
//! gets rustls's alert, then the close; a client that leaves during the
//! handshake is closed. When the inner protocol closes, a `close_notify`
//! alert goes first, so that the client knows the data was not cut short.

use std::io::{self, Read, Write};
use std::sync::Arc;

use framework::{Captured, CloseReason, Conn, Protocol, Timeout};
use rustls::ServerConnection;

use super::TlsConfig;
use super::plain_http;
use super::records::send_records;

/// Serves the protocol `P` over TLS (see the [module docs](self)).
///
/// ```no_run
/// # use std::io;
/// # use framework::{Conn, EpollTcpServer, LineProtocol, Lines};
/// # use examples::tls::{Tls, TlsConfig};
/// # struct Echo;
/// # impl LineProtocol for Echo {
/// #     fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
/// #         conn.write(line);
/// #         Ok(())
/// #     }
/// # }
/// # fn main() -> io::Result<()> {
/// # let tls: TlsConfig = unimplemented!();
/// // The plain server:   EpollTcpServer::bind(addr, || Lines::new(Echo))
/// // The same over TLS:
/// let server = EpollTcpServer::bind("127.0.0.1:0", move || Tls::new(&tls, Lines::new(Echo)))?;
/// # Ok(())
/// # }
/// ```
pub struct Tls<P> {
    session: ServerConnection,
    inner: P,
    /// What the inner protocol wrote during the current call, in plaintext.
    captured: Captured,
    answer_plain_http: bool,
    /// The client's first bytes have been looked at.
    started: bool,
    /// The inner protocol has been told that no more data will come.
    inner_told_eof: bool,
    /// Why the TLS session failed, if it did.
    error: Option<rustls::Error>,
}

impl<P: Protocol> Tls<P> {
    /// A new connection's TLS session, serving `inner` inside it.
    pub fn new(config: &TlsConfig, inner: P) -> Tls<P> {
        let mut session = ServerConnection::new(Arc::clone(&config.server))
            .expect("TlsConfig::new checked that these settings make a connection");
        // rustls keeps at most 64 KiB of records unsent by default, and
        // refuses plaintext beyond that. We always move every record to the
        // connection's queue at once, where the server's output limit
        // applies: no second limit here.
        session.set_buffer_limit(None);
        Tls {
            session,
            inner,
            captured: Captured::new(),
            answer_plain_http: config.answer_plain_http,
            started: false,
            inner_told_eof: false,
            error: None,
        }
    }

    /// The protocol inside.
    pub fn get_ref(&self) -> &P {
        &self.inner
    }

    /// The rustls session: whether the handshake is done, the negotiated
    /// version and cipher suite, ALPN protocol, the name the client asked for (SNI).
    pub fn session(&self) -> &ServerConnection {
        &self.session
    }

    /// Why the TLS session failed (a client that does not speak TLS, a
    /// handshake that failed), if it did. The connection was closed.
    pub fn error(&self) -> Option<&rustls::Error> {
        self.error.as_ref()
    }

    /// Step 3: encrypts what the inner protocol wrote, queues every record
    /// rustls has ready, and closes (after a `close_notify`) if the inner
    /// protocol asked to.
    fn send(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        let plaintext = self.captured.take();
        if !plaintext.is_empty() {
            // Before the handshake ends (a greeting written in `connected`)
            // rustls keeps this and sends it once the keys are agreed.
            self.session.writer().write_all(&plaintext)?;
        }
        let close = self.captured.take_close_request();
        if close {
            self.session.send_close_notify();
        }
        send_records(&mut self.session, conn)?;
        if close {
            conn.close();
        }
        Ok(())
    }

    /// The client broke TLS: send rustls's alert (queued by
    /// `process_new_packets`), then close. Not an error of the server, so
    /// it is not reported to `handle_error`; [`Tls::error`] keeps it.
    fn fail(&mut self, conn: &mut Conn<'_>, error: rustls::Error) -> io::Result<()> {
        self.error = Some(error);
        send_records(&mut self.session, conn)?;
        conn.close();
        Ok(())
    }

    /// The client's very first bytes: a client that is not speaking TLS at
    /// all is closed at once (an HTTP server's may first read why).
    /// Returns whether the connection goes on.
    fn check_first_bytes(&mut self, conn: &mut Conn<'_>, data: &[u8]) -> bool {
        self.started = true;
        let Some(&first) = data.first() else {
            return true;
        };
        if !plain_http::is_not_tls(first) {
            return true;
        }
        self.error = Some(rustls::Error::General(
            "the client does not speak TLS".into(),
        ));
        if self.answer_plain_http && plain_http::looks_like_http(data) {
            conn.write(plain_http::ANSWER);
        }
        conn.close();
        false
    }
}

impl<P: Protocol> Protocol for Tls<P> {
    fn connected(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        self.inner
            .connected(&mut conn.capturing(&mut self.captured))?;
        self.send(conn)
    }

    fn data_received(&mut self, conn: &mut Conn<'_>, data: &[u8]) -> io::Result<()> {
        if !self.started && !self.check_first_bytes(conn, data) {
            return Ok(());
        }
        let mut ciphertext = data;
        while !ciphertext.is_empty() && !conn.is_closing() {
            // Step 1: rustls takes what fits in its buffer (advancing
            // `ciphertext`); we empty it before giving it more.
            if self.session.read_tls(&mut ciphertext)? == 0 {
                break; // after the client's close_notify, rustls reads no more
            }
            let state = match self.session.process_new_packets() {
                Ok(state) => state,
                Err(error) => return self.fail(conn, error),
            };
            // Step 2.
            let ready = state.plaintext_bytes_to_read();
            if ready > 0 {
                let mut plaintext = vec![0; ready];
                self.session.reader().read_exact(&mut plaintext)?;
                let mut inner_conn = conn.capturing(&mut self.captured);
                self.inner.data_received(&mut inner_conn, &plaintext)?;
            }
            if state.peer_has_closed() && !self.inner_told_eof {
                // The client's close_notify: its data is complete.
                self.inner_told_eof = true;
                self.inner
                    .eof_received(&mut conn.capturing(&mut self.captured))?;
            }
            // Step 3 (also sends the handshake's answers).
            self.send(conn)?;
        }
        Ok(())
    }

    fn eof_received(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        if self.session.is_handshaking() {
            // The client left before the handshake ended: nobody to serve.
            conn.close();
            return Ok(());
        }
        if !self.inner_told_eof {
            // The TCP connection ended without a close_notify. Many clients
            // do that; the inner protocol must judge whether what came is
            // complete (HTTP does, from Content-Length).
            self.inner_told_eof = true;
            self.inner
                .eof_received(&mut conn.capturing(&mut self.captured))?;
        }
        self.send(conn)
    }

    fn writable(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        self.inner
            .writable(&mut conn.capturing(&mut self.captured))?;
        self.send(conn)
    }

    fn timed_out(&mut self, conn: &mut Conn<'_>, timeout: Timeout) -> io::Result<()> {
        self.inner
            .timed_out(&mut conn.capturing(&mut self.captured), timeout)?;
        self.send(conn)?;
        // The loop closes the connection after this call: say so in TLS too.
        if !self.session.is_handshaking() {
            self.session.send_close_notify();
            send_records(&mut self.session, conn)?;
        }
        Ok(())
    }

    fn closed(&mut self, conn: &mut Conn<'_>, reason: &CloseReason) {
        self.inner
            .closed(&mut conn.capturing(&mut self.captured), reason);
    }
}
