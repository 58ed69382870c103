//! The datagram flavour, in process (sequential servers driven with
//! `handle_request`): the reply goes out through the server's socket, a
//! handler can send to other peers, `max_packet_size` cuts long datagrams
//! (and the handler can tell),
//! and an unnamed Unix client that cannot be answered is reported, not fatal.

use std::io;
use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use framework::{
    Address, DatagramRequest, RequestError, RequestHandler, ServerOptions, UdpServer,
    UnixDatagramServer,
};

const DEADLINE: Duration = Duration::from_secs(10);

/// Replies with the length of the datagram it got; if the datagram names
/// another address (`copy <addr>`), also sends a copy there.
struct Measure;

impl RequestHandler<DatagramRequest> for Measure {
    fn handle(&mut self, request: &mut DatagramRequest) -> io::Result<()> {
        let packet = request.packet().to_vec();
        if let Some(other) = std::str::from_utf8(&packet)
            .ok()
            .and_then(|text| text.strip_prefix("copy "))
        {
            let other: std::net::SocketAddr = other.parse().map_err(io::Error::other)?;
            request.send_to(b"a copy for you", &Address::Inet(other))?;
        }
        request
            .wfile
            .extend_from_slice(packet.len().to_string().as_bytes());
        if request.truncated() {
            request.wfile.extend_from_slice(b" (cut)");
        }
        Ok(())
    }
}

fn client() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    socket
}

fn receive(socket: &UdpSocket) -> (String, std::net::SocketAddr) {
    let mut buf = [0u8; 100];
    let (n, from) = socket.recv_from(&mut buf).unwrap();
    (String::from_utf8_lossy(&buf[..n]).into_owned(), from)
}

#[test]
fn a_handler_can_send_to_another_peer_through_the_server_socket() {
    let mut server = UdpServer::bind("127.0.0.1:0", || Measure).unwrap();
    // handle_request gives up after this, instead of hanging the test run.
    server.set_timeout(Some(DEADLINE));
    let server_addr = server.server_address().inet().unwrap();
    let (asker, other) = (client(), client());
    let message = format!("copy {}", other.local_addr().unwrap());
    asker.send_to(message.as_bytes(), server_addr).unwrap();
    server.handle_request().unwrap();
    assert_eq!(
        receive(&other),
        ("a copy for you".to_string(), server_addr),
        "sent from the server's own socket"
    );
    assert_eq!(receive(&asker), (message.len().to_string(), server_addr));
}

#[test]
fn max_packet_size_cuts_long_datagrams() {
    let options = ServerOptions {
        max_packet_size: 16,
        ..ServerOptions::default()
    };
    let mut server = UdpServer::bind_with("127.0.0.1:0", &options, || Measure).unwrap();
    server.set_timeout(Some(DEADLINE));
    let asker = client();
    asker
        .send_to(&[b'x'; 100], server.server_address().inet().unwrap())
        .unwrap();
    server.handle_request().unwrap();
    assert_eq!(receive(&asker).0, "16 (cut)");
    // A datagram that fits exactly is not reported as cut.
    asker
        .send_to(&[b'y'; 16], server.server_address().inet().unwrap())
        .unwrap();
    server.handle_request().unwrap();
    assert_eq!(receive(&asker).0, "16");
}

#[test]
fn an_unnamed_unix_client_cannot_be_answered_and_is_reported() {
    let dir = tempfile::Builder::new()
        .prefix("fw")
        .tempdir_in("/tmp")
        .unwrap();
    let path = dir.path().join("s");
    let reports = Arc::new(Mutex::new(Vec::new()));
    let mut server = UnixDatagramServer::bind(&path, || Measure).unwrap();
    server.set_timeout(Some(DEADLINE));
    let r = Arc::clone(&reports);
    server.set_handle_error(move |client, error: &RequestError| {
        r.lock().unwrap().push(format!("{client}: {error}"));
    });
    // Not bound to a path: the server has nowhere to send the reply.
    let unnamed = UnixDatagram::unbound().unwrap();
    unnamed.send_to(b"hello", &path).unwrap();
    server.handle_request().unwrap();
    let reports = reports.lock().unwrap().clone();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].starts_with("(unnamed): "), "{reports:?}");
    assert!(reports[0].contains("cannot be answered"), "{reports:?}");
    // A named client is answered by the same server afterwards.
    let named = UnixDatagram::bind(dir.path().join("c")).unwrap();
    named.set_read_timeout(Some(DEADLINE)).unwrap();
    named.send_to(b"hello", &path).unwrap();
    server.handle_request().unwrap();
    let mut buf = [0u8; 8];
    let n = named.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"5");
    server.server_close();
    assert!(!path.exists(), "the socket file is removed on close");
}
