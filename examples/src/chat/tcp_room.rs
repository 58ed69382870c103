//! The TCP room's state and its burst policy, run on the event loop's one
//! thread (every method is called from a protocol callback or from a call
//! queued by another thread, never at the same time).
//!
//! ## The burst policy
//!
//! A talker can send far faster than some members read: 20,000 lines at
//! full speed take a few milliseconds to send and much longer to read. The
//! room keeps the two promises IRC servers keep (flood control on input, a
//! send-queue limit in bytes on output), in this form:
//!
//! 1. **The talker is slowed, not the listeners cut.** After each line
//!    delivered, any member whose queue (bytes waiting for its socket) is
//!    above the high-water mark *holds* the talker: the talker's reading is
//!    paused (`set_reading(talker, false)`), its unread lines stay in its
//!    [`InputBuffer`] and then in the kernel, and TCP makes the talker's
//!    program wait. When the member's queue has drained (the loop calls its
//!    `writable`), it lets go; a talker no one holds any more reads again.
//! 2. **A member that takes nothing stops holding anyone.** A member whose
//!    socket has accepted nothing for [`Settings::hold`] while holding a
//!    talker is marked stalled and lets go; the room goes on without it.
//! 3. **Only then is anyone disconnected**: a member whose queue passes the
//!    byte limit ([`Settings::queue`]), or whose socket has accepted nothing
//!    for [`Settings::write_timeout`] while lines waited. It gets an `ERR`
//!    line saying why after what was queued, and the others get
//!    `* NAME has left the chat (not reading; disconnected)`.
//!
//! The accounting: the room counts the bytes it queued for each member;
//! minus what is still queued (`output_len_of`), that is what its socket
//! has accepted. A timer (a call queued every 50 ms by another thread)
//! compares it with the last look, and so does every delivery.

use std::collections::HashMap;
use std::time::Instant;

use framework::{Address, Conn, ConnId, LoopConns};

use super::Settings;
use super::protocol::{self, Departure, Refusal};
use super::tcp_input::{Input, InputBuffer};

/// The first thing a new connection reads.
pub const NAME_PROMPT: &str = "Please enter your name:";

/// A member's queue above this many bytes holds the talker back (or half
/// the byte limit, if that is smaller).
pub const HIGH_WATER: usize = 64 * 1024;

/// What the room needs from the loop: the cross-connection half of
/// `Conn`, which a protocol callback ([`Conn`]) and a call from another
/// thread ([`LoopConns`]) both offer.
pub trait Peers {
    /// Queues bytes for a connection.
    fn write_to(&mut self, id: ConnId, data: &[u8]) -> bool;
    /// Sends what is queued, then closes.
    fn close_other(&mut self, id: ConnId) -> bool;
    /// Pauses or resumes reading.
    fn set_reading(&mut self, id: ConnId, reading: bool) -> bool;
    /// Bytes queued and not yet taken by the socket.
    fn output_len_of(&self, id: ConnId) -> Option<usize>;
}

impl Peers for Conn<'_> {
    fn write_to(&mut self, id: ConnId, data: &[u8]) -> bool {
        Conn::write_to(self, id, data)
    }
    fn close_other(&mut self, id: ConnId) -> bool {
        Conn::close_other(self, id)
    }
    fn set_reading(&mut self, id: ConnId, reading: bool) -> bool {
        Conn::set_reading(self, id, reading)
    }
    fn output_len_of(&self, id: ConnId) -> Option<usize> {
        Conn::output_len_of(self, id)
    }
}

impl Peers for LoopConns<'_> {
    fn write_to(&mut self, id: ConnId, data: &[u8]) -> bool {
        LoopConns::write_to(self, id, data)
    }
    fn close_other(&mut self, id: ConnId) -> bool {
        LoopConns::close_other(self, id)
    }
    fn set_reading(&mut self, id: ConnId, reading: bool) -> bool {
        LoopConns::set_reading(self, id, reading)
    }
    fn output_len_of(&self, id: ConnId) -> Option<usize> {
        LoopConns::output_len_of(self, id)
    }
}

/// One connection: at the name prompt, or a member.
struct Person {
    client: Address,
    /// `None` while at the name prompt.
    name: Option<String>,
    input: InputBuffer,
    /// Quitting, cut off or closing: its input is no longer read.
    leaving: bool,
    /// How many members hold this talker back (reading paused while > 0).
    held_by: usize,
    /// The talkers this member holds back until its queue drains.
    holding: Vec<ConnId>,
    /// Its socket accepted nothing for `hold`: it holds no one.
    stalled: bool,
    /// Bytes the room has queued for it in all.
    queued: u64,
    /// Bytes its socket had accepted at the last look, and when that grew.
    accepted: u64,
    progress_at: Instant,
}

