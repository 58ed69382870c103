//! Handing accepted connections from the first loop to the others.
//!
//! With several loops, one of them accepts and deals the new connections
//! round the loops, like cards: each loop then serves its connections to
//! the end. (Letting every loop accept from the shared socket with
//! `EPOLLEXCLUSIVE` gives every connection to whichever loop the kernel
//! wakes first, which on a quiet server is always the same one.)
//!
//! An inbox is a queue behind a lock and an `eventfd` in the receiving
//! loop's epoll set: putting a connection in writes the eventfd, which
//! wakes that loop; it takes everything queued and admits it.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};

use nix::sys::eventfd::{EfdFlags, EventFd};
use parking_lot::Mutex;

use crate::{Address, Connection};

/// Connections waiting to be taken in by one loop.
pub(crate) struct Inbox {
    queue: Mutex<Vec<(Connection, Address)>>,
    wake: EventFd,
}

impl Inbox {
    pub(crate) fn new() -> io::Result<Inbox> {
        Ok(Inbox {
            queue: Mutex::new(Vec::new()),
            wake: EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)?,
        })
    }

    /// Gives a connection to the loop (from the accepting loop's thread).
    pub(crate) fn put(&self, connection: Connection, client: Address) {
        self.queue.lock().push((connection, client));
        // An eventfd counts: one write per connection, one read takes all.
        let _ = self.wake.write(1);
    }

    /// Everything queued (on the receiving loop's thread, when woken).
    pub(crate) fn take(&self) -> Vec<(Connection, Address)> {
        let _ = self.wake.read();
        std::mem::take(&mut *self.queue.lock())
    }

    /// The descriptor that becomes readable when something was put.
    pub(crate) fn wake_fd(&self) -> BorrowedFd<'_> {
        self.wake.as_fd()
    }
}
