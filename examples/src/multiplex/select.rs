//! The echo server on `select(2)`.
//!
//! Each turn of the loop builds the set of fds to watch from scratch, hands
//! it to the kernel, and gets back the same set with only the ready fds
//! left in it — which is why `select` costs O(number of fds) every call and
//! cannot watch an fd numbered 1024 or more (FD_SETSIZE).

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use nix::sys::select::{FdSet, select};

use super::EchoClients;

/// Serves forever: `select` on the listener and every client, then handle the ready ones.
pub fn serve(mut server: EchoClients) -> io::Result<()> {
    loop {
        let ready: Vec<RawFd> = {
            // rlist: everything we wait to read from.
            let mut readable = FdSet::new();
            readable.insert(server.listener.as_fd());
            for (stream, _) in server.clients.values() {
                readable.insert(stream.as_fd());
            }
            // No wlist, no xlist, no timeout: block until something is readable.
            match select(None, &mut readable, None, None, None) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(err) => return Err(err.into()),
            }
            readable.fds(None).map(|fd| fd.as_raw_fd()).collect()
        };
        for fd in ready {
            if fd == server.listener.as_raw_fd() {
                server.accept()?;
            } else {
                server.serve_client(fd);
            }
        }
    }
}
