//! A global allocator that counts the bytes allocated and not yet freed,
//! for the tests that ask whether a server gives back what a connection
//! took. RSS cannot tell a leak from memory the allocator keeps for later;
//! this count can.
//!
//! A test file that uses it declares it as its allocator and holds one
//! test, so that nothing else allocates while it measures:
//!
//! ```text
//! #[global_allocator]
//! static ALLOCATOR: tests::live_heap::Counting = tests::live_heap::Counting;
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// The system allocator, counting the bytes allocated and not yet freed.
pub struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

/// The bytes allocated through [`Counting`] and not yet freed.
pub fn live_bytes() -> isize {
    LIVE.load(Ordering::Relaxed)
}

// SAFETY: every call is passed on to the system allocator unchanged; the
// counter is only arithmetic beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is System's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc` is System's.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        new
    }
}

/// Runs `rounds` rounds of `clients` threads, each making `per_client`
/// connections with `one(addr, i)` (`Ok(false)`: an answer came back
/// wrong), and waits after each round until `open()` (the server's
/// connection count) is 0. Returns the live bytes after each round: the
/// first round grows what lasts (tables, buffers kept for reuse, the
/// threads' first allocations), so later rounds are compared with it.
pub fn after_rounds(
    rounds: usize,
    clients: usize,
    per_client: usize,
    addr: std::net::SocketAddr,
    one: fn(std::net::SocketAddr, usize) -> std::io::Result<bool>,
    open: impl Fn() -> usize,
) -> Vec<isize> {
    (0..rounds)
        .map(|_| {
            let threads: Vec<_> = (0..clients)
                .map(|c| {
                    std::thread::spawn(move || {
                        (0..per_client)
                            .map(|k| one(addr, c * per_client + k))
                            .all(|r| matches!(r, Ok(true)))
                    })
                })
                .collect();
            for thread in threads {
                assert!(
                    thread.join().unwrap(),
                    "every well-formed request was answered right"
                );
            }
            assert!(
                crate::procfs::wait_until(std::time::Duration::from_secs(20), || open() == 0),
                "the server closed every connection within 20 s"
            );
            live_bytes()
        })
        .collect()
}

/// Asserts that the live bytes after each round but the first (`live`, as
/// [`after_rounds`] returns them) are less than `bound` above the first's.
pub fn assert_no_growth(live: &[isize], bound: isize) {
    let (first, after) = (live[0], &live[1..]);
    let worst = after.iter().max().expect("two rounds or more") - first;
    assert!(
        worst < bound,
        "live heap bytes after each later round {after:?} vs {first} after the first: \
         {worst} bytes more"
    );
}
