//! Exercise 12, a reference solution: one poll() loop over the listener,
//! the terminal and every client, each line written to the file at once.

use std::fs::File;
use std::io::{self, Read, Stdin, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// A connected client and the bytes of its unfinished line.
struct Client {
    stream: TcpStream,
    peer: SocketAddr,
    pending: Vec<u8>,
}

/// Writes every line from the clients of `listener` and from `terminal`
/// into `log`, forever.
pub fn serve(listener: TcpListener, terminal: Stdin, mut log: File) -> io::Result<()> {
    let mut clients: Vec<Client> = Vec::new();
    // None once the terminal is closed: an ended pipe is always "readable",
    // so watching it any longer would spin.
    let mut terminal_pending = Some(Vec::new());
    loop {
        // Ready flags, copied out so the PollFds (which borrow the
        // descriptors) are gone before the clients are changed.
        let (listener_ready, terminal_ready, ready_clients) = {
            let mut fds = vec![PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
            if terminal_pending.is_some() {
                fds.push(PollFd::new(terminal.as_fd(), PollFlags::POLLIN));
            }
            let first_client = fds.len();
            fds.extend(
                clients
                    .iter()
                    .map(|c| PollFd::new(c.stream.as_fd(), PollFlags::POLLIN)),
            );
            poll(&mut fds, PollTimeout::NONE)?;
            let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
            (
                ready(&fds[0]),
                terminal_pending.is_some() && ready(&fds[1]),
                fds[first_client..].iter().map(ready).collect::<Vec<_>>(),
            )
        };
        if terminal_ready {
            let mut chunk = [0u8; 4096];
            // From the descriptor itself: Stdin's own buffer could keep
            // bytes that poll() would then never report.
            let n = nix::unistd::read(terminal.as_fd(), &mut chunk)?;
            match (n, terminal_pending.as_mut()) {
                (0, _) => terminal_pending = None,
                (n, Some(pending)) => {
                    pending.extend_from_slice(&chunk[..n]);
                    write_lines(pending, "terminal", &mut log)?;
                }
                (_, None) => {}
            }
        }
        // Clients in reverse, so removing one keeps the others' indexes.
        for i in (0..ready_clients.len()).rev() {
            if !ready_clients[i] {
                continue;
            }
            let client = &mut clients[i];
            let mut chunk = [0u8; 4096];
            match client.stream.read(&mut chunk) {
                Ok(0) | Err(_) => {
                    clients.swap_remove(i);
                }
                Ok(n) => {
                    client.pending.extend_from_slice(&chunk[..n]);
                    let who = client.peer.to_string();
                    write_lines(&mut client.pending, &who, &mut log)?;
                }
            }
        }
        if listener_ready {
            // Readable listener: accept does not block.
            let (stream, peer) = listener.accept()?;
            clients.push(Client {
                stream,
                peer,
                pending: Vec::new(),
            });
        }
    }
}

/// Writes every complete line in `pending` as `who: line`, keeping the rest.
fn write_lines(pending: &mut Vec<u8>, who: &str, log: &mut File) -> io::Result<()> {
    while let Some(end) = pending.iter().position(|&b| b == b'\n') {
        let line: Vec<u8> = pending.drain(..=end).collect();
        let text = String::from_utf8_lossy(&line);
        writeln!(log, "{who}: {}", text.trim_end())?;
    }
    Ok(())
}
