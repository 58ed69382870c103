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
//! when its [`Admission`] is dropped; a child killed with SIGKILL cannot,
//! and its place stays taken.

use std::hash::{Hash, Hasher};
use std::io;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};

/// Slot 0 is the total; slots 1.. count addresses.
const SLOTS: usize = 1024;

/// The shared counters and the two limits.
#[derive(Debug)]
pub struct ConnectionLimits {
    counters: &'static [AtomicU32],
    total: u32,
    per_address: u32,
}

/// Why a connection is turned away (the text of its `421` reply).
pub type Refusal = &'static str;

impl ConnectionLimits {
    /// At most `total` sessions at once, and `per_address` from one
    /// address (0: no limit).
    pub fn new(total: u32, per_address: u32) -> io::Result<ConnectionLimits> {
        let bytes = SLOTS * std::mem::size_of::<AtomicU32>();
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
        // SAFETY: the mapping is SLOTS AtomicU32s long, suitably aligned
        // (page-aligned), and never unmapped, so 'static is true.
        let counters = unsafe { std::slice::from_raw_parts(memory as *const AtomicU32, SLOTS) };
        Ok(ConnectionLimits {
            counters,
            total,
            per_address,
        })
    }

    /// Takes a place for a session from `ip`, or says why there is none.
    pub fn admit(&self, ip: IpAddr) -> Result<Admission<'static>, Refusal> {
        let counters: &'static [AtomicU32] = self.counters;
        let total = &counters[0];
        if !take(total, self.total) {
            return Err("There are too many connected users, please try later.");
        }
        let slot = &counters[slot_of(ip)];
        if !take(slot, self.per_address) {
            total.fetch_sub(1, Ordering::AcqRel);
            return Err("There are too many connections from your internet address.");
        }
        Ok(Admission { total, slot })
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

/// A session's place; given back when dropped.
#[derive(Debug)]
pub struct Admission<'a> {
    total: &'a AtomicU32,
    slot: &'a AtomicU32,
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
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
}
