//! Giving a connection's memory back to the system when it ends.
//!
//! glibc's `malloc` serves a block of 128 KiB or more with its own `mmap`
//! and unmaps it on `free`, so the memory goes back at once. But when such
//! a block is freed, glibc raises that threshold to the block's size (up to
//! 32 MiB): the next long line or queue of answers comes from the heap
//! instead, and a heap gives memory back only from its top. A server's RSS
//! then shows the most it ever held at once, not what it holds now.
//!
//! Measured with `cargo soak --only echo --model poll`: the echo server's
//! RSS rose from 5.6 MiB at 10 s to 6.6-7.3 MiB within 20 s and stayed
//! there, while the bytes it had allocated and not freed came back to the
//! same count after every round of connections
//! (`tests/tests/framework_event_loop_memory.rs`): no leak, only memory
//! glibc kept. With the threshold set here, RSS follows what the
//! connections hold (4.5-5.4 MiB in the same soak).
//!
//! Setting the threshold by hand turns glibc's adjustment off, as
//! `MALLOC_MMAP_THRESHOLD_=131072` in the environment would. The price is
//! an `mmap` and a `munmap` for each buffer of 128 KiB or more, small
//! beside the copying of that many bytes.
//!
//! Threads add a second effect: glibc gives threads arenas of their own,
//! up to eight per core, and memory one arena holds free cannot serve a
//! thread of another. A thread-per-connection server's RSS then crept up
//! as arenas filled (the same soak, `--model threading`: 6.6 MiB at 10 s,
//! 7.6 MiB at 120 s; with one arena, 5.0 and 5.2 MiB). As many arenas as
//! cores (`MALLOC_ARENA_MAX`) keeps threads from queueing for one lock,
//! since no more of them run at once than there are cores.

/// Makes buffers of 128 KiB or more go back to the system when freed, and
/// caps glibc's arenas at the number of cores, for the whole process.
/// Each server program calls it first thing.
pub fn give_memory_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        /// The size from which a buffer gets a mapping of its own: glibc's
        /// starting value, kept.
        const MMAP_THRESHOLD: i32 = 128 * 1024;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // SAFETY: mallopt only sets parameters of the allocator; glibc
        // allows it at any time, from any thread.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_ARENA_MAX, cores.min(64) as i32);
        }
    }
}
