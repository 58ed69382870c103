//! A connection's output queue: bytes written by the protocol, and ranges
//! of files, not yet taken by the socket.
//!
//! A non-blocking `send` takes only what fits in the socket's buffer; the
//! rest must wait here, in order, until the socket is writable again
//! (`EPOLLOUT`). Small writes are gathered into chunks, and one `sendmsg`
//! sends several chunks at once (a "gather" write, like `writev`). A file
//! range goes by `sendfile(2)`: from the page cache to the socket, never
//! through our memory, so a large file costs the queue nothing but a
//! descriptor.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd};

use nix::errno::Errno;
use nix::sys::socket::{MsgFlags, sendmsg};

/// Writes smaller than this are appended to the last chunk instead of
/// starting a new one.
const CHUNK: usize = 16 * 1024;

/// Most chunks handed to one `sendmsg`.
const GATHER: usize = 16;

/// One piece of output.
#[derive(Debug)]
enum Chunk {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// `len` bytes of `file` from `offset`.
    File { file: File, offset: u64, len: u64 },
}

/// What waits to be sent, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Output {
    chunks: VecDeque<Chunk>,
    /// How much of the first chunk (if bytes) has already been sent.
    sent_of_first: usize,
    /// Bytes waiting in memory (what the output limit counts).
    memory: usize,
    /// Bytes of files waiting.
    file_bytes: u64,
}

impl Output {
    /// Bytes waiting, in memory and in files.
    pub(crate) fn len(&self) -> usize {
        self.memory + self.file_bytes as usize
    }

    /// Bytes waiting in memory: what a client that does not read costs us.
    pub(crate) fn memory(&self) -> usize {
        self.memory
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Queues `data` after what is waiting.
    pub(crate) fn push(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.memory += data.len();
        if let Some(Chunk::Bytes(last)) = self.chunks.back_mut() {
            if last.len() + data.len() <= CHUNK {
                last.extend_from_slice(data);
                return;
            }
        }
        self.chunks.push_back(Chunk::Bytes(data.to_vec()));
    }

    /// Queues `len` bytes of `file` from `offset` after what is waiting.
    pub(crate) fn push_file(&mut self, file: File, offset: u64, len: u64) {
        if len > 0 {
            self.file_bytes += len;
            self.chunks.push_back(Chunk::File { file, offset, len });
        }
    }

    /// Sends as much as the socket takes now. Returns how many bytes went
    /// (0 when the socket is full); an error means the connection is broken
    /// (or a file shrank under us).
    pub(crate) fn send(&mut self, socket: &impl AsFd) -> io::Result<usize> {
        let mut sent = 0;
        loop {
            let progress = match self.chunks.front() {
                None => return Ok(sent),
                Some(Chunk::Bytes(_)) => self.send_bytes(socket),
                Some(Chunk::File { .. }) => self.send_file(socket),
            };
            match progress {
                Ok(0) => return Ok(sent),
                Ok(n) => sent += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// One `sendmsg` of the leading byte chunks. `MSG_MORE` when a file
    /// follows, so that a response head shares its packet with the body.
    fn send_bytes(&mut self, socket: &impl AsFd) -> io::Result<usize> {
        let mut slices = [IoSlice::new(&[]); GATHER];
        let mut count = 0;
        let mut file_follows = false;
        for chunk in self.chunks.iter() {
            match chunk {
                Chunk::Bytes(bytes) if count < GATHER => {
                    let start = if count == 0 { self.sent_of_first } else { 0 };
                    slices[count] = IoSlice::new(&bytes[start..]);
                    count += 1;
                }
                Chunk::Bytes(_) => break,
                Chunk::File { .. } => {
                    file_follows = true;
                    break;
                }
            }
        }
        // MSG_NOSIGNAL: a peer that has gone away gives EPIPE, not a
        // SIGPIPE that would kill the whole server.
        let mut flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL;
        if file_follows {
            // nix has no name for MSG_MORE; the bit is libc's.
            flags |= MsgFlags::from_bits_retain(libc::MSG_MORE);
        }
        let fd = socket.as_fd().as_raw_fd();
        match sendmsg::<()>(fd, &slices[..count], &[], flags, None) {
            Ok(n) => {
                self.consume_bytes(n);
                Ok(n)
            }
            Err(Errno::EAGAIN) => Ok(0),
            Err(err) => Err(err.into()),
        }
    }

    /// One `sendfile` of the file range at the front.
    fn send_file(&mut self, socket: &impl AsFd) -> io::Result<usize> {
        let Some(Chunk::File { file, offset, len }) = self.chunks.front_mut() else {
            return Ok(0);
        };
        let mut at = *offset as libc::off_t;
        // At most 1 MiB per call: other connections get their turn.
        let count = (*len).min(1 << 20) as usize;
        let n = match nix::sys::sendfile::sendfile(socket.as_fd(), &*file, Some(&mut at), count) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while it was being sent",
                ));
            }
            Ok(n) => n,
            Err(Errno::EAGAIN) => return Ok(0),
            Err(err) => return Err(err.into()),
        };
        *offset += n as u64;
        *len -= n as u64;
        self.file_bytes -= n as u64;
        if *len == 0 {
            self.chunks.pop_front();
        }
        Ok(n)
    }

