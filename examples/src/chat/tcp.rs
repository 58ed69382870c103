//! The chat room over TCP lines, for plain `nc 127.0.0.1 8888`.
//!
//! A `ThreadingTcpServer` runs one handler thread per connection; all of them
//! share one [`TcpRoom`] (an `Arc` the factory clones into each handler).
//! What UDP did not need:
//!
//! - **shared state between threads**: every member's thread reads the
//!   member list, so it sits behind a mutex;
//! - **backpressure**: one member that stops reading must not slow the
//!   others. Nobody writes to a member's socket but that member's own
//!   writer thread, fed through a *bounded* queue. Delivering a message is
//!   `try_send` into each queue, which never blocks; a member whose queue is
//!   full is disconnected (its socket shut down) instead of holding everyone
//!   up. (A blocking or unbounded queue would be the other two choices:
//!   everyone waits for the slowest, or the server's memory grows without end.)
//! - **framing**: TCP is a byte stream, so a message is a line, and a line
//!   has a maximum length; reading never buffers more than that.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::{self, JoinHandle};

use framework::{
    Address, Connection, RequestHandler, ServerHandle, ServerOptions, StreamRequest,
    ThreadingTcpServer,
};
use parking_lot::Mutex;

use super::Settings;
use super::protocol::{self, Departure, MAX_MESSAGE, Refusal};

/// What the kernel may hold for one member on top of its queue: a small
/// send buffer keeps "not reading" from hiding behind megabytes of buffer.
const SEND_BUFFER: usize = 64 * 1024;

/// At most this many bytes of queued lines go out in one `write`.
const WRITE_BATCH: usize = 16 * 1024;

/// The first thing a new connection reads.
pub const NAME_PROMPT: &str = "Please enter your name:";

/// One line on its way to members; shared, so a message to 100 members is
/// one allocation, not 100.
type Line = Arc<str>;

/// A member: its name and its queue. Its socket is its connection's entry
/// in [`State::connections`], which outlives the membership: registered
/// before `handle`, unregistered after it, and `handle` leaves the room.
struct TcpMember {
    id: u64,
    name: String,
    queue: SyncSender<Line>,
}

#[derive(Default)]
struct State {
    /// Members in the order they joined.
    members: Vec<TcpMember>,
    /// Every open connection, member or still at the name prompt, so that
    /// a shutdown can end each handler's blocking read.
    connections: HashMap<u64, Connection>,
    next_id: u64,
    closing: bool,
}

/// The shared state of a TCP chat room.
pub struct TcpRoom {
    state: Mutex<State>,
    settings: Settings,
}

impl TcpRoom {
    /// An empty room.
    pub fn new(settings: Settings) -> TcpRoom {
        TcpRoom {
            state: Mutex::new(State::default()),
            settings,
        }
    }

    /// Notes a new connection; fails once the server is closing.
    fn register(&self, connection: &Connection) -> io::Result<u64> {
        let mut state = self.state.lock();
        if state.closing {
            return Err(io::Error::other("the server is shutting down"));
        }
        state.next_id += 1;
        let id = state.next_id;
        state.connections.insert(id, connection.try_clone()?);
        Ok(id)
    }

    fn unregister(&self, id: u64) {
        self.state.lock().connections.remove(&id);
    }

    /// Adds connection `id` as `name`; returns the queue its writer reads,
    /// which already holds `OK` and a welcome line.
    fn join(&self, id: u64, name: &str, from: &Address) -> Result<Receiver<Line>, Refusal> {
        protocol::check_name(name)?;
        let mut state = self.state.lock();
        if state.closing {
            return Err(Refusal::ShuttingDown);
        }
        if state.members.iter().any(|m| m.name == name) {
            return Err(Refusal::NameTaken(name.to_string()));
        }
        // Room for the two greeting lines, whatever the setting says.
        let (queue, lines) = mpsc::sync_channel(self.settings.queue.max(2));
        let others: Vec<&str> = state.members.iter().map(|m| m.name.as_str()).collect();
        let welcome = if others.is_empty() {
            format!("* welcome {name}; nobody else is here; type quit to leave")
        } else {
            format!(
                "* welcome {name}; also here: {}; type quit to leave",
                others.join(", ")
            )
        };
        for line in ["OK", welcome.as_str()] {
            let _ = queue.try_send(line_of(line));
        }
        self.deliver(&mut state, None, &protocol::joined_notice(name));
        state.members.push(TcpMember {
            id,
            name: name.to_string(),
            queue,
        });
        self.settings.log(&format!("+ {name} joined from {from}"));
        Ok(lines)
    }

