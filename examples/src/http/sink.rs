//! Where a connection's responses go: straight to the socket, waiting as
//! long as the client needs (a connection's own thread or process), or
//! collected as parts for the event loop, which queues them and sends them
//! as the socket takes them (see [`super::on_loop`]).

use std::fs::File;
use std::io;

use framework::Connection;

use super::response::{send_all, send_file, send_head_more};

/// How a connection's responses are written.
pub enum Sink {
    /// Each write waits until the socket took everything.
    Blocking,
    /// Nothing is written here: the parts are kept, in order.
    Collect(Vec<Part>),
}

/// One part of a response, for the event loop to queue.
pub enum Part {
    /// Bytes (a head, a page, a small body).
    Bytes(Vec<u8>),
    /// `len` bytes of `file` from `offset` (a large body: `sendfile`).
    File {
        /// The open file (a descriptor of its own).
        file: File,
        /// Where the range starts.
        offset: u64,
        /// How many bytes.
        len: u64,
    },
}

impl Sink {
    /// A sink that collects parts.
    pub fn collect() -> Sink {
        Sink::Collect(Vec::new())
    }

    /// Sends `bytes`, or keeps them.
    pub fn send(&mut self, out: &Connection, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sink::Blocking => send_all(out, bytes),
            Sink::Collect(parts) => {
                parts.push(Part::Bytes(bytes.to_vec()));
                Ok(())
            }
        }
    }

    /// Sends a response `head` followed by `len` bytes of `file` from
    /// `offset` (a large body: `sendfile`), or keeps both.
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
            Sink::Collect(parts) => {
                parts.push(Part::Bytes(head));
                let file = file.try_clone()?;
                parts.push(Part::File { file, offset, len });
                Ok(())
            }
        }
    }

    /// The parts kept (none for a blocking sink).
    pub fn into_parts(self) -> Vec<Part> {
        match self {
            Sink::Blocking => Vec::new(),
            Sink::Collect(parts) => parts,
        }
    }
}