/// The shared state of a TCP chat room.
pub struct Room {
    people: HashMap<ConnId, Person>,
    /// Members in the order they joined.
    members: Vec<ConnId>,
    closing: bool,
    settings: Settings,
}

impl Room {
    /// An empty room.
    pub fn new(settings: Settings) -> Room {
        Room {
            people: HashMap::new(),
            members: Vec::new(),
            closing: false,
            settings,
        }
    }

    /// The high-water mark in bytes.
    fn high_water(&self) -> usize {
        HIGH_WATER.min(self.settings.queue / 2)
    }

    /// The names of the members, in the order they joined.
    pub fn names(&self) -> Vec<String> {
        self.members
            .iter()
            .filter_map(|id| self.people.get(id)?.name.clone())
            .collect()
    }

    /// A new connection: it gets the name prompt.
    pub fn arrive(&mut self, peers: &mut impl Peers, id: ConnId, client: Address) {
        self.people.insert(
            id,
            Person {
                client,
                name: None,
                input: InputBuffer::default(),
                leaving: false,
                held_by: 0,
                holding: Vec::new(),
                stalled: false,
                queued: 0,
                accepted: 0,
                progress_at: Instant::now(),
            },
        );
        if self.closing {
            self.send(peers, id, &protocol::error_line(&Refusal::ShuttingDown));
            self.leave_now(peers, id);
        } else {
            self.send(peers, id, NAME_PROMPT);
        }
    }

    /// Bytes arrived from `id`: takes its lines while it is not held back.
    pub fn received(&mut self, peers: &mut impl Peers, id: ConnId, data: &[u8]) {
        if let Some(person) = self.people.get_mut(&id) {
            person.input.extend(data);
        }
        self.pump(peers, id);
    }

    /// The client ended its side: its last line, then it leaves as by `quit`.
    pub fn end_of_input(&mut self, peers: &mut impl Peers, id: ConnId) {
        let last = self
            .people
            .get_mut(&id)
            .filter(|p| !p.leaving)
            .and_then(|p| p.input.last_line());
        if let Some(line) = last {
            self.take_line(peers, id, line);
        }
        self.quit(peers, id);
    }

    /// `id`'s queue has drained: it made progress, and lets go of the
    /// talkers it held back.
    pub fn drained(&mut self, peers: &mut impl Peers, id: ConnId) {
        if let Some(person) = self.people.get_mut(&id) {
            person.accepted = person.queued;
            person.progress_at = Instant::now();
            person.stalled = false;
        }
        self.let_go(peers, id);
    }

    /// `id`'s connection has closed, for `why` (`None`: the room closed it).
    pub fn closed(&mut self, peers: &mut impl Peers, id: ConnId, why: Option<Departure>) {
        if let Some(why) = why {
            self.remove_member(peers, id, why);
        }
        self.let_go(peers, id);
        self.people.remove(&id);
    }

    /// A line from the server's terminal, to every member as `admin`.
    pub fn admin_says(&mut self, peers: &mut impl Peers, text: &str) {
        let line = protocol::message_line(protocol::ADMIN, text);
        self.settings
            .log(&format!("{line} (to {} members)", self.members.len()));
        self.deliver(peers, None, &line);
    }

    /// The server stops: every member gets a notice and `EXIT`, every
    /// connection is closed once its queue has gone.
    pub fn close(&mut self, peers: &mut impl Peers) {
        self.closing = true;
        for id in std::mem::take(&mut self.members) {
            self.send(peers, id, protocol::SHUTDOWN_NOTICE);
            self.send(peers, id, "EXIT");
        }
        let everyone: Vec<ConnId> = self.people.keys().copied().collect();
        for id in everyone {
            self.leave_now(peers, id);
        }
    }

    /// Every 50 ms: who made progress, who holds talkers while taking
    /// nothing (it lets go), who has taken nothing for too long (cut off).
    pub fn tick(&mut self, peers: &mut impl Peers) {
        let now = Instant::now();
        let mut let_go = Vec::new();
        let mut cut = Vec::new();
        for &id in &self.members {
            let Some(person) = self.people.get_mut(&id) else {
                continue;
            };
            let waiting = peers.output_len_of(id).unwrap_or(0);
            let accepted = person.queued.saturating_sub(waiting as u64);
            if waiting == 0 || accepted > person.accepted {
                person.accepted = accepted;
                person.progress_at = now;
                person.stalled = false;
                continue;
            }
            let still = now - person.progress_at;
            if still >= self.settings.write_timeout {
                cut.push((id, still));
            } else if still >= self.settings.hold && !person.holding.is_empty() {
                person.stalled = true;
                let_go.push(id);
            }
        }
        for id in let_go {
            self.let_go(peers, id);
        }
        for (id, still) in cut {
            let detail = format!(
                "its socket accepted nothing for {:.1} s",
                still.as_secs_f64()
            );
            self.cut_off(peers, id, &detail);
        }
    }