    /// Member `id` says `text` to everyone else.
    fn say(&self, id: u64, text: &str) {
        let mut state = self.state.lock();
        let Some(name) = state
            .members
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.name.clone())
        else {
            return;
        };
        let line = protocol::message_line(&name, text);
        if !self.settings.quiet {
            self.settings.log(&line);
        }
        self.deliver(&mut state, Some(id), &line);
    }

    /// Sends one line to member `id` only (an `ERR` reply).
    fn tell(&self, id: u64, line: &str) {
        let mut state = self.state.lock();
        let full =
            state.members.iter().find(|m| m.id == id).is_some_and(|m| {
                matches!(m.queue.try_send(line_of(line)), Err(TrySendError::Full(_)))
            });
        if full {
            self.remove(&mut state, id, Departure::TooSlow);
        }
    }

    /// Member `id` leaves; with `Quit` it gets `EXIT` as its last line.
    fn leave(&self, id: u64, why: Departure) {
        let mut state = self.state.lock();
        if why == Departure::Quit {
            if let Some(member) = state.members.iter().find(|m| m.id == id) {
                let _ = member.queue.try_send(line_of("EXIT"));
            }
        }
        self.remove(&mut state, id, why);
    }

    /// Sends a line from the server's terminal to every member as `admin`.
    pub fn admin_says(&self, text: &str) {
        let mut state = self.state.lock();
        let line = protocol::message_line(protocol::ADMIN, text);
        self.settings
            .log(&format!("{line} (to {} members)", state.members.len()));
        self.deliver(&mut state, None, &line);
    }

    /// The names of the members, in the order they joined.
    pub fn names(&self) -> Vec<String> {
        let state = self.state.lock();
        state.members.iter().map(|m| m.name.clone()).collect()
    }

    /// Says goodbye to every member (a notice, then `EXIT`) and ends every
    /// connection's reading, so that all handler threads finish.
    pub fn close(&self) {
        let mut state = self.state.lock();
        state.closing = true;
        let goodbye = [line_of(protocol::SHUTDOWN_NOTICE), line_of("EXIT")];
        let State {
            members,
            connections,
            ..
        } = &mut *state;
        for member in members.drain(..) {
            let queued = goodbye
                .iter()
                .all(|line| member.queue.try_send(line.clone()).is_ok());
            // Its queue is full: nothing more will reach it; cut it off.
            if !queued && let Some(connection) = connections.get(&member.id) {
                let _ = connection.shutdown(Shutdown::Both);
            }
            // Dropping `member` drops its queue's sender: the writer thread
            // sends what is queued, then ends.
        }
        for connection in state.connections.values() {
            // Ends the blocking read of the handler; writing stays open
            // for the goodbye lines.
            let _ = connection.shutdown(Shutdown::Read);
        }
    }

    /// Queues `line` for every member but `except`; disconnects members
    /// whose queue is full.
    fn deliver(&self, state: &mut State, except: Option<u64>, line: &str) {
        let line = line_of(line);
        let mut slow = Vec::new();
        for member in state.members.iter().filter(|m| Some(m.id) != except) {
            if let Err(TrySendError::Full(_)) = member.queue.try_send(Arc::clone(&line)) {
                slow.push(member.id);
            }
            // Disconnected: its writer has ended after a failed write and
            // its handler is about to remove it; nothing to do here.
        }
        for id in slow {
            self.remove(state, id, Departure::TooSlow);
        }
    }

    /// Takes member `id` out of the room and tells the others. A member
    /// leaving for any reason but `Quit` has its socket shut down, which
    /// wakes its writer (blocked in `write`) and its reader.
    fn remove(&self, state: &mut State, id: u64, why: Departure) {
        let Some(index) = state.members.iter().position(|m| m.id == id) else {
            return;
        };
        let member = state.members.remove(index);
        if why != Departure::Quit
            && let Some(connection) = state.connections.get(&id)
        {
            let _ = connection.shutdown(Shutdown::Both);
        }
        let notice = protocol::left_notice(&member.name, why);
        self.settings.log(&notice);
        self.deliver(state, None, &notice);
    }
}

