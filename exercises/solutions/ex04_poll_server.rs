//! Exercise 04, a reference solution: a poll() server, many clients, one thread.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// One connected client and the bytes of its unfinished line.
struct Client {
    stream: TcpStream,
    pending: Vec<u8>,
}

impl Client {
    /// Called when poll says the client is readable: one read() never blocks
    /// then. Returns false when the client has gone.
    fn on_readable(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        let n = match self.stream.read(&mut buf) {
            Ok(0) => return false, // end of file: the client closed
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => return true,
            Err(_) => return false,
        };
        self.pending.extend_from_slice(&buf[..n]);
        // Answer every complete line; keep the rest for the next read.
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let reply = String::from_utf8_lossy(&line).to_uppercase();
            // A short blocking write: a client that never reads could stall
            // us here (a full server would poll for POLLOUT too).
            if self.stream.write_all(reply.as_bytes()).is_err() {
                return false;
            }
        }
        true
    }
}

/// Serves every client that connects to `listener`, forever, in this thread.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    // accept() must never block: poll may report a client that is gone again.
    listener.set_nonblocking(true)?;
    let mut clients: Vec<Client> = Vec::new();
    loop {
        // Which descriptors are readable: [listener, client 0, client 1, ...].
        let ready: Vec<bool> = {
            let mut fds = vec![PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
            fds.extend(
                clients
                    .iter()
                    .map(|c| PollFd::new(c.stream.as_fd(), PollFlags::POLLIN)),
            );
            match poll(&mut fds, PollTimeout::NONE) {
                Err(Errno::EINTR) => continue,
                result => result?,
            };
            // POLLHUP and POLLERR count too: the read then reports the end.
            fds.iter()
                .map(|fd| fd.revents().is_some_and(|r| !r.is_empty()))
                .collect()
        };
        let mut index = 0;
        clients.retain_mut(|client| {
            index += 1;
            !ready[index] || client.on_readable()
        });
        if ready[0] {
            // Take every waiting connection.
            loop {
                match listener.accept() {
                    Ok((stream, _)) => clients.push(Client {
                        stream,
                        pending: Vec::new(),
                    }),
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(_) => break,
                }
            }
        }
    }
}