    // --- lines in -----------------------------------------------------------

    /// Takes `id`'s lines one by one until none is whole or it is held back.
    fn pump(&mut self, peers: &mut impl Peers, id: ConnId) {
        loop {
            let Some(person) = self.people.get_mut(&id) else {
                return;
            };
            if person.leaving || person.held_by > 0 {
                return;
            }
            let Some(line) = person.input.next_line() else {
                return;
            };
            self.take_line(peers, id, line);
        }
    }

    /// One line from `id`: a name at the prompt, or something to say.
    fn take_line(&mut self, peers: &mut impl Peers, id: ConnId, line: Input) {
        let Some(person) = self.people.get(&id) else {
            return;
        };
        let joining = person.name.is_none();
        let refusal = match line {
            Input::TooLong => Refusal::TooLong,
            Input::NotUtf8 => Refusal::NotUtf8,
            Input::Text(name) if joining => match self.join(peers, id, &name) {
                Ok(()) => return,
                Err(refusal) => refusal,
            },
            Input::Text(text) if text == "quit" => return self.quit(peers, id),
            // An empty line (Enter pressed in nc) is ignored.
            Input::Text(text) if text.is_empty() => return,
            Input::Text(text) => match protocol::check_text(&text) {
                Ok(()) => return self.say(peers, id, &text),
                Err(refusal) => refusal,
            },
        };
        let client = &self.people[&id].client;
        self.settings.log(&format!("! {client}: {refusal}"));
        self.send(peers, id, &protocol::error_line(&refusal));
        if joining {
            self.send(peers, id, NAME_PROMPT);
        }
    }

    /// Connection `id` becomes member `name`: `OK`, a welcome, a notice to the others.
    fn join(&mut self, peers: &mut impl Peers, id: ConnId, name: &str) -> Result<(), Refusal> {
        protocol::check_name(name)?;
        if self.closing {
            return Err(Refusal::ShuttingDown);
        }
        if self.names().iter().any(|n| n == name) {
            return Err(Refusal::NameTaken(name.to_string()));
        }
        let others = self.names();
        let welcome = if others.is_empty() {
            format!("* welcome {name}; nobody else is here; type quit to leave")
        } else {
            format!(
                "* welcome {name}; also here: {}; type quit to leave",
                others.join(", ")
            )
        };
        self.send(peers, id, "OK");
        self.send(peers, id, &welcome);
        self.deliver(peers, None, &protocol::joined_notice(name));
        let person = self.people.get_mut(&id).expect("checked by the caller");
        person.name = Some(name.to_string());
        self.members.push(id);
        let client = &self.people[&id].client;
        self.settings.log(&format!("+ {name} joined from {client}"));
        Ok(())
    }

    /// Member `id` says `text` to everyone else.
    fn say(&mut self, peers: &mut impl Peers, id: ConnId, text: &str) {
        let Some(name) = self.people.get(&id).and_then(|p| p.name.clone()) else {
            return;
        };
        let line = protocol::message_line(&name, text);
        if !self.settings.quiet {
            self.settings.log(&line);
        }
        self.deliver(peers, Some(id), &line);
    }

    /// `quit`, or the end of the client's input: `EXIT`, and it leaves.
    fn quit(&mut self, peers: &mut impl Peers, id: ConnId) {
        let is_member = self.people.get(&id).is_some_and(|p| p.name.is_some());
        if is_member && !self.closing {
            self.send(peers, id, "EXIT");
            self.remove_member(peers, id, Departure::Quit);
        }
        self.leave_now(peers, id);
    }

    // --- lines out ------------------------------------------------------------

    /// Queues one line for `id`; cuts it off if its queue passes the limit.
    fn send(&mut self, peers: &mut impl Peers, id: ConnId, line: &str) {
        if self.queue_line(peers, id, line) > self.settings.queue {
            let detail = format!("its queue passed {} bytes", self.settings.queue);
            self.cut_off(peers, id, &detail);
        }
    }

    /// Queues one line; returns the bytes now waiting for `id`.
    fn queue_line(&mut self, peers: &mut impl Peers, id: ConnId, line: &str) -> usize {
        let Some(person) = self.people.get_mut(&id) else {
            return 0;
        };
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        if peers.write_to(id, &bytes) {
            person.queued += bytes.len() as u64;
        }
        peers.output_len_of(id).unwrap_or(0)
    }