/// A line with its newline, ready to share.
fn line_of(text: &str) -> Line {
    Arc::from(format!("{text}\n"))
}

/// One line read from a member.
#[derive(Debug, PartialEq, Eq)]
enum Input {
    Text(String),
    TooLong,
    NotUtf8,
    End,
}

/// Reads one line of at most [`MAX_MESSAGE`] bytes (without its `\n` or
/// `\r\n`). A longer line is skipped up to its newline and reported as
/// `TooLong`, so memory stays bounded whatever the client sends.
fn read_line(rfile: &mut BufReader<Connection>, buf: &mut Vec<u8>) -> io::Result<Input> {
    buf.clear();
    let limit = MAX_MESSAGE as u64 + 2; // room for "\r\n"
    let n = rfile.by_ref().take(limit).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(Input::End);
    }
    if buf.last() != Some(&b'\n') && n as u64 == limit {
        skip_rest_of_line(rfile)?;
        return Ok(Input::TooLong);
    }
    let text = match std::str::from_utf8(buf) {
        Ok(text) => protocol::strip_newline(text),
        Err(_) => return Ok(Input::NotUtf8),
    };
    if text.len() > MAX_MESSAGE {
        return Ok(Input::TooLong);
    }
    Ok(Input::Text(text.to_string()))
}

/// Discards bytes up to and including the next newline (or the end).
fn skip_rest_of_line(rfile: &mut BufReader<Connection>) -> io::Result<()> {
    loop {
        let available = rfile.fill_buf()?;
        if available.is_empty() {
            return Ok(());
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(pos) => {
                rfile.consume(pos + 1);
                return Ok(());
            }
            None => {
                let len = available.len();
                rfile.consume(len);
            }
        }
    }
}

/// The handler of one connection: asks for a name, then relays lines.
pub struct TcpChatHandler {
    room: Arc<TcpRoom>,
    id: u64,
}

impl RequestHandler<StreamRequest> for TcpChatHandler {
    fn setup(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        self.id = self.room.register(&request.wfile)?;
        // Lines are small and must go out at once.
        request.set_nodelay(true)?;
        let socket = socket2::SockRef::from(&request.wfile);
        socket.set_send_buffer_size(SEND_BUFFER)?;
        // A write that blocks this long means the member is not reading.
        socket.set_write_timeout(Some(self.room.settings.write_timeout))
    }

    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        let Some(lines) = self.ask_name(request)? else {
            return Ok(());
        };
        let writer = match spawn_writer(Arc::clone(&self.room), self.id, &request.wfile, lines) {
            Ok(writer) => writer,
            Err(err) => {
                // No thread could write to it: it must not stay a member.
                self.room.leave(self.id, Departure::ConnectionLost);
                return Err(err);
            }
        };
        let why = self.relay(request);
        self.room.leave(self.id, why);
        // Leaving dropped the queue's sender: the writer sends what is
        // left (EXIT, after a quit) and ends.
        let _ = writer.join();
        Ok(())
    }

    fn finish(&mut self, _request: &mut StreamRequest) -> io::Result<()> {
        self.room.unregister(self.id);
        Ok(())
    }
}

impl TcpChatHandler {
    /// Prompts until a free, valid name arrives; `None` if the client went away.
    fn ask_name(&self, request: &mut StreamRequest) -> io::Result<Option<Receiver<Line>>> {
        let mut buf = Vec::new();
        loop {
            writeln!(request.wfile, "{NAME_PROMPT}")?;
            let refusal = match read_line(&mut request.rfile, &mut buf)? {
                Input::End => return Ok(None),
                Input::TooLong => Refusal::TooLong,
                Input::NotUtf8 => Refusal::NotUtf8,
                Input::Text(name) => {
                    match self.room.join(self.id, &name, &request.client_address) {
                        Ok(lines) => return Ok(Some(lines)),
                        Err(refusal) => refusal,
                    }
                }
            };
            self.room
                .settings
                .log(&format!("! {}: {refusal}", request.client_address));
            writeln!(request.wfile, "{}", protocol::error_line(&refusal))?;
        }
    }

