//! `sync-demo`: a semaphore shared by processes, as Python's
//! `multiprocessing.Semaphore`: a POSIX `sem_t` placed in memory mapped
//! MAP_SHARED before fork, initialised with `pshared = 1`.

use std::ffi::OsString;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
use nix::sys::wait::waitpid;

use crate::common_b::{finish_section, fork_child, tell};

/// What lives in the shared page.
#[repr(C)]
struct Shared {
    semaphore: libc::sem_t,
    inside: AtomicU32,
    most_inside: AtomicU32,
}

/// The program: 4 processes pass a semaphore of 2 permits.
pub fn main(_args: Vec<OsString>) -> ExitCode {
    finish_section("sync-demo", run())
}

fn run() -> Result<(), String> {
    const PERMITS: u32 = 2;
    let len = NonZeroUsize::new(4096).expect("not zero");
    // SAFETY: a fresh anonymous mapping; no existing memory is affected.
    let page = unsafe {
        mmap_anonymous(
            None,
            len,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_SHARED,
        )
    }
    .map_err(|e| e.to_string())?;
    let shared = page.as_ptr().cast::<Shared>();
    // SAFETY: the page is zeroed, aligned and big enough for `Shared`;
    // sem_init with pshared = 1 makes the semaphore usable across fork.
    if unsafe { libc::sem_init(&raw mut (*shared).semaphore, 1, PERMITS) } != 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    // SAFETY: initialised above; it stays mapped until munmap below, after
    // every child has exited. Only sem_* calls and atomics touch it.
    let shared: &Shared = unsafe { &*shared };
    let semaphore = (&raw const shared.semaphore).cast_mut();
    tell(
        "parent",
        &format!("semaphore with {PERMITS} permits in shared memory; 4 processes want in"),
    );
    let mut children = Vec::new();
    for _ in 0..4 {
        children.push(fork_child(|| {
            // SAFETY: a semaphore initialised for sharing, still mapped.
            unsafe { libc::sem_wait(semaphore) };
            let now = shared.inside.fetch_add(1, Ordering::SeqCst) + 1;
            shared.most_inside.fetch_max(now, Ordering::SeqCst);
            tell("child ", &format!("acquired, {now} inside"));
            std::thread::sleep(Duration::from_millis(100));
            shared.inside.fetch_sub(1, Ordering::SeqCst);
            tell("child ", "releasing");
            // SAFETY: as above.
            unsafe { libc::sem_post(semaphore) };
            0
        }));
    }
    for pid in children {
        waitpid(pid, None).map_err(|e| e.to_string())?;
    }
    tell(
        "parent",
        &format!(
            "processes: at most {} inside at once (limit {PERMITS})",
            shared.most_inside.load(Ordering::SeqCst)
        ),
    );
    // SAFETY: every user has exited; nothing refers to the page afterwards.
    unsafe {
        libc::sem_destroy(semaphore);
        munmap(page, len.get()).map_err(|e| e.to_string())?;
    }
    Ok(())
}
