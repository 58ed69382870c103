//! The chat room over UDP, the course's design, on the framework's `UdpServer`.
//!
//! One datagram is one request. The server is sequential (one datagram at a
//! time, on the loop's thread), yet three threads touch the member list: the
//! loop (requests, and `service_actions`, which drops silent members), and
//! the administrator's terminal. So the list lives in a [`UdpRoom`] behind a
//! mutex, shared through an `Arc` that the handler factory clones into each
//! handler.
//!
//! A member is known by its address, not by the name it writes: a datagram
//! `C alice ...` from anyone but alice's address is refused. (The course
//! trusts the name field, so anyone could send `Q alice`.)

use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use framework::{
    Bind, DatagramRequest, RequestHandler, Sequential, Server, ServerHandle, ServerOptions,
    UdpServer, UdpTransport,
};
use parking_lot::Mutex;

use super::Settings;
use super::protocol::{self, Departure, MAX_MESSAGE, Refusal, Request};

/// One member: the name it chose and the address it speaks from.
#[derive(Debug, Clone)]
struct Member {
    name: String,
    address: SocketAddr,
    /// When its last datagram arrived (any request counts as a heartbeat).
    last_seen: Instant,
}

/// Where the room's datagrams to members go: the server's socket, or
/// (to drive the room in a test or a fuzzer) a list in memory.
pub trait Outbox: Send + Sync {
    /// Sends one datagram to `to`; a failure is ignored (UDP promises
    /// nothing, and one member gone must not stop the others).
    fn send(&self, datagram: &[u8], to: SocketAddr);
}

impl Outbox for UdpSocket {
    fn send(&self, datagram: &[u8], to: SocketAddr) {
        let _ = self.send_to(datagram, to);
    }
}

/// The shared state of a UDP chat room.
pub struct UdpRoom {
    /// Members in the order they joined.
    members: Mutex<Vec<Member>>,
    /// Where datagrams to members go: a second handle (`dup`) on the
    /// server's socket, so that the admin thread and the timeout sweep
    /// can send too.
    outbox: Box<dyn Outbox>,
    settings: Settings,
}

impl UdpRoom {
    /// A room that sends through `socket` (the server's own socket).
    pub fn new(socket: UdpSocket, settings: Settings) -> UdpRoom {
        UdpRoom::with_outbox(Box::new(socket), settings)
    }

    /// A room that sends through `outbox`.
    pub fn with_outbox(outbox: Box<dyn Outbox>, settings: Settings) -> UdpRoom {
        UdpRoom {
            members: Mutex::new(Vec::new()),
            outbox,
            settings,
        }
    }

    /// Handles one datagram from `from`; returns the reply to send back to
    /// it (`OK`, `EXIT`, `ERR ...`), if any.
    pub fn handle(&self, from: SocketAddr, packet: &[u8]) -> Option<String> {
        match self.dispatch(from, packet) {
            Ok(reply) => reply.map(str::to_string),
            Err(refusal) => {
                self.settings.log(&format!("! {from}: {refusal}"));
                Some(protocol::error_line(&refusal))
            }
        }
    }

    fn dispatch(&self, from: SocketAddr, packet: &[u8]) -> Result<Option<&'static str>, Refusal> {
        let request = protocol::parse_datagram(packet)?;
        let mut members = self.members.lock();
        // Any datagram from a member shows that it is still there.
        if let Some(member) = members.iter_mut().find(|m| m.address == from) {
            member.last_seen = Instant::now();
        }
        match request {
            Request::Join(name) => self.join(&mut members, from, name),
            Request::Say(name, text) => {
                identify(&members, from, name)?;
                protocol::check_text(text)?;
                let line = protocol::message_line(name, text);
                if !self.settings.quiet {
                    self.settings.log(&line);
                }
                self.send_to_all(&members, Some(from), &line);
                Ok(None)
            }
            Request::Quit(name) => {
                let index = identify(&members, from, name)?;
                let member = members.remove(index);
                self.announce_departure(&members, &member, Departure::Quit);
                // The course's reply: EXIT tells the leaver's receiver to stop.
                Ok(Some("EXIT"))
            }
            Request::Heartbeat(name) => {
                identify(&members, from, name)?;
                Ok(None)
            }
        }
    }

    fn join(
        &self,
        members: &mut Vec<Member>,
        from: SocketAddr,
        name: &str,
    ) -> Result<Option<&'static str>, Refusal> {
        protocol::check_name(name)?;
        if let Some(me) = members.iter().find(|m| m.address == from) {
            // The same L again (our OK was lost, the client retried): OK again.
            if me.name == name {
                return Ok(Some("OK"));
            }
            return Err(Refusal::AlreadyJoined(me.name.clone()));
        }
        if members.iter().any(|m| m.name == name) {
            return Err(Refusal::NameTaken(name.to_string()));
        }
        self.send_to_all(members, None, &protocol::joined_notice(name));
        members.push(Member {
            name: name.to_string(),
            address: from,
            last_seen: Instant::now(),
        });
        self.settings.log(&format!("+ {name} joined from {from}"));
        Ok(Some("OK"))
    }

    /// Python's `service_actions` for this server: drops every member that
    /// has been silent for longer than the timeout, with a notice to the others.
    pub fn drop_silent_members(&self) {
        let mut members = self.members.lock();
        let now = Instant::now();
        let timeout = self.settings.timeout;
        let silent = |m: &Member| now.duration_since(m.last_seen) > timeout;
        // The loop calls this after every batch of datagrams: most of the
        // time nobody is silent, and nothing needs rebuilding.
        if !members.iter().any(silent) {
            return;
        }
        let (gone, stay): (Vec<Member>, Vec<Member>) = members.drain(..).partition(silent);
        *members = stay;
        for member in &gone {
            self.announce_departure(&members, member, Departure::TimedOut);
        }
    }

    /// Sends a line from the server's terminal to every member as `admin`.
    pub fn admin_says(&self, text: &str) {
        let members = self.members.lock();
        let line = protocol::message_line(protocol::ADMIN, text);
        self.send_to_all(&members, None, &line);
        self.settings
            .log(&format!("{line} (to {} members)", members.len()));
    }

    /// Tells every member that the server stops, sends each an `EXIT` (so
    /// that clients end too) and empties the room.
    pub fn close(&self) {
        let mut members = self.members.lock();
        self.send_to_all(&members, None, protocol::SHUTDOWN_NOTICE);
        self.send_to_all(&members, None, "EXIT");
        members.clear();
    }

    fn announce_departure(&self, others: &[Member], member: &Member, why: Departure) {
        let notice = protocol::left_notice(&member.name, why);
        self.send_to_all(others, None, &notice);
        self.settings.log(&notice);
    }

    /// Sends `line` to every member except the one at `except`.
    fn send_to_all(&self, members: &[Member], except: Option<SocketAddr>, line: &str) {
        for member in members.iter().filter(|m| Some(m.address) != except) {
            self.outbox.send(line.as_bytes(), member.address);
        }
    }
}

