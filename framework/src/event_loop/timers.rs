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
}
