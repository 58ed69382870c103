//! The echo server on `poll(2)`.
//!
//! `poll` takes an array of `(fd, events wanted)` and fills in the events
//! that happened (`revents`). No FD_SETSIZE limit, and the wanted events
//! are per fd (POLLIN ~ rlist, POLLOUT ~ wlist, POLLERR/POLLHUP always
//! reported), but like `select` the whole array crosses into the kernel
//! on every call.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::EchoClients;

/// Serves forever: `poll` the listener and every client, then handle the ready ones.
pub fn serve(mut server: EchoClients) -> io::Result<()> {
    loop {
        let ready: Vec<RawFd> = {
            let mut fds = vec![PollFd::new(server.listener.as_fd(), PollFlags::POLLIN)];
            for (stream, _) in server.clients.values() {
                fds.push(PollFd::new(stream.as_fd(), PollFlags::POLLIN));
            }
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(err) => return Err(err.into()),
            }
            // POLLHUP/POLLERR count as ready too: the read then sees the end.
            fds.iter()
                .filter(|pfd| pfd.revents().is_some_and(|r| !r.is_empty()))
                .map(|pfd| pfd.as_fd().as_raw_fd())
                .collect()
        };
        for fd in ready {
            if fd == server.listener.as_raw_fd() {
                server.accept();
            } else {
                server.serve_client(fd);
            }
        }
    }
}
