//! Deadlines of the connections: when each must be looked at again.
//!
//! A thread-per-connection server gives each socket a read timeout; one
//! loop serving ten thousand connections cannot. It keeps a heap of
//! deadlines instead, and `epoll_wait` sleeps only until the nearest one.
//! A deadline is not moved when the connection is busy (that would cost a
//! heap update per read): when it comes up, the loop checks the
//! connection's real last activity and, if it was busy since, puts a new
//! deadline in. So each connection has at most one entry per kind.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use super::table::ConnId;

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// The idle timeout (counted from the last byte either way).
    Idle,
    /// The longest life of a connection (counted from its accept).
    Total,
    /// A closing connection still sending its queue (counted from its
    /// last progress).
    Linger,
    /// The protocol's own deadline.
    Timer,
}

/// The deadlines of one loop, nearest first.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u32, u32, Kind)>>,
    /// The heap's length from which [`Timers::forget_closed`] looks for
    /// entries of closed connections (0: not set yet).
    sweep_at: usize,
}

impl Timers {
    /// Looks at connection `id` again at `when`, for `kind`.
    pub(crate) fn add(&mut self, when: Instant, id: ConnId, kind: Kind) {
        self.heap
            .push(Reverse((when, id.index, id.generation, kind)));
    }

    /// The nearest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((when, ..))| *when)
    }

    /// Takes the nearest deadline if it has passed: (connection, kind, when).
    pub(crate) fn pop_due(
        &mut self,
        now: Instant,
        reactor: u16,
    ) -> Option<(ConnId, Kind, Instant)> {
        let Reverse((when, index, generation, kind)) = *self.heap.peek()?;
        if when > now {
            return None;
        }
        self.heap.pop();
        let id = ConnId {
            index,
            generation,
            reactor,
        };
        Some((id, kind, when))
    }

    /// Forgets the deadlines of connections that have closed, once there
    /// are many. A closing connection's entries stay in the heap (a heap
    /// cannot find them) and would wait there for their time: a server
    /// closing 10,000 connections a second under a 10 s idle timeout would
    /// keep 100,000 of them, 3 MiB, for nothing. An open connection has a
    /// few entries at most, so when the heap passes four per open
    /// connection, one pass keeps the entries of open connections
    /// (`is_open(index, generation)`) and gives the room back. The next
    /// pass waits until the heap has doubled again: the work stays a
    /// constant per entry, however many connections come and go.
    pub(crate) fn forget_closed(&mut self, open: usize, is_open: impl Fn(u32, u32) -> bool) {
        if self.heap.len() <= self.sweep_at.max(4 * open + 64) {
            return;
        }
        self.heap
            .retain(|Reverse((_, index, generation, _))| is_open(*index, *generation));
        self.heap.shrink_to(2 * self.heap.len());
        self.sweep_at = 2 * self.heap.len() + 64;
    }

    /// Entries in the heap (stale ones included).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn id(index: u32) -> ConnId {
        ConnId {
            index,
            generation: 0,
            reactor: 0,
        }
    }

    #[test]
    fn deadlines_come_out_nearest_first_and_only_when_due() {
        let start = Instant::now();
        let mut timers = Timers::default();
        timers.add(start + Duration::from_secs(3), id(3), Kind::Idle);
        timers.add(start + Duration::from_secs(1), id(1), Kind::Total);
        timers.add(start + Duration::from_secs(2), id(2), Kind::Linger);
        assert_eq!(timers.next(), Some(start + Duration::from_secs(1)));
        assert_eq!(timers.pop_due(start, 0), None);
        let later = start + Duration::from_secs(2);
        let at = |s| start + Duration::from_secs(s);
        assert_eq!(timers.pop_due(later, 0), Some((id(1), Kind::Total, at(1))));
        assert_eq!(timers.pop_due(later, 0), Some((id(2), Kind::Linger, at(2))));
        assert_eq!(timers.pop_due(later, 0), None);
        assert_eq!(timers.len(), 1);
    }

    #[test]
    fn closed_connections_entries_are_forgotten_once_they_are_many() {
        let start = Instant::now();
        let mut timers = Timers::default();
        for index in 0..10_000 {
            timers.add(start + Duration::from_secs(10), id(index), Kind::Idle);
        }
        // Ten connections are still open; 64 + 4 per connection is the bar.
        let open = |index: u32, _generation: u32| index < 10;
        timers.forget_closed(2_500, open);
        assert_eq!(timers.len(), 10_000, "below the bar, nothing is swept");
        timers.forget_closed(10, open);
        assert_eq!(timers.len(), 10, "only the open connections' entries stay");
        assert!(timers.heap.capacity() < 1_000, "and the room is given back");
        for index in 10..100 {
            timers.add(start + Duration::from_secs(10), id(index), Kind::Idle);
        }
        timers.forget_closed(10, open);
        assert_eq!(
            timers.len(),
            100,
            "the next sweep waits for a new bar: 64 + twice what the last kept, or more"
        );
        assert_eq!(
            timers
                .pop_due(start + Duration::from_secs(10), 0)
                .map(|(id, ..)| id.index < 100),
            Some(true)
        );
    }
}
