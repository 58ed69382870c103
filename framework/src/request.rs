//! What a handler receives: one request, stream or datagram.
//!
//! Python's `StreamRequestHandler` gives a handler `rfile` (buffered reader)
//! and `wfile` (unbuffered writer); `DatagramRequestHandler` gives it the
//! packet as `rfile` and collects the reply in `wfile`. The same names are
//! kept here.

use std::io::{self, BufReader, Cursor};
use std::net::Shutdown;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::error::is_resource_shortage;
use crate::{Address, Connection, DatagramSocket, ServerHandle};

/// What every request type offers the server loop.
pub trait Request: Send + 'static {
    /// Who sent the request.
    fn client_address(&self) -> &Address;
    /// Runs after the handler's `finish`: a datagram request sends its reply here.
    fn complete(&mut self) -> io::Result<()>;
    /// Python's `shutdown_request`: ends the request. For a stream it sends
    /// end-of-file to the client (`SHUT_WR`) and closes the descriptor.
    fn close(self);
}

/// One accepted connection (Python's `StreamRequestHandler` attributes).
pub struct StreamRequest {
    /// Buffered reader over the connection: `read_line`, `read_until`, `read_exact`...
    pub rfile: BufReader<Connection>,
    /// Unbuffered writer: every `write_all` reaches the peer at once, no `flush` needed.
    pub wfile: Connection,
    /// The peer's address.
    pub client_address: Address,
    /// The server that accepted the connection (to ask it to shut down, or read its address).
    pub server: ServerHandle,
    /// [`StreamRequest::detach`] was called: the connection outlives the request.
    detached: bool,
}

impl StreamRequest {
    pub(crate) fn new(
        connection: Connection,
        client_address: Address,
        server: ServerHandle,
    ) -> io::Result<StreamRequest> {
        let reader = second_descriptor(&connection)?;
        Ok(StreamRequest {
            rfile: BufReader::with_capacity(8 * 1024, reader),
            wfile: connection,
            client_address,
            server,
            detached: false,
        })
    }

    /// A request on a connection the caller made (one end of a socket
    /// pair, say), with no server behind it: to drive a handler in a test
    /// or a fuzzer. `server` is a handle on a server that is not running.
    pub fn over(connection: Connection, client_address: Address) -> io::Result<StreamRequest> {
        let control = crate::control::Control::new(Address::Unix(None))?;
        StreamRequest::new(
            connection,
            client_address,
            ServerHandle::new(Arc::new(control)),
        )
    }

    /// The connected socket itself, for socket options or `sendfile`.
    pub fn connection(&self) -> &Connection {
        &self.wfile
    }

    /// Read and write timeout for this connection (Python's
    /// `StreamRequestHandler.timeout`). A read that waits longer fails with
    /// `WouldBlock`/`TimedOut`, which ends the handler.
    pub fn set_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.wfile.set_timeout(timeout)
    }

    /// Turns Nagle's algorithm off (Python's `disable_nagle_algorithm`).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.wfile.set_nodelay(nodelay)
    }

    /// Takes the connection out of the server's hands, for a handler that
    /// keeps it open after `handle` returns (to hand an idle connection to
    /// a loop of its own instead of holding a thread for it).
    ///
    /// Returns a new descriptor of the connection, which is now the
    /// caller's. When the request ends the server closes only its own
    /// descriptors: it does not send end-of-file (`SHUT_WR`), which would
    /// end the connection for every descriptor. Bytes already read into
    /// `rfile`'s buffer stay there; detach before reading through `rfile`.
    pub fn detach(&mut self) -> io::Result<Connection> {
        let connection = self.wfile.try_clone()?;
        self.detached = true;
        Ok(connection)
    }
}

impl Request for StreamRequest {
    fn client_address(&self) -> &Address {
        &self.client_address
    }

    fn complete(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn close(self) {
        // Like Python's TCPServer.shutdown_request: tell the peer we are done
        // writing (it may have closed already, hence the ignored error), then
        // let both descriptors drop, which closes them. A detached
        // connection lives on elsewhere: only our descriptors close.
        if !self.detached {
            let _ = self.wfile.shutdown(Shutdown::Write);
        }
    }
}

/// The reader's own descriptor for the connection (a `dup`). Out of
/// descriptors, this is the one call that can fail after `accept` worked:
/// rather than drop a client already accepted, wait a little for a request
/// that is ending to close its descriptors.
fn second_descriptor(connection: &Connection) -> io::Result<Connection> {
    let mut waited = Duration::ZERO;
    loop {
        match connection.try_clone() {
            Err(err) if is_resource_shortage(&err) && waited < DUP_PATIENCE => {
                thread::sleep(DUP_RETRY);
                waited += DUP_RETRY;
            }
            result => return result,
        }
    }
}

/// How long [`second_descriptor`] waits in all, and between two tries.
const DUP_PATIENCE: Duration = Duration::from_millis(100);
const DUP_RETRY: Duration = Duration::from_millis(5);

/// One received datagram (Python's `DatagramRequestHandler` attributes).
pub struct DatagramRequest {
    /// The datagram, readable like a file.
    pub rfile: Cursor<Vec<u8>>,
    /// The reply: whatever is written here is sent back to the client as
    /// one datagram after `finish` (nothing is sent if it stays empty).
    pub wfile: Vec<u8>,
    /// The sender's address.
    pub client_address: Address,
    /// The server that received the datagram.
    pub server: ServerHandle,
    socket: Arc<DatagramSocket>,
    /// The datagram was longer than `max_packet_size`, and was cut.
    pub(crate) truncated: bool,
}

impl DatagramRequest {
    pub(crate) fn new(
        packet: Vec<u8>,
        client_address: Address,
        socket: Arc<DatagramSocket>,
        server: ServerHandle,
    ) -> DatagramRequest {
        DatagramRequest {
            rfile: Cursor::new(packet),
            wfile: Vec::new(),
            client_address,
            server,
            socket,
            truncated: false,
        }
    }

    /// A request for `packet` from `client_address` with no server behind
    /// it, to drive a handler in a test or a fuzzer: the reply stays in
    /// `wfile`. Its socket is an unbound Unix datagram socket (`send_to`
    /// fails), and `server` a handle on a server that is not running
    /// (`request_shutdown` is only noted).
    pub fn in_memory(packet: Vec<u8>, client_address: Address) -> io::Result<DatagramRequest> {
        let control = crate::control::Control::new(Address::Unix(None))?;
        let socket = DatagramSocket::Unix(std::os::unix::net::UnixDatagram::unbound()?);
        Ok(DatagramRequest::new(
            packet,
            client_address,
            Arc::new(socket),
            ServerHandle::new(Arc::new(control)),
        ))
    }

    /// The whole datagram as bytes.
    pub fn packet(&self) -> &[u8] {
        self.rfile.get_ref()
    }

    /// Whether the datagram was longer than the server's `max_packet_size`
    /// and was cut to it. Python cannot tell; a handler here can refuse it.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The server's socket, to send datagrams to other peers than the sender.
    pub fn socket(&self) -> &DatagramSocket {
        &self.socket
    }

    /// Sends a datagram to any address through the server's socket.
    pub fn send_to(&self, data: &[u8], to: &Address) -> io::Result<usize> {
        self.socket.send_to(data, to)
    }
}

impl Request for DatagramRequest {
    fn client_address(&self) -> &Address {
        &self.client_address
    }

    fn complete(&mut self) -> io::Result<()> {
        if self.wfile.is_empty() {
            return Ok(());
        }
        self.socket.send_to(&self.wfile, &self.client_address)?;
        Ok(())
    }

    fn close(self) {}
}
