//! The echo server on `epoll(7)`.
//!
//! The watch list lives in the kernel: each fd is registered once
//! (`epoll_ctl ADD`) and removed once (`DEL`), and `epoll_wait` returns only
//! the ready ones. With thousands of mostly idle connections that is the
//! difference between scanning all of them on every call (select, poll)
//! and touching only those with work to do. Registered here level-triggered,
//! like poll; `EPOLLET` (edge-triggered) is the "more ways to trigger" of
//! the course, and then every ready fd must be read until `WouldBlock`.

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};

use super::EchoClients;

/// Serves forever: register the listener, then wait for ready fds and handle them.
pub fn serve(mut server: EchoClients) -> io::Result<()> {
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
    let listener_fd = server.listener.as_raw_fd();
    // The event's data is ours to choose: we store the fd, to find the socket again.
    epoll.add(
        &server.listener,
        EpollEvent::new(EpollFlags::EPOLLIN, listener_fd as u64),
    )?;
    let mut events = [EpollEvent::empty(); 64];
    loop {
        let n = match epoll.wait(&mut events, EpollTimeout::NONE) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(err) => return Err(err.into()),
        };
        for event in &events[..n] {
            let fd = event.data() as RawFd;
            if fd == listener_fd {
                let Some(client) = server.accept() else {
                    continue;
                };
                let (stream, _) = &server.clients[&client];
                epoll.add(stream, EpollEvent::new(EpollFlags::EPOLLIN, client as u64))?;
            } else {
                // A closed client's socket is dropped by serve_client; closing the
                // last fd of a socket takes it out of every epoll set, so no
                // DEL is needed (with a dup'ed fd it would be).
                server.serve_client(fd);
            }
        }
    }
}
