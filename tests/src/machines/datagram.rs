//! The datagram handlers fed arbitrary datagrams in memory: the UDP echo,
//! the broadcast receiver's line, and the UDP chat room (whose datagrams
//! to members go to a list instead of a socket).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use examples::broadcast::recv::describe;
use examples::chat::Settings;
use examples::chat::protocol::MAX_MESSAGE;
use examples::chat::udp::{Outbox, UdpRoom};
use examples::echo::EchoDatagram;
use framework::{Address, DatagramRequest, RequestHandler};
use parking_lot::Mutex;

/// The longest datagram the chat room may send to a member.
const MAX_SENT: usize = 2 * MAX_MESSAGE + 256;

fn client(n: usize) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 50000 + n as u16))
}

/// The echo handler answers every datagram with the same bytes, and the
/// broadcast receiver prints it as one line with no control character.
pub fn check_echo_and_broadcast(data: &[u8]) {
    let from = Address::from(client(0));
    let mut request = DatagramRequest::in_memory(data.to_vec(), from.clone()).expect("a request");
    let mut echo = EchoDatagram;
    echo.setup(&mut request).expect("setup");
    echo.handle(&mut request).expect("handle");
    echo.finish(&mut request).expect("finish");
    assert_eq!(request.wfile, data, "the echo differs from the datagram");

    let line = describe(&from, data);
    assert!(line.starts_with(&format!("from {from}: ")), "{line:?}");
    assert!(!line.chars().any(char::is_control), "{line:?}");
}

/// One datagram the room sent: to whom, what.
type Datagram = (SocketAddr, Vec<u8>);

/// The chat room's datagrams to members, kept in order (shared with the
/// check, which reads them while the room holds its handle).
#[derive(Default, Clone)]
struct Sent(Arc<Mutex<Vec<Datagram>>>);

impl Outbox for Sent {
    fn send(&self, datagram: &[u8], to: SocketAddr) {
        self.0.lock().push((to, datagram.to_vec()));
    }
}

/// Runs the events of `data` against a UDP chat room. The first byte
/// picks the member timeout (bit 0: zero, so that every sweep drops
/// everyone silent); then events `[what, length, bytes...]`: `what & 7`
/// 0 to 4 is a datagram of the bytes from client `(what >> 3) % 4`, 5 the
/// sweep of silent members, 6 the terminal says the bytes, 7 the server
/// stops. Checks, beside "no panic":
///
/// - every reply is `OK`, `EXIT` or an `ERR` line;
/// - every datagram to a member is UTF-8 text of at most [`MAX_SENT`]
///   bytes with no control character but a final newline;
/// - datagrams go only to addresses that joined (got `OK`);
/// - a member's accepted message goes to the others, never back to it.
pub fn check_udp_chat(data: &[u8]) {
    let (pick, mut rest) = data.split_first().unwrap_or((&0, &[]));
    let mut settings = Settings {
        silent: true,
        ..Settings::default()
    };
    if pick & 1 != 0 {
        settings.timeout = Duration::ZERO;
    }
    let sent = Sent::default();
    let room = UdpRoom::with_outbox(Box::new(sent.clone()), settings);
    let mut joined = std::collections::HashSet::new();
    while let Some((&what, after)) = rest.split_first() {
        let (len, after) = after.split_first().unwrap_or((&0, &[]));
        let len = usize::from(*len).min(after.len());
        let (bytes, after) = after.split_at(len);
        rest = after;
        let from = client(usize::from(what >> 3) % 4);
        let before = sent.0.lock().len();
        match what & 7 {
            0..=4 => {
                let reply = room.handle(from, bytes);
                if let Some(reply) = &reply {
                    assert!(
                        reply == "OK" || reply == "EXIT" || reply.starts_with("ERR "),
                        "reply {reply:?} to {:?}",
                        String::from_utf8_lossy(bytes)
                    );
                    assert!(!reply.chars().any(char::is_control), "{reply:?}");
                }
                if reply.as_deref() == Some("OK") {
                    joined.insert(from);
                }
                if reply.is_none() && bytes.starts_with(b"C ") {
                    let echoed = sent.0.lock()[before..].iter().any(|(to, _)| *to == from);
                    assert!(!echoed, "a member's message went back to it");
                }
            }
            5 => room.drop_silent_members(),
            6 => {
                let text: String = String::from_utf8_lossy(bytes)
                    .chars()
                    .filter(|c| !c.is_control())
                    .collect();
                room.admin_says(&text);
            }
            _ => room.close(),
        }
        for (to, datagram) in &sent.0.lock()[before..] {
            assert!(
                joined.contains(to),
                "a datagram to {to}, which never joined"
            );
            let text = std::str::from_utf8(datagram).expect("the room sends UTF-8");
            assert!(datagram.len() <= MAX_SENT, "{} bytes", datagram.len());
            assert!(
                !text.trim_end_matches('\n').chars().any(char::is_control),
                "{text:?}"
            );
        }
    }
}
