//! Limits on connections: in total, and per client address.
//!
//! The counters must be shared by every session, and in the forking model
//! each session is a process of its own, where a plain `Mutex<HashMap>`
//! would be a separate copy per child. So the counters live in a page of
//! memory mapped `MAP_SHARED` before the server starts: a forked child
//! shares it with its parent, threads share it anyway, and atomic
//! operations work across processes on shared memory.
//!
//! Addresses are counted in 1023 slots chosen by a hash of the address,
//! so two addresses may share a slot (and then a limit): with few
//! addresses, rarely; the total is exact. A session gives its place back
//! when its [`Admission`] is dropped. A forked child killed with SIGKILL
//! (or by a crash) runs no destructor, so each place also records its
//! holder's process ID and counter slot in a second shared table: when a
//! limit refuses, the places of processes that no longer exist are given
//! back first (as `http-server`'s cap does, `http/limit.rs`).

use std::hash::{Hash, Hasher};
use std::io;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;

/// Slot 0 is the total; slots 1.. count addresses.
const SLOTS: usize = 1024;

/// Places recorded with their holder: two numbers each (process ID, or 0
/// for a free place, and the address slot). Sessions past this many at
/// once (possible only with no total limit) are counted but not recorded.
const HOLDERS: usize = 4096;

/// The shared counters and the two limits.
#[derive(Debug)]
pub struct ConnectionLimits {
    counters: &'static [AtomicU32],
    /// `HOLDERS` pairs: (holder's process ID, address slot).
    holders: &'static [AtomicU32],
    total: u32,
    per_address: u32,
}

/// Why a connection is turned away (the text of its `421` reply).
pub type Refusal = &'static str;

impl ConnectionLimits {
    /// At most `total` sessions at once, and `per_address` from one
    /// address (0: no limit).
    pub fn new(total: u32, per_address: u32) -> io::Result<ConnectionLimits> {
        Ok(ConnectionLimits {
            counters: shared_zeros(SLOTS)?,
            holders: shared_zeros(2 * HOLDERS)?,
            total,
            per_address,
        })
    }

    /// Takes a place for a session from `ip`, or says why there is none.
    pub fn admit(&self, ip: IpAddr) -> Result<Admission<'static>, Refusal> {
        self.admit_as(ip, std::process::id())
    }

    /// Takes a place for process `pid` (the caller's own, but for tests).
    fn admit_as(&self, ip: IpAddr, pid: u32) -> Result<Admission<'static>, Refusal> {
        let slot = slot_of(ip);
        let counted = self.count(slot).or_else(|_| {
            // Full: maybe of processes that died holding their places.
            self.free_places_of_the_dead();
            self.count(slot)
        });
        let (total, slot_counter) = counted?;
        Ok(Admission {
            total,
            slot: slot_counter,
            holder: self.record(pid, slot),
        })
    }

    /// Counts one more session in total and in `slot`, within the limits.
    fn count(&self, slot: usize) -> Result<(&'static AtomicU32, &'static AtomicU32), Refusal> {
        let counters: &'static [AtomicU32] = self.counters;
        let total = &counters[0];
        if !take(total, self.total) {
            return Err("There are too many connected users, please try later.");
        }
        let slot = &counters[slot];
        if !take(slot, self.per_address) {
            total.fetch_sub(1, Ordering::AcqRel);
            return Err("There are too many connections from your internet address.");
        }
        Ok((total, slot))
    }

    /// Writes `pid` and `slot` into a free holder place, if there is one.
    fn record(&self, pid: u32, slot: usize) -> Option<&'static AtomicU32> {
        let holders: &'static [AtomicU32] = self.holders;
        holders.chunks_exact(2).find_map(|place| {
            place[0]
                .compare_exchange(0, pid, Ordering::AcqRel, Ordering::Relaxed)
                .ok()?;
            place[1].store(slot as u32, Ordering::Release);
            Some(&place[0])
        })
    }

    /// Gives back the places of holders that no longer exist (`kill(pid,
    /// 0)` answers "no such process"; a zombie still exists until reaped).
    fn free_places_of_the_dead(&self) {
        for place in self.holders.chunks_exact(2) {
            let pid = place[0].load(Ordering::Acquire);
            let gone = pid != 0 && kill(Pid::from_raw(pid as i32), None) == Err(Errno::ESRCH);
            let slot = place[1].load(Ordering::Acquire) as usize;
            // Only one process wins the place, and only it gives the counts back.
            if gone
                && place[0]
                    .compare_exchange(pid, 0, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
            {
                self.counters[slot].fetch_sub(1, Ordering::AcqRel);
                self.counters[0].fetch_sub(1, Ordering::AcqRel);
            }
        }
    }

    /// Sessions open now (for tests and logs).
    pub fn open_sessions(&self) -> u32 {
        self.counters[0].load(Ordering::Acquire)
    }
}

