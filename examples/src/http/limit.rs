//! A cap on concurrent connections.
//!
//! `ThreadingMixIn` starts a thread for every connection, without limit
//! (nothing stops 10,000 clients from making 10,000 threads). We count the
//! connections being served; beyond the cap a client gets a short, clear
//! `503 Service Unavailable` with `Retry-After` instead of a hung socket.
//!
//! The places live in memory mapped `MAP_SHARED | MAP_ANONYMOUS` (lesson
//! 12, shared memory): a forked child sees the very same pages, not a
//! copy, so in the forking model the children count together too.
//!
//! Each place holds the process ID of its holder (0: free), not just a
//! count: a forked child that dies without giving its place back (killed,
//! or aborted by a crash, so that no destructor runs) would otherwise hold
//! it for ever, and after `max` such deaths every client would get 503.
//! When no place is free, the places of processes that no longer exist
//! are taken back first. (A place held by a thread of the server's own
//! process is given back by its `Slot`: a thread cannot die alone.)

use std::io;
use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use nix::errno::Errno;
use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
use nix::sys::signal::kill;
use nix::unistd::Pid;

/// Counts connections against a maximum, across threads and forked children.
#[derive(Debug)]
pub struct Limit {
    max: usize,
    places: SharedTable,
}

/// One counted connection; the place is given back when it is dropped.
/// It lives with the connection (on its thread, or in its protocol on the
/// event loop), so an idle keep-alive connection still counts.
#[derive(Debug)]
pub struct Slot {
    limit: Arc<Limit>,
    index: usize,
}

impl Limit {
    /// A limit of `max` connections at once.
    pub fn new(max: usize) -> io::Result<Limit> {
        Ok(Limit {
            max,
            // Place 0 holds where the next search starts; 1..=max the holders.
            places: SharedTable::new(max + 1)?,
        })
    }

    /// The maximum.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Takes a place, or `None` when all `max` are taken by live processes.
    pub fn try_enter(self: &Arc<Self>) -> Option<Slot> {
        self.enter_as(std::process::id())
    }

    /// Takes a place for process `pid` (the caller's own, but for tests).
    fn enter_as(self: &Arc<Self>, pid: u32) -> Option<Slot> {
        let index = self.claim(pid).or_else(|| {
            self.free_places_of_the_dead();
            self.claim(pid)
        })?;
        Some(Slot {
            limit: Arc::clone(self),
            index,
        })
    }

    /// The first free place from where the last search ended, marked as `pid`'s.
    fn claim(&self, pid: u32) -> Option<usize> {
        let places = self.places.get();
        let start = places[0].load(Ordering::Relaxed) as usize;
        for step in 0..self.max {
            let index = 1 + (start + step) % self.max;
            if places[index]
                .compare_exchange(0, pid, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                places[0].store(index as u32 % self.max as u32, Ordering::Relaxed);
                return Some(index);
            }
        }
        None
    }

    /// Frees every place whose holder no longer exists (`kill(pid, 0)`
    /// answers "no such process"; a zombie still exists until reaped).
    fn free_places_of_the_dead(&self) {
        for place in &self.places.get()[1..] {
            let pid = place.load(Ordering::Acquire);
            let gone = pid != 0 && kill(Pid::from_raw(pid as i32), None) == Err(Errno::ESRCH);
            if gone {
                let _ = place.compare_exchange(pid, 0, Ordering::AcqRel, Ordering::Relaxed);
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.limit.places.get()[self.index].store(0, Ordering::Release);
    }
}

/// Atomic numbers in memory shared with forked children.
#[derive(Debug)]
struct SharedTable {
    page: NonNull<AtomicU32>,
    len: usize,
}

// SAFETY: the table is only reached through `&[AtomicU32]`, which is made
// to be shared between threads (and, in a MAP_SHARED mapping, processes).
unsafe impl Send for SharedTable {}
// SAFETY: as above: all access is atomic.
unsafe impl Sync for SharedTable {}

impl SharedTable {
    fn new(len: usize) -> io::Result<SharedTable> {
        let bytes = NonZeroUsize::new(len * size_of::<AtomicU32>()).expect("at least one entry");
        // SAFETY: a new anonymous mapping at an address the kernel picks
        // overlaps nothing of ours; it is unmapped only in `drop`.
        let page = unsafe {
            mmap_anonymous(
                None,
                bytes,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
            )
        }?;
        Ok(SharedTable {
            page: page.cast(),
            len,
        })
    }

    fn get(&self) -> &[AtomicU32] {
        // SAFETY: the mapping is page-aligned, zero-filled (valid
        // AtomicU32s holding 0), `len` entries long, and lives as long as `self`.
        unsafe { std::slice::from_raw_parts(self.page.as_ptr(), self.len) }
    }
}

impl Drop for SharedTable {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, with its length; no reference
        // from `get` outlives `self`.
        let _ = unsafe { munmap(self.page.cast(), self.len * size_of::<AtomicU32>()) };
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

    /// Found by `fuzz-http-loop` (AFL++ forks its runs from one process, as
    /// the forking server forks children): a process that died holding a
    /// place (a crash, SIGKILL) kept it for ever, and once `max` had died
    /// every connection got 503. Its place is now taken back.
    #[test]
    fn a_dead_holders_place_is_taken_back() {
        let limit = Arc::new(Limit::new(2).unwrap());
        // A process that has ended (and been reaped): its ID names no one.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let forgotten = limit.enter_as(dead).unwrap();
        std::mem::forget(forgotten); // it died: no destructor ran
        let _live = limit.try_enter().unwrap();
        // Full, but one holder is gone: its place is free again.
        let again = limit.try_enter();
        assert!(
            again.is_some(),
            "the dead process's place was not taken back"
        );
        // A live holder's place is never taken.
        assert!(limit.try_enter().is_none());
        drop(again);
        assert!(limit.try_enter().is_some());
    }
}
