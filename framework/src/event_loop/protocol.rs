//! What an event-loop server calls: a [`Protocol`] object per connection,
//! in the spirit of Python's `asyncio.Protocol` and Twisted's `Protocol`.

use std::fmt;
use std::io;

use super::Conn;

/// One connection's behaviour on an event-loop server.
///
/// A blocking handler ([`RequestHandler`](crate::RequestHandler)) *asks*
/// for bytes and waits for them; a protocol is *told* that bytes came. The
/// loop calls it on its one thread whenever something happened, and each
/// call must return quickly without waiting: writes are queued by
/// [`Conn::write`] and sent when the socket can take them.
///
/// The server makes one protocol per connection (from the factory given to
/// `bind`) and calls, in order: [`connected`](Protocol::connected), then
/// [`data_received`](Protocol::data_received) for every chunk that arrives,
/// [`eof_received`](Protocol::eof_received) when the client ends its side,
/// and [`closed`](Protocol::closed) exactly once at the end, whatever ended it.
///
/// An error returned by a method, or a panic inside it, closes that
/// connection only (after `handle_error` has reported it); the loop goes on
/// serving every other connection.
pub trait Protocol: Send + 'static {
    /// The connection was accepted (Python's `connection_made`). Default: nothing.
    fn connected(&mut self, _conn: &mut Conn<'_>) -> io::Result<()> {
        Ok(())
    }

    /// Bytes arrived. `data` is whatever one `read` returned: TCP is a byte
    /// stream, so it may hold half a message or several (lesson 04). Use
    /// [`Lines`](super::Lines) for a line protocol.
    fn data_received(&mut self, conn: &mut Conn<'_>, data: &[u8]) -> io::Result<()>;

    /// The client closed its sending side (it called `shutdown(SHUT_WR)` or
    /// `close`); no more bytes will come, but it may still read. Default:
    /// [`Conn::close`], which sends what is queued and then closes.
    fn eof_received(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        conn.close();
        Ok(())
    }

    /// Everything queued has been sent: the socket took it all. The place
    /// to write the next part of a large answer (write a part; the next
    /// call comes when it has gone), so that the queue stays short however
    /// slowly the client reads. Default: nothing.
    fn writable(&mut self, _conn: &mut Conn<'_>) -> io::Result<()> {
        Ok(())
    }

    /// A timeout passed. For the server's timeouts ([`Timeout::Idle`],
    /// [`Timeout::Total`], see
    /// [`EventLoopServer::set_idle_timeout`](super::EventLoopServer::set_idle_timeout))
    /// what is written here is sent, then the connection closes. For the
    /// protocol's own [`Timeout::Timer`] ([`Conn::set_timer`]) the protocol
    /// decides what happens. Default: nothing.
    fn timed_out(&mut self, _conn: &mut Conn<'_>, _timeout: Timeout) -> io::Result<()> {
        Ok(())
    }

    /// The connection has ended (Python's `connection_lost`); called once.
    /// Writing to this connection does nothing any more, but
    /// [`Conn::write_to`] still reaches the others (a chat room's "X left").
    fn closed(&mut self, _conn: &mut Conn<'_>, _reason: &CloseReason) {}
}

/// Which of the server's timeouts passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeout {
    /// No byte went either way for the idle timeout.
    Idle,
    /// The connection reached its longest allowed life.
    Total,
    /// The deadline the protocol set with [`Conn::set_timer`] came.
    Timer,
}

/// Why a connection ended, as [`Protocol::closed`] is told.
#[derive(Debug)]
pub enum CloseReason {
    /// The client ended its side first; what was queued was sent.
    PeerClosed,
    /// The protocol called [`Conn::close`]; what was queued was sent.
    Closed,
    /// The protocol called [`Conn::abort`]: closed at once, queue dropped.
    Aborted,
    /// Reading or writing failed (connection reset, broken pipe).
    Failed(io::Error),
    /// A timeout passed.
    TimedOut(Timeout),
    /// The client read nothing while more than the output limit queued up.
    OutputLimit,
    /// The protocol returned an error or panicked (reported to `handle_error`).
    ProtocolError,
    /// The server was closed while the connection was open.
    ServerClosed,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::PeerClosed => write!(f, "the client closed the connection"),
            CloseReason::Closed => write!(f, "closed by the server"),
            CloseReason::Aborted => write!(f, "aborted by the server"),
            CloseReason::Failed(err) => write!(f, "connection failed: {err}"),
            CloseReason::TimedOut(Timeout::Idle) => write!(f, "idle for too long"),
            CloseReason::TimedOut(Timeout::Total) => write!(f, "open for too long"),
            CloseReason::TimedOut(Timeout::Timer) => write!(f, "the protocol's deadline passed"),
            CloseReason::OutputLimit => {
                write!(f, "the client did not read: output limit passed")
            }
            CloseReason::ProtocolError => write!(f, "the protocol failed"),
            CloseReason::ServerClosed => write!(f, "the server closed"),
        }
    }
}