/// Adds one to `counter` unless it is at `limit` (0: no limit).
fn take(counter: &AtomicU32, limit: u32) -> bool {
    let before = counter.fetch_add(1, Ordering::AcqRel);
    if limit != 0 && before >= limit {
        counter.fetch_sub(1, Ordering::AcqRel);
        return false;
    }
    true
}

/// The slot (1..SLOTS) that counts `ip`.
fn slot_of(ip: IpAddr) -> usize {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    ip.hash(&mut hasher);
    1 + (hasher.finish() % (SLOTS as u64 - 1)) as usize
}

/// `len` atomic numbers, zero, in memory shared with forked children and
/// never unmapped.
fn shared_zeros(len: usize) -> io::Result<&'static [AtomicU32]> {
    let bytes = len * std::mem::size_of::<AtomicU32>();
    // SAFETY: an anonymous shared mapping, not backed by any file; the
    // result is checked against MAP_FAILED. The kernel fills it with
    // zeros, a valid value for AtomicU32, which has the layout of u32.
    let memory = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            bytes,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if memory == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the mapping is `len` AtomicU32s long, suitably aligned
    // (page-aligned), and never unmapped, so 'static is true.
    Ok(unsafe { std::slice::from_raw_parts(memory as *const AtomicU32, len) })
}

/// A session's place; given back when dropped.
#[derive(Debug)]
pub struct Admission<'a> {
    total: &'a AtomicU32,
    slot: &'a AtomicU32,
    /// The place's holder record, if there was room for one.
    holder: Option<&'a AtomicU32>,
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        // The record first: a cleaner that finds it free leaves the counts.
        if let Some(holder) = self.holder {
            holder.store(0, Ordering::Release);
        }
        self.slot.fetch_sub(1, Ordering::AcqRel);
        self.total.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_and_per_address() {
        let limits = ConnectionLimits::new(3, 2).unwrap();
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let first = limits.admit(a).unwrap();
        let _second = limits.admit(a).unwrap();
        assert!(
            limits
                .admit(a)
                .unwrap_err()
                .contains("your internet address")
        );
        let _third = limits.admit(b).unwrap();
        assert!(
            limits
                .admit(b)
                .unwrap_err()
                .contains("too many connected users")
        );
        assert_eq!(limits.open_sessions(), 3);
        drop(first);
        let _again = limits.admit(a).unwrap();
        assert_eq!(limits.open_sessions(), 3);
    }

    #[test]
    fn zero_means_no_limit() {
        // Sharing across processes is tested against the forking server
        // (tests/tests/ftpd_limits.rs): a test never forks in the test process.
        let limits = ConnectionLimits::new(0, 0).unwrap();
        let ip: IpAddr = "::1".parse().unwrap();
        let held: Vec<_> = (0..100).map(|_| limits.admit(ip).unwrap()).collect();
        assert_eq!(limits.open_sessions(), 100);
        drop(held);
        assert_eq!(limits.open_sessions(), 0);
    }

    /// A forked child killed with SIGKILL runs no destructor: its place
    /// stayed taken for ever, and after `total` such deaths every client
    /// got 421. The place of a process that no longer exists is taken back.
    #[test]
    fn a_dead_holders_place_is_taken_back() {
        let limits = ConnectionLimits::new(2, 2).unwrap();
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        // A process that has ended (and been reaped): its ID names no one.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        std::mem::forget(limits.admit_as(a, dead).unwrap()); // no destructor ran
        let _live = limits.admit(a).unwrap();
        let again = limits.admit(a);
        assert!(again.is_ok(), "the dead process's place was not taken back");
        assert_eq!(limits.open_sessions(), 2);
        // A live holder's place is never taken.
        assert!(limits.admit(a).is_err());
        drop(again);
        assert_eq!(limits.open_sessions(), 1);
    }
}