    /// Reads the member's lines until it quits or goes; says why it left.
    fn relay(&self, request: &mut StreamRequest) -> Departure {
        let mut buf = Vec::new();
        loop {
            let refusal = match read_line(&mut request.rfile, &mut buf) {
                Err(_) => return Departure::ConnectionLost,
                Ok(Input::End) => return Departure::Quit,
                Ok(Input::TooLong) => Refusal::TooLong,
                Ok(Input::NotUtf8) => Refusal::NotUtf8,
                Ok(Input::Text(text)) if text == "quit" => return Departure::Quit,
                // An empty line (Enter pressed in nc) is ignored.
                Ok(Input::Text(text)) if text.is_empty() => continue,
                Ok(Input::Text(text)) => match protocol::check_text(&text) {
                    Ok(()) => {
                        self.room.say(self.id, &text);
                        continue;
                    }
                    Err(refusal) => refusal,
                },
            };
            self.room
                .settings
                .log(&format!("! {}: {refusal}", request.client_address));
            self.room.tell(self.id, &protocol::error_line(&refusal));
        }
    }
}

/// Starts the member's writer: the only thread that writes to its socket.
fn spawn_writer(
    room: Arc<TcpRoom>,
    id: u64,
    connection: &Connection,
    lines: Receiver<Line>,
) -> io::Result<JoinHandle<()>> {
    let mut connection = connection.try_clone()?;
    thread::Builder::new()
        .name(format!("chat-writer-{id}"))
        .spawn(move || {
            let mut batch = Vec::with_capacity(WRITE_BATCH);
            // Blocks for the first line, then takes whatever else is already
            // queued: one write() for many lines means fewer system calls
            // and fewer, fuller TCP segments when the room is busy.
            for first in &lines {
                batch.clear();
                batch.extend_from_slice(first.as_bytes());
                while batch.len() < WRITE_BATCH {
                    match lines.try_recv() {
                        Ok(line) => batch.extend_from_slice(line.as_bytes()),
                        Err(_) => break,
                    }
                }
                if let Err(err) = connection.write_all(&batch) {
                    // The write timeout fired: the member does not read.
                    let why = match err.kind() {
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Departure::TooSlow,
                        _ => Departure::ConnectionLost,
                    };
                    room.leave(id, why);
                    // Wakes the handler's read, if the member is still connected.
                    let _ = connection.shutdown(Shutdown::Both);
                    return;
                }
            }
        })
}

/// The factory type: a boxed closure, so that the server's type can be named.
type Factory = Box<dyn Fn() -> TcpChatHandler + Send + Sync>;

/// A bound TCP chat server and its room.
pub struct TcpChat {
    server: ThreadingTcpServer<Factory>,
    room: Arc<TcpRoom>,
}

impl TcpChat {
    /// Binds and listens (with `SO_REUSEADDR`, so a restart finds its port free).
    pub fn bind(address: impl ToSocketAddrs, settings: Settings) -> io::Result<TcpChat> {
        let room = Arc::new(TcpRoom::new(settings));
        let for_handlers = Arc::clone(&room);
        let factory: Factory = Box::new(move || TcpChatHandler {
            room: Arc::clone(&for_handlers),
            id: 0,
        });
        let server =
            ThreadingTcpServer::bind_with(address, &ServerOptions::reuse_address(), factory)?;
        Ok(TcpChat { server, room })
    }

    /// Where the server listens (port 0 has become the real port).
    pub fn server_address(&self) -> SocketAddr {
        self.server
            .server_address()
            .inet()
            .expect("a TCP server has an internet address")
    }

    /// The room, shared with the handlers.
    pub fn room(&self) -> &Arc<TcpRoom> {
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

    /// Serves until shut down, then says goodbye to every member. Dropping
    /// the `TcpChat` afterwards waits for the handler threads.
    pub fn serve_forever(&self) -> io::Result<()> {
        let result = self.server.serve_forever();
        self.room.close();
        result
    }
}
