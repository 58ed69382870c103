//! A cap on concurrent connections.
//!
//! `ThreadingMixIn` starts a thread for every connection, without limit
//! (nothing stops 10,000 clients from making 10,000 threads). We count the
//! connections being served; beyond the cap a client gets a short, clear
//! `503 Service Unavailable` with `Retry-After` instead of a hung socket.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts connections against a maximum.
#[derive(Debug)]
pub struct Limit {
    max: usize,
    current: AtomicUsize,
}

/// One counted connection; the place is given back when it is dropped.
/// It travels with the connection (into the idle-connection loop too), so
/// a parked keep-alive connection still counts.
#[derive(Debug)]
pub struct Slot(Arc<Limit>);

impl Limit {
    /// A limit of `max` connections at once.
    pub fn new(max: usize) -> Limit {
        Limit {
            max,
            current: AtomicUsize::new(0),
        }
    }

    /// The maximum.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Takes a place, or `None` when all `max` are taken.
    pub fn try_enter(self: &Arc<Self>) -> Option<Slot> {
        let before = self.current.fetch_add(1, Ordering::AcqRel);
        if before >= self.max {
            self.current.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Slot(Arc::clone(self)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.current.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_places_back() {
        let limit = Arc::new(Limit::new(2));
        let a = limit.try_enter().unwrap();
        let _b = limit.try_enter().unwrap();
        assert!(limit.try_enter().is_none());
        drop(a);
        assert!(limit.try_enter().is_some());
    }
}
