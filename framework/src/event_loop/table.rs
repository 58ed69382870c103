//! The connections one loop serves, in a table indexed by small numbers.
//!
//! `epoll` hands back the 64-bit number we registered with each socket.
//! We register the connection's place in this table plus a *generation*
//! that grows every time the place is reused: an event that was already
//! waiting for a connection closed earlier in the same turn then names an
//! old generation and is ignored, instead of reaching the newcomer in its place.

use std::sync::Weak;
use std::time::Instant;

use nix::sys::epoll::EpollFlags;

use crate::{Address, Connection};

use super::calls::Calls;
use super::output::Output;

/// Names one connection of an event-loop server, for
/// [`Conn::write_to`](super::Conn::write_to) from another connection's protocol.
/// An id is never reused for a later connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId {
    pub(crate) index: u32,
    pub(crate) generation: u32,
    /// Which loop serves it (a server may run one loop per core).
    pub(crate) reactor: u16,
}

impl ConnId {
    /// The number registered with `epoll` for this connection.
    pub(crate) fn token(self) -> u64 {
        (u64::from(self.generation) << 32) | u64::from(self.index)
    }

    pub(crate) fn from_token(token: u64, reactor: u16) -> ConnId {
        ConnId {
            index: token as u32,
            generation: (token >> 32) as u32,
            reactor,
        }
    }
}

/// How a connection is ending, once it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Open.
    No,
    /// Send what is queued, then close.
    Graceful,
    /// Close at once, dropping what is queued.
    Now,
    /// Closed: only `Protocol::closed` is still to run.
    Done,
}

/// Everything the loop knows about one open connection.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) socket: Connection,
    pub(crate) client: Address,
    pub(crate) output: Output,
    /// Reading is wanted (not paused by the protocol).
    pub(crate) reading: bool,
    /// The client ended its side: nothing more to read.
    pub(crate) eof: bool,
    pub(crate) ending: Ending,
    /// Why it ends, when something other than the protocol decided.
    pub(crate) reason: Option<super::CloseReason>,
    /// Waiting in the table's `dirty` list.
    pub(crate) dirty: bool,
    /// The epoll flags registered now.
    pub(crate) interest: i32,
    /// When a byte last went either way.
    pub(crate) last_active: Instant,
    /// A closing connection's linger deadline is set.
    pub(crate) linger_armed: bool,
    /// The protocol asked to end our sending side once the queue is sent
    /// ([`Conn::shutdown_write`](super::Conn::shutdown_write)).
    pub(crate) shutdown_write: bool,
    /// Our sending side is shut (`shutdown(SHUT_WR)` done).
    pub(crate) write_shut: bool,
    /// The protocol's own deadline ([`Conn::set_timer`](super::Conn::set_timer)).
    pub(crate) timer: Option<Instant>,
    /// The deadline of this connection's timer entry in the loop's heap.
    /// A protocol that moves its timer later on every request (an HTTP
    /// keep-alive connection) adds no entry: the one queued, when it comes
    /// up, finds the later deadline and queues that instead.
    pub(crate) timer_queued: Option<Instant>,
}

impl State {
    /// A connection just accepted (or opened in memory): reading, nothing
    /// queued, no deadline of its own, active `now`.
    pub(crate) fn new(socket: Connection, client: Address, now: Instant) -> State {
        State {
            socket,
            client,
            output: Output::default(),
            reading: true,
            eof: false,
            ending: Ending::No,
            reason: None,
            dirty: false,
            interest: EpollFlags::EPOLLIN.bits(),
            last_active: now,
            linger_armed: false,
            shutdown_write: false,
            write_shut: false,
            timer: None,
            timer_queued: None,
        }
    }
}

/// One place in the table.
#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    state: Option<State>,
}

/// The open connections of one loop.
#[derive(Debug)]
pub(crate) struct Table {
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Connections touched during callbacks: their output to send, their
    /// interest or ending to settle, after the callback returns.
    pub(crate) dirty: Vec<u32>,
    /// Connections whose protocol set a timer during a callback: their
    /// deadline goes into the loop's heap afterwards.
    pub(crate) timer_set: Vec<ConnId>,
    reactor: u16,
    /// The queue of calls of the loop that owns this table, for
    /// [`Conn::loop_handle`](super::Conn::loop_handle); empty where no
    /// loop runs calls (a `MemoryLoop`).
    pub(crate) calls: Weak<Calls>,
}

impl Table {
    pub(crate) fn new(reactor: u16) -> Table {
        Table {
            slots: Vec::new(),
            free: Vec::new(),
            dirty: Vec::new(),
            timer_set: Vec::new(),
            reactor,
            calls: Weak::new(),
        }
    }

    /// Puts a new connection in a free place; returns its id.
    pub(crate) fn insert(&mut self, state: State) -> ConnId {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(Slot::default());
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.state = Some(state);
        ConnId {
            index,
            generation: slot.generation,
            reactor: self.reactor,
        }
    }

    /// Frees a connection's place (dropping its state closes its socket).
    pub(crate) fn remove(&mut self, id: ConnId) -> Option<State> {
        let slot = self.slots.get_mut(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        let state = slot.state.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(id.index);
        Some(state)
    }

    /// How many connections are open.
    pub(crate) fn open(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Whether the connection in place `index` with `generation` is open.
    pub(crate) fn is_open(&self, index: u32, generation: u32) -> bool {
        self.slots
            .get(index as usize)
            .is_some_and(|slot| slot.generation == generation && slot.state.is_some())
    }

    /// The connection `id` names, if it is still open.
    pub(crate) fn get(&self, id: ConnId) -> Option<&State> {
        let slot = self.slots.get(id.index as usize)?;
        if slot.generation != id.generation || id.reactor != self.reactor {
            return None;
        }
        slot.state.as_ref()
    }

    /// The connection `id` names, if it is still open.
    pub(crate) fn get_mut(&mut self, id: ConnId) -> Option<&mut State> {
        let slot = self.slots.get_mut(id.index as usize)?;
        if slot.generation != id.generation || id.reactor != self.reactor {
            return None;
        }
        slot.state.as_mut()
    }

    /// The id of the connection in place `index`, if one is there.
    pub(crate) fn id_at(&self, index: u32) -> Option<ConnId> {
        let slot = self.slots.get(index as usize)?;
        slot.state.as_ref().map(|_| ConnId {
            index,
            generation: slot.generation,
            reactor: self.reactor,
        })
    }

    /// Every open connection's id (for closing them all).
    pub(crate) fn ids(&self) -> Vec<ConnId> {
        (0..self.slots.len() as u32)
            .filter_map(|i| self.id_at(i))
            .collect()
    }

    /// Marks a connection to be settled after the current callback.
    pub(crate) fn touch(&mut self, id: ConnId) {
        if let Some(state) = self.get_mut(id) {
            if !state.dirty {
                state.dirty = true;
                self.dirty.push(id.index);
            }
        }
    }
}