    /// Forgets the first `n` bytes of the leading byte chunks, which the
    /// socket has taken.
    fn consume_bytes(&mut self, mut n: usize) {
        self.memory -= n;
        while n > 0 {
            let Some(Chunk::Bytes(first)) = self.chunks.front() else {
                unreachable!("n bytes of byte chunks were sent");
            };
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

    /// Takes everything waiting as bytes, file ranges read from their
    /// files, leaving the queue empty: what the socket would have been
    /// sent, for a connection without one ([`super::MemoryLoop`]). A file
    /// that shrank gives what there was, as `sendfile` would.
    pub(crate) fn take_all(&mut self) -> Vec<u8> {
        use std::os::unix::fs::FileExt;
        let mut out = Vec::with_capacity(self.len());
        for (i, chunk) in std::mem::take(&mut self.chunks).into_iter().enumerate() {
            match chunk {
                Chunk::Bytes(bytes) => {
                    let start = if i == 0 { self.sent_of_first } else { 0 };
                    out.extend_from_slice(&bytes[start..]);
                }
                Chunk::File { file, offset, len } => {
                    let at = out.len();
                    out.resize(at + len as usize, 0);
                    let mut got = 0;
                    while got < len as usize {
                        match file.read_at(&mut out[at + got..], offset + got as u64) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => got += n,
                        }
                    }
                    out.truncate(at + got);
                }
            }
        }
        *self = Output::default();
        out
    }

    /// Drops everything waiting (the connection is being aborted).
    pub(crate) fn clear(&mut self) {
        *self = Output::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, Write};
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
    fn file_ranges_go_between_bytes_in_order_and_cost_no_memory() {
        let (ours, mut theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let mut file = tempfile::tempfile().unwrap();
        let content: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 241) as u8).collect();
        file.write_all(&content).unwrap();
        file.rewind().unwrap();
        let mut output = Output::default();
        output.push(b"head:");
        output.push_file(file, 5, content.len() as u64 - 5);
        output.push(b":tail");
        assert_eq!(output.memory(), 10, "only the bytes count as memory");
        assert_eq!(output.len(), content.len() + 5);
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
        let mut expected = b"head:".to_vec();
        expected.extend_from_slice(&content[5..]);
        expected.extend_from_slice(b":tail");
        assert!(got == expected, "the bytes or their order differ");
    }

    #[test]
    fn take_all_gives_bytes_and_file_ranges_in_order_and_empties_the_queue() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"0123456789").unwrap();
        let mut output = Output::default();
        output.push(b"head:");
        output.push_file(file.try_clone().unwrap(), 2, 5);
        output.push(b":tail");
        // A range past the end gives what there is, as sendfile would.
        output.push_file(file, 8, 10);
        assert_eq!(output.take_all(), b"head:23456:tail89");
        assert!(output.is_empty());
        assert_eq!(output.len(), 0);
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
