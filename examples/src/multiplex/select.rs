//! The echo server on `select(2)`.
//!
//! Each turn of the loop builds the set of fds to watch from scratch, hands
//! it to the kernel, and gets back the same set with only the ready fds
//! left in it — which is why `select` costs O(number of fds) every call and
//! cannot watch an fd numbered 1024 or more (FD_SETSIZE).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use nix::sys::select::{FdSet, select};

use super::EchoClients;

/// One `select` call: blocks until one of `fds` is readable and returns the
/// ready ones (none when a signal interrupted the wait: ask again).
pub fn readable<'a>(fds: impl IntoIterator<Item = BorrowedFd<'a>>) -> io::Result<Vec<RawFd>> {
    // rlist: everything we wait to read from.
    let mut readable = FdSet::new();
    for fd in fds {
        readable.insert(fd);
    }
    // No wlist, no xlist, no timeout: block until something is readable.
    match select(None, &mut readable, None, None, None) {
        Ok(_) => Ok(readable.fds(None).map(|fd| fd.as_raw_fd()).collect()),
        Err(nix::errno::Errno::EINTR) => Ok(Vec::new()),
        Err(err) => Err(err.into()),
    }
}

/// Serves forever: `select` on the listener and every client, then handle the ready ones.
pub fn serve(mut server: EchoClients) -> io::Result<()> {
    loop {
        let clients = server.clients.values().map(|(stream, _)| stream.as_fd());
        let ready = readable(std::iter::once(server.listener.as_fd()).chain(clients))?;
        for fd in ready {
            if fd == server.listener.as_raw_fd() {
                server.accept();
            } else {
                server.serve_client(fd);
            }
        }
    }
}
