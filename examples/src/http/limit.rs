//! A cap on concurrent connections.
//!
//! `ThreadingMixIn` starts a thread for every connection, without limit
//! (nothing stops 10,000 clients from making 10,000 threads). We count the
//! connections being served; beyond the cap a client gets a short, clear
//! `503 Service Unavailable` with `Retry-After` instead of a hung socket.
//!
//! The count lives in a page of memory mapped `MAP_SHARED | MAP_ANONYMOUS`
//! (lesson 12, shared memory): a forked child sees the very same page, not
//! a copy, so in the forking model the children count together too.

use std::io;
use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};

/// Counts connections against a maximum, across threads and forked children.
#[derive(Debug)]
pub struct Limit {
    max: usize,
    current: SharedCounter,
}

/// One counted connection; the place is given back when it is dropped.
/// It lives with the connection (on its thread, or in its protocol on the
/// event loop), so an idle keep-alive connection still counts.
#[derive(Debug)]
pub struct Slot(Arc<Limit>);

impl Limit {
    /// A limit of `max` connections at once.
    pub fn new(max: usize) -> io::Result<Limit> {
        Ok(Limit {
            max,
            current: SharedCounter::new()?,
        })
    }

    /// The maximum.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Takes a place, or `None` when all `max` are taken.
    pub fn try_enter(self: &Arc<Self>) -> Option<Slot> {
        let current = self.current.get();
        let before = current.fetch_add(1, Ordering::AcqRel);
        if before >= self.max {
            current.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Slot(Arc::clone(self)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.current.get().fetch_sub(1, Ordering::AcqRel);
    }
}

/// An atomic counter in memory shared with forked children.
#[derive(Debug)]
struct SharedCounter {
    page: NonNull<AtomicUsize>,
}

// SAFETY: the counter is only reached through `&AtomicUsize`, which is
// made to be shared between threads (and, in a MAP_SHARED page, processes).
unsafe impl Send for SharedCounter {}
// SAFETY: as above: all access is atomic.
unsafe impl Sync for SharedCounter {}

impl SharedCounter {
    fn new() -> io::Result<SharedCounter> {
        let len = NonZeroUsize::new(size_of::<AtomicUsize>()).expect("not zero-sized");
        // SAFETY: a new anonymous mapping at an address the kernel picks
        // overlaps nothing of ours; it is unmapped only in `drop`.
        let page = unsafe {
            mmap_anonymous(
                None,
                len,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
            )
        }?;
        Ok(SharedCounter { page: page.cast() })
    }

    fn get(&self) -> &AtomicUsize {
        // SAFETY: the mapping is page-aligned, zero-filled (a valid
        // AtomicUsize holding 0), and lives as long as `self`.
        unsafe { self.page.as_ref() }
    }
}

impl Drop for SharedCounter {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, with its length; no reference
        // from `get` outlives `self`.
        let _ = unsafe { munmap(self.page.cast(), size_of::<AtomicUsize>()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_places_back() {
        let limit = Arc::new(Limit::new(2).unwrap());
        let a = limit.try_enter().unwrap();
        let _b = limit.try_enter().unwrap();
        assert!(limit.try_enter().is_none());
        drop(a);
        assert!(limit.try_enter().is_some());
    }
}
