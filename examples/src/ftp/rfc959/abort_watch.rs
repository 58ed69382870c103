//! Watching the control connection while a transfer runs, for `ABOR`.
//!
//! A transfer blocks: in `accept` until the client opens the data
//! connection, in `sendfile` while the client does not read, in `splice`
//! while it does not send. A client that gives up sends `ABOR` on
//! the control connection (RFC 959 §4.1.3) and may stop reading or
//! sending the data at the same moment, so checking between two chunks
//! is not enough: the next chunk may never move. So a second thread
//! waits on the control connection during the transfer; when `ABOR` (or
//! the end of the connection: the client is gone) arrives, it shuts the
//! socket the transfer waits on down (the data connection, or the passive
//! listener), which ends the blocked call at once. It only
//! *peeks*: the session reads the `ABOR` line itself afterwards.
//!
//! This is the blocking front end's way (`on_thread.rs`). On the event
//! loop, the loop reads the control connection anyway, and `worker.rs`'s
//! `Stop` does the shutting down.
//!
//! The watcher is woken through a pipe when the transfer ends, so a
//! transfer costs one thread and one pipe, and no waiting.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, Ordering};

use framework::Connection;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{Shutdown, shutdown};

/// Runs `transfer`, which waits on `socket` (the data connection, or the
/// passive listener), while watching `control`; returns its result and
/// whether it was stopped by the client (ABOR, or the client left).
pub fn watching<T>(
    control: &Connection,
    socket: BorrowedFd<'_>,
    transfer: impl FnOnce() -> T,
) -> (T, bool) {
    let Ok((wake_read, wake_write)) = nix::unistd::pipe() else {
        // No pipe (out of descriptors): the transfer runs unwatched.
        return (transfer(), false);
    };
    let stopped = AtomicBool::new(false);
    let result = std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut fds = [
                PollFd::new(control.as_fd(), PollFlags::POLLIN),
                PollFd::new(wake_read.as_fd(), PollFlags::POLLIN),
            ];
            loop {
                match poll(&mut fds, PollTimeout::NONE) {
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(_) => return,
                    Ok(_) => {}
                }
                let woken = fds[1].revents().is_some_and(|r| !r.is_empty());
                let control_ready = fds[0].revents().is_some_and(|r| !r.is_empty());
                if woken || !control_ready {
                    return;
                }
                if client_wants_stop(control) {
                    stopped.store(true, Ordering::SeqCst);
                    // A listener shut down wakes its `poll` too (Linux).
                    let _ = shutdown(socket.as_raw_fd(), Shutdown::Both);
                }
                // Another command waiting (or the stop handled): it stays
                // readable, so watching further would spin.
                return;
            }
        });
        let result = transfer();
        let _ = nix::unistd::write(&wake_write, b"!");
        result
    });
    (result, stopped.load(Ordering::SeqCst))
}

/// Peeks at the control connection: `ABOR` (Telnet bytes before it
/// ignored) or its end, orderly (a FIN) or not (a reset: the client
/// crashed or lost its network; a partial upload must then not be kept).
pub fn client_wants_stop(control: &Connection) -> bool {
    let mut peek = [0u8; 16];
    // SAFETY: recv writes at most `peek.len()` bytes into the buffer;
    // MSG_PEEK leaves them in the socket, MSG_DONTWAIT never blocks.
    let n = unsafe {
        libc::recv(
            std::os::fd::AsRawFd::as_raw_fd(control),
            peek.as_mut_ptr().cast(),
            peek.len(),
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    match n {
        0 => true,
        // Nothing to read yet; anything else (ECONNRESET, ETIMEDOUT...)
        // is a control connection that is gone.
        n if n < 0 => !matches!(
            std::io::Error::last_os_error().raw_os_error(),
            Some(libc::EAGAIN | libc::EINTR)
        ),
        n => looks_like_abort(&peek[..n as usize]),
    }
}

/// A command line starting with ABOR, Telnet bytes before it ignored.
pub fn looks_like_abort(bytes: &[u8]) -> bool {
    let text: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|&b| b < 0x80)
        .take(4)
        .map(|b| b.to_ascii_uppercase())
        .collect();
    text == b"ABOR"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abor_with_or_without_telnet_bytes() {
        assert!(looks_like_abort(b"ABOR\r\n"));
        assert!(looks_like_abort(b"\xff\xf4\xff\xf2abor\r\n"));
        assert!(!looks_like_abort(b"STAT\r\n"));
        assert!(!looks_like_abort(b"AB"));
    }
}
