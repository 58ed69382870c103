//! A connection's output queue: bytes written by the protocol and not yet
//! taken by the socket.
//!
//! A non-blocking `send` takes only what fits in the socket's buffer; the
//! rest must wait here, in order, until the socket is writable again
//! (`EPOLLOUT`). Small writes are gathered into chunks, and one `sendmsg`
//! sends several chunks at once (a "gather" write, like `writev`).

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::os::fd::AsRawFd;

use nix::errno::Errno;
use nix::sys::socket::{MsgFlags, sendmsg};

/// Writes smaller than this are appended to the last chunk instead of
/// starting a new one.
const CHUNK: usize = 16 * 1024;

/// Most chunks handed to one `sendmsg`.
const GATHER: usize = 16;

/// Bytes waiting to be sent, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Output {
    chunks: VecDeque<Vec<u8>>,
    /// How much of the first chunk has already been sent.
    sent_of_first: usize,
    /// Bytes waiting in all.
    len: usize,
}

impl Output {
    /// Bytes waiting.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues `data` after what is waiting.
    pub(crate) fn push(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.len += data.len();
        if let Some(last) = self.chunks.back_mut() {
            if last.len() + data.len() <= CHUNK {
                last.extend_from_slice(data);
                return;
            }
        }
        self.chunks.push_back(data.to_vec());
    }

    /// Sends as much as the socket takes now. Returns how many bytes went
    /// (0 when the socket is full); an error means the connection is broken.
    pub(crate) fn send(&mut self, socket: &impl AsRawFd) -> io::Result<usize> {
        let mut sent = 0;
        while !self.is_empty() {
            let mut slices = [IoSlice::new(&[]); GATHER];
            let count = self.chunks.len().min(GATHER);
            for (i, chunk) in self.chunks.iter().take(count).enumerate() {
                let start = if i == 0 { self.sent_of_first } else { 0 };
                slices[i] = IoSlice::new(&chunk[start..]);
            }
            // MSG_NOSIGNAL: a peer that has gone away gives EPIPE, not a
            // SIGPIPE that would kill the whole server.
            let flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL;
            match sendmsg::<()>(socket.as_raw_fd(), &slices[..count], &[], flags, None) {
                Ok(n) => {
                    self.consume(n);
                    sent += n;
                }
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => break,
                Err(err) => return Err(err.into()),
            }
        }
        Ok(sent)
    }

    /// Forgets the first `n` bytes, which the socket has taken.
    fn consume(&mut self, mut n: usize) {
        self.len -= n;
        while n > 0 {
            let first = self.chunks.front().expect("n bytes were queued");
            let left = first.len() - self.sent_of_first;
            if n < left {
                self.sent_of_first += n;
                return;
            }
            n -= left;
            self.chunks.pop_front();
            self.sent_of_first = 0;
        }
        if self.chunks.is_empty() && self.chunks.capacity() > 4 {
            // An idle connection keeps no memory from a burst long past.
            self.chunks = VecDeque::new();
        }
    }

    /// Drops everything waiting (the connection is being aborted).
    pub(crate) fn clear(&mut self) {
        *self = Output::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::net::UnixStream;

    #[test]
    fn small_writes_share_a_chunk_and_go_out_in_order() {
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        let mut output = Output::default();
        for word in [&b"one "[..], b"two ", b"three"] {
            output.push(word);
        }
        assert_eq!(output.chunks.len(), 1);
        assert_eq!(output.len(), 13);
        assert_eq!(output.send(&ours).unwrap(), 13);
        assert!(output.is_empty());
        let mut got = [0u8; 13];
        theirs.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"one two three");
    }

    #[test]
    fn what_a_full_socket_refuses_waits_and_keeps_its_order() {
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let mut output = Output::default();
        let big: Vec<u8> = (0..4 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
        output.push(&big);
        output.push(b"tail");
        let first = output.send(&ours).unwrap();
        assert!(first < big.len(), "4 MiB cannot fit an unread socket");
        assert_eq!(output.len(), big.len() + 4 - first);
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            theirs.read_to_end(&mut got).unwrap();
            got
        });
        while !output.is_empty() {
            output.send(&ours).unwrap();
        }
        drop(ours);
        let got = reader.join().unwrap();
        assert_eq!(got.len(), big.len() + 4);
        assert!(got[..big.len()] == big[..], "bytes changed or reordered");
        assert_eq!(&got[big.len()..], b"tail");
    }

    #[test]
    fn a_peer_gone_is_an_error_not_a_signal() {
        let (ours, theirs) = UnixStream::pair().unwrap();
        drop(theirs);
        let mut output = Output::default();
        output.push(b"anyone there?");
        let err = output.send(&ours).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPIPE));
    }
}