/// Finds the sender among the members and checks that the request names it.
fn identify(members: &[Member], from: SocketAddr, claimed: &str) -> Result<usize, Refusal> {
    let index = members
        .iter()
        .position(|m| m.address == from)
        .ok_or(Refusal::NotJoined)?;
    if members[index].name != claimed {
        return Err(Refusal::NotYou {
            you: members[index].name.clone(),
            claimed: claimed.to_string(),
        });
    }
    Ok(index)
}

/// The request handler: hands the datagram to the room, replies with what
/// it answers (the framework sends `wfile` back after `finish`).
pub struct UdpChatHandler {
    room: Arc<UdpRoom>,
}

impl RequestHandler<DatagramRequest> for UdpChatHandler {
    fn handle(&mut self, request: &mut DatagramRequest) -> io::Result<()> {
        let Some(from) = request.client_address.inet() else {
            return Ok(());
        };
        if let Some(reply) = self.room.handle(from, request.packet()) {
            request.wfile.extend_from_slice(reply.as_bytes());
        }
        Ok(())
    }
}

/// The factory type: a boxed closure, so that the server's type can be named.
type Factory = Box<dyn Fn() -> UdpChatHandler + Send + Sync>;

/// A bound UDP chat server and its room.
pub struct UdpChat {
    server: UdpServer<Factory>,
    room: Arc<UdpRoom>,
    poll_interval: Duration,
}

impl UdpChat {
    /// Binds the server's socket and builds the room around it.
    pub fn bind(address: impl ToSocketAddrs, settings: Settings) -> io::Result<UdpChat> {
        let options = ServerOptions {
            // One byte more than the limit: a longer datagram is then cut to
            // MAX_MESSAGE + 1 bytes by the kernel, and we can tell it was too long.
            max_packet_size: MAX_MESSAGE + 1,
            ..ServerOptions::default()
        };
        let transport = UdpTransport::bind(address, &options)?;
        let socket = UdpSocket::from(transport.as_fd().try_clone_to_owned()?);
        // The sweep runs on every pass of the loop; a pass lasts at most the
        // poll interval, so a silent member goes within timeout + interval.
        let poll_interval = (settings.timeout / 4).min(Duration::from_millis(500));
        let room = Arc::new(UdpRoom::new(socket, settings));
        let for_handlers = Arc::clone(&room);
        let factory: Factory = Box::new(move || UdpChatHandler {
            room: Arc::clone(&for_handlers),
        });
        let mut server = Server::from_transport(transport, Sequential, factory)?;
        let sweeper = Arc::clone(&room);
        server.set_service_actions(move || sweeper.drop_silent_members());
        Ok(UdpChat {
            server,
            room,
            poll_interval,
        })
    }

    /// Where the server listens (port 0 has become the real port).
    pub fn server_address(&self) -> SocketAddr {
        self.server
            .server_address()
            .inet()
            .expect("a UDP server has an internet address")
    }

    /// The room, shared with the handlers.
    pub fn room(&self) -> &Arc<UdpRoom> {
        &self.room
    }

    /// A handle to stop `serve_forever` from another thread.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Makes Ctrl+C stop `serve_forever`.
    pub fn shutdown_on_ctrl_c(&self) -> io::Result<()> {
        self.server.shutdown_on_ctrl_c()
    }

    /// Serves until shut down, then says goodbye to every member.
    pub fn serve_forever(&self) -> io::Result<()> {
        let result = self
            .server
            .serve_forever_with_poll_interval(self.poll_interval);
        self.room.close();
        result
    }
}
