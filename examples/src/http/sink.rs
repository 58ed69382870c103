//! Where a connection's responses go: straight to the socket, waiting as
//! long as the client needs (a connection's own thread), or without ever
//! waiting (the accept loop and the idle loop, which serve many
//! connections and must not stall on one).
//!
//! A response that cannot go out at once is kept, in order, as
//! [`Pending`] parts; the loop then hands the connection to a thread,
//! which sends them the blocking way.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

use framework::Connection;
use nix::errno::Errno;
use nix::sys::socket::{MsgFlags, send};

use super::response::{send_all, send_file, send_head_more};

/// How a connection's responses are written.
pub enum Sink {
    /// Each write waits until the socket took everything (its thread may wait).
    Blocking,
    /// Writes never wait: what the socket does not take now is kept.
    NonBlocking(Pending),
}

/// Response bytes and file ranges not sent yet, in order.
#[derive(Default)]
pub struct Pending {
    parts: VecDeque<Part>,
}

enum Part {
    Bytes(Vec<u8>),
    File { file: File, offset: u64, len: u64 },
}

impl Sink {
    /// Sends `bytes`, or keeps what the socket would not take now.
    pub fn send(&mut self, out: &Connection, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sink::Blocking => send_all(out, bytes),
            Sink::NonBlocking(pending) => pending.send(out, bytes),
        }
    }

    /// Sends a response `head` followed by `len` bytes of `file` from
    /// `offset` (a large body: `sendfile`). The non-blocking sink keeps
    /// both for a thread: a large body would not fit the socket anyway.
    pub fn send_file(
        &mut self,
        out: &Connection,
        head: Vec<u8>,
        file: &File,
        offset: u64,
        len: u64,
    ) -> io::Result<()> {
        match self {
            Sink::Blocking => {
                send_head_more(out, &head)?;
                send_file(out, file, offset, len)
            }
            Sink::NonBlocking(pending) => {
                pending.parts.push_back(Part::Bytes(head));
                let file = file.try_clone()?;
                pending.parts.push_back(Part::File { file, offset, len });
                Ok(())
            }
        }
    }

    /// What is still to be sent (nothing for a blocking sink).
    pub fn into_pending(self) -> Pending {
        match self {
            Sink::Blocking => Pending::default(),
            Sink::NonBlocking(pending) => pending,
        }
    }
}

impl Pending {
    /// Whether everything was sent.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Sends as much as the socket takes without waiting; keeps the rest.
    fn send(&mut self, out: &Connection, mut bytes: &[u8]) -> io::Result<()> {
        // Bytes may not overtake what is already waiting.
        while self.parts.is_empty() && !bytes.is_empty() {
            let flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL;
            match send(out.as_raw_fd(), bytes, flags) {
                Ok(n) => bytes = &bytes[n..],
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => break,
                Err(err) => return Err(err.into()),
            }
        }
        if !bytes.is_empty() {
            self.parts.push_back(Part::Bytes(bytes.to_vec()));
        }
        Ok(())
    }

    /// Sends everything, waiting for the client as a blocking write does
    /// (bounded by the socket's send timeout).
    pub fn flush(self, out: &Connection) -> io::Result<()> {
        let mut parts = self.parts.into_iter().peekable();
        while let Some(part) = parts.next() {
            match part {
                // A head followed by its file: hold it back to share the
                // first packet with the file's bytes (MSG_MORE).
                Part::Bytes(bytes) if matches!(parts.peek(), Some(Part::File { .. })) => {
                    send_head_more(out, &bytes)?
                }
                Part::Bytes(bytes) => send_all(out, &bytes)?,
                Part::File { file, offset, len } => send_file(out, &file, offset, len)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};

    fn pair() -> (Connection, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (Connection::Tcp(server), client)
    }

    #[test]
    fn keeps_what_a_full_socket_refuses_and_sends_it_in_order_later() {
        let (server, mut client) = pair();
        let mut sink = Sink::NonBlocking(Pending::default());
        // Far more than the socket buffers hold while the client reads nothing.
        let big: Vec<u8> = (0..32 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
        sink.send(&server, &big).unwrap();
        sink.send(&server, b"tail").unwrap();
        let pending = sink.into_pending();
        assert!(!pending.is_empty(), "a 32 MiB write cannot all fit at once");
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            client.read_to_end(&mut got).unwrap();
            got
        });
        pending.flush(&server).unwrap();
        drop(server);
        let got = reader.join().unwrap();
        assert_eq!(got.len(), big.len() + 4);
        assert!(got[..big.len()] == big[..], "bytes out of order or changed");
        assert_eq!(&got[big.len()..], b"tail");
    }

    #[test]
    fn a_small_write_goes_out_at_once() {
        let (server, mut client) = pair();
        let mut sink = Sink::NonBlocking(Pending::default());
        sink.send(&server, b"HTTP/1.1 200 OK\r\n\r\n").unwrap();
        assert!(sink.into_pending().is_empty());
        let mut got = [0u8; 19];
        client.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"HTTP/1.1 200 OK\r\n\r\n");
    }
}
