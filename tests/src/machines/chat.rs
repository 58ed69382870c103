//! The TCP chat room's state machine ([`Room`]) driven in memory with up
//! to four connections, as its event-loop protocol (`chat::tcp::ChatConn`,
//! a thin shim that hands every event to the room) would drive it.
//!
//! The fuzzer's bytes are a list of events, each `[what, length, bytes...]`
//! (see [`check`]); the first byte picks the room's settings, among them
//! zero timeouts and a tiny queue so that holding back and cutting off
//! happen within a short input.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use examples::chat::Settings;
use examples::chat::protocol::{Departure, MAX_MESSAGE};
use examples::chat::tcp_room::Room;
use framework::{ConnId, MemoryLoop};

/// Connections a session may open.
const CLIENTS: usize = 4;

/// The longest line the room may send: a notice or message with the
/// longest name and text, with room to spare.
const MAX_SENT_LINE: usize = 2 * MAX_MESSAGE + 256;

/// Room settings the first byte picks from: the defaults, a tiny queue,
/// and zero timeouts (every tick then judges at once).
fn settings(pick: u8) -> Settings {
    let mut settings = Settings {
        silent: true,
        ..Settings::default()
    };
    if pick & 1 != 0 {
        settings.queue = 2048;
    }
    if pick & 2 != 0 {
        settings.hold = Duration::ZERO;
        settings.write_timeout = Duration::ZERO;
    }
    settings
}

/// One client's connection: its id and what it has read so far.
struct Client {
    id: ConnId,
    read: Vec<u8>,
    closed: bool,
}

/// Runs the events of `data` against a room and checks, after every one:
///
/// - nothing panics;
/// - every byte a client reads is UTF-8 text in whole `\n`-ended lines of
///   at most [`MAX_SENT_LINE`] bytes, with no control character;
/// - no connection's queue passes the room's limit by more than its last
///   line (the room cuts a reader off there);
/// - member names are unique;
///
/// and at the end, once every client has read all it was sent: no
/// connection still open is held back (paused) for ever.
///
/// Events, `what & 7`, for client `(what >> 3) % 4`: 0 connect, 1 send the
/// `length` bytes that follow, 2 end of input, 3 read everything queued
/// (the room hears its queue drained), 4 the connection drops, 5 the
/// room's 50 ms tick, 6 the terminal says the bytes, 7 the server stops.
pub fn check(data: &[u8]) {
    let (pick, mut rest) = data.split_first().unwrap_or((&0, &[]));
    let settings = settings(*pick);
    let queue_limit = settings.queue;
    let mut room = Room::new(settings);
    let mut memory = MemoryLoop::new();
    let mut clients: HashMap<usize, Client> = HashMap::new();
    // The calls that are about no client (a tick, the terminal) run with
    // a connection the room never heard of, as a loop's `LoopConns` would.
    let host = memory.open().expect("a socket pair");
    while let Some((&what, after)) = rest.split_first() {
        let (len, after) = after.split_first().unwrap_or((&0, &[]));
        let len = usize::from(*len).min(after.len());
        let (bytes, after) = after.split_at(len);
        rest = after;
        let who = usize::from(what >> 3) % CLIENTS;
        let open = clients.get(&who).filter(|c| !c.closed).map(|c| c.id);
        match (what & 7, open) {
            (0, None) => {
                let id = memory.open().expect("a socket pair");
                clients.insert(
                    who,
                    Client {
                        id,
                        read: Vec::new(),
                        closed: false,
                    },
                );
                let address = SocketAddr::from((Ipv4Addr::LOCALHOST, 40000 + who as u16));
                room.arrive(&mut memory.conn(id), id, address.into());
            }
            (1, Some(id)) if memory.is_reading(id) && !memory.is_closing(id) => {
                room.received(&mut memory.conn(id), id, bytes);
            }
            (2, Some(id)) if !memory.is_closing(id) => room.end_of_input(&mut memory.conn(id), id),
            (3, Some(_)) => read_all(&mut room, &mut memory, &mut clients, who),
            (4, Some(id)) => {
                room.closed(&mut memory.conn(id), id, Some(Departure::ConnectionLost));
                finish(&mut memory, &mut clients, who);
            }
            (5, _) => room.tick(&mut memory.conn(host)),
            (6, _) => {
                // A line typed at the server's terminal: no control characters.
                let text: String = String::from_utf8_lossy(bytes)
                    .chars()
                    .filter(|c| !c.is_control())
                    .collect();
                room.admin_says(&mut memory.conn(host), &text);
            }
            (7, _) => room.close(&mut memory.conn(host)),
            _ => {}
        }
        settle(&mut room, &mut memory, &mut clients, queue_limit);
    }
    // Everyone reads until nothing more comes: no one stays held back.
    for _ in 0..CLIENTS * 4 {
        for who in 0..CLIENTS {
            read_all(&mut room, &mut memory, &mut clients, who);
        }
        settle(&mut room, &mut memory, &mut clients, queue_limit);
    }
    for client in clients.values().filter(|c| !c.closed) {
        assert!(
            memory.is_reading(client.id) || memory.is_closing(client.id),
            "a talker is still held back after everyone read everything"
        );
        check_lines(&client.read);
    }
}

/// Client `who` reads everything queued for it; the room hears the queue
/// drained, as from the loop's `writable`.
fn read_all(
    room: &mut Room,
    memory: &mut MemoryLoop,
    clients: &mut HashMap<usize, Client>,
    who: usize,
) {
    let Some(client) = clients.get_mut(&who).filter(|c| !c.closed) else {
        return;
    };
    let id = client.id;
    let taken = memory.take_output(id);
    if taken.is_empty() {
        return;
    }
    client.read.extend(taken);
    if !memory.is_closing(id) {
        room.drained(&mut memory.conn(id), id);
    }
}

/// After each event: connections the room closed end (their queue read
/// first, as the loop sends it before closing), and the invariants hold.
fn settle(
    room: &mut Room,
    memory: &mut MemoryLoop,
    clients: &mut HashMap<usize, Client>,
    queue_limit: usize,
) {
    for who in 0..CLIENTS {
        let Some(client) = clients.get(&who).filter(|c| !c.closed) else {
            continue;
        };
        let id = client.id;
        assert!(
            memory.output_len(id) <= queue_limit + MAX_SENT_LINE + 1,
            "{} bytes queued past the limit of {queue_limit}",
            memory.output_len(id)
        );
        if memory.is_closing(id) {
            let taken = memory.take_output(id);
            let client = clients.get_mut(&who).expect("just seen");
            client.read.extend(taken);
            room.closed(&mut memory.conn(id), id, None);
            finish(memory, clients, who);
        }
    }
    let names = room.names();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "a name twice: {names:?}");
}

/// Client `who`'s connection has ended: what it read must be whole lines.
fn finish(memory: &mut MemoryLoop, clients: &mut HashMap<usize, Client>, who: usize) {
    if let Some(client) = clients.get_mut(&who) {
        client.read.extend(memory.take_output(client.id));
        memory.remove(client.id);
        client.closed = true;
        check_lines(&client.read);
    }
}

/// UTF-8, whole lines, none too long, no control characters.
fn check_lines(read: &[u8]) {
    let text = std::str::from_utf8(read).expect("the room sends UTF-8");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "a line cut short: {text:?}"
    );
    for line in text.lines() {
        assert!(
            line.len() <= MAX_SENT_LINE,
            "a line of {} bytes",
            line.len()
        );
        assert!(
            !line.chars().any(char::is_control),
            "a control character in {line:?}"
        );
    }
}