    /// Queues `line` for every member but `talker`. Members whose queue
    /// passes the limit are cut off; members above the high-water mark
    /// hold the talker back.
    fn deliver(&mut self, peers: &mut impl Peers, talker: Option<ConnId>, line: &str) {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let high_water = self.high_water();
        let hold = self.settings.hold;
        let now = Instant::now();
        let mut over_limit = Vec::new();
        let mut holders = Vec::new();
        for &id in &self.members {
            if Some(id) == talker {
                continue;
            }
            let Some(person) = self.people.get_mut(&id) else {
                continue;
            };
            if peers.write_to(id, &bytes) {
                person.queued += bytes.len() as u64;
            }
            let waiting = peers.output_len_of(id).unwrap_or(0);
            let accepted = person.queued.saturating_sub(waiting as u64);
            if accepted > person.accepted || waiting <= bytes.len() {
                // Its socket took something since the last look, or its
                // queue was empty: it is keeping up.
                person.accepted = accepted;
                person.progress_at = now;
                person.stalled = false;
            }
            if waiting > self.settings.queue {
                over_limit.push(id);
            } else if waiting > high_water && !person.stalled {
                if now - person.progress_at < hold {
                    holders.push(id);
                } else {
                    // Above the mark and taking nothing for a while: it
                    // holds no one (and is cut off at the limit).
                    person.stalled = true;
                }
            }
        }
        if let Some(talker) = talker {
            self.hold_back(peers, talker, &holders);
        }
        for id in over_limit {
            let detail = format!("its queue passed {} bytes", self.settings.queue);
            self.cut_off(peers, id, &detail);
        }
    }

    /// Pauses `talker` until every one of `holders` has drained.
    fn hold_back(&mut self, peers: &mut impl Peers, talker: ConnId, holders: &[ConnId]) {
        let mut added = 0;
        for holder in holders {
            if let Some(person) = self.people.get_mut(holder) {
                if !person.holding.contains(&talker) {
                    person.holding.push(talker);
                    added += 1;
                }
            }
        }
        if added == 0 {
            return;
        }
        if let Some(person) = self.people.get_mut(&talker) {
            person.held_by += added;
            peers.set_reading(talker, false);
        }
    }

    /// `holder` lets go of its talkers; those no one holds any more read
    /// again, starting with the lines already in their input.
    fn let_go(&mut self, peers: &mut impl Peers, holder: ConnId) {
        let Some(person) = self.people.get_mut(&holder) else {
            return;
        };
        for talker in std::mem::take(&mut person.holding) {
            let Some(talker_person) = self.people.get_mut(&talker) else {
                continue;
            };
            talker_person.held_by = talker_person.held_by.saturating_sub(1);
            if talker_person.held_by == 0 && !talker_person.leaving {
                peers.set_reading(talker, true);
                self.pump(peers, talker);
            }
        }
    }

    // --- leaving ------------------------------------------------------------

    /// Disconnects a member that does not read: an `ERR` line after what
    /// is queued, the connection closed, the others told.
    fn cut_off(&mut self, peers: &mut impl Peers, id: ConnId, detail: &str) {
        let Some(person) = self.people.get(&id) else {
            return;
        };
        if person.leaving {
            return;
        }
        let name = person.name.clone().unwrap_or_default();
        self.settings
            .log(&format!("- {name} ({}) cut off: {detail}", person.client));
        // Written straight to the queue, past the limit check: the last line.
        self.queue_line(
            peers,
            id,
            &format!("ERR not reading: disconnected ({detail})"),
        );
        self.leave_now(peers, id);
        self.remove_member(peers, id, Departure::TooSlow);
    }

    /// Closes `id`'s connection once its queue has gone; reads nothing more.
    fn leave_now(&mut self, peers: &mut impl Peers, id: ConnId) {
        if let Some(person) = self.people.get_mut(&id) {
            person.leaving = true;
        }
        peers.close_other(id);
        self.let_go(peers, id);
    }

    /// Takes member `id` out of the room and tells the others.
    fn remove_member(&mut self, peers: &mut impl Peers, id: ConnId, why: Departure) {
        let Some(index) = self.members.iter().position(|&m| m == id) else {
            return;
        };
        self.members.remove(index);
        let name = self.people[&id].name.clone().unwrap_or_default();
        let notice = protocol::left_notice(&name, why);
        self.settings.log(&notice);
        self.deliver(peers, None, &notice);
    }
}
