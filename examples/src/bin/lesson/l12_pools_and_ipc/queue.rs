//! A message queue (消息队列) between processes, made of one pipe.
//!
//! Every message travels as one fixed-size record written with a single
//! `write(2)`. POSIX makes a pipe write of at most PIPE_BUF bytes (4096 on
//! Linux) atomic: records from several writers never interleave, and a
//! reader asking for exactly one record gets exactly one. So any number of
//! processes may `put` and any number may `get`, first in, first out —
//! what Python's `multiprocessing.Queue` gives (it uses a pipe too).

use std::io;
use std::os::fd::OwnedFd;

/// Bytes per message; well under PIPE_BUF, so each write is atomic.
pub const RECORD: usize = 128;

/// Both ends of the queue; each process closes the end it does not use.
pub struct PipeQueue {
    rx: Option<OwnedFd>,
    tx: Option<OwnedFd>,
}

impl PipeQueue {
    /// A new, empty queue (one pipe). Create it before `fork`, so that the
    /// children inherit it.
    pub fn new() -> io::Result<PipeQueue> {
        let (rx, tx) = nix::unistd::pipe()?;
        Ok(PipeQueue {
            rx: Some(rx),
            tx: Some(tx),
        })
    }

    /// Puts one message (at most RECORD - 1 bytes). Blocks while the pipe
    /// is full (64 KiB), like `Queue.put` on a full queue.
    pub fn put(&self, text: &str) -> io::Result<()> {
        let tx = self.tx.as_ref().ok_or(io::ErrorKind::BrokenPipe)?;
        let mut record = [0u8; RECORD];
        let bytes = text.as_bytes();
        if bytes.len() >= RECORD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "message too long",
            ));
        }
        record[..bytes.len()].copy_from_slice(bytes);
        // One write of the whole record: atomic because RECORD <= PIPE_BUF.
        let written = nix::unistd::write(tx, &record)?;
        assert_eq!(
            written, RECORD,
            "a pipe write of <= PIPE_BUF bytes is all or nothing"
        );
        Ok(())
    }

    /// Takes the oldest message; blocks while the queue is empty. `None`
    /// when it is empty AND every process has closed its sending end.
    pub fn get(&self) -> io::Result<Option<String>> {
        let rx = self.rx.as_ref().ok_or(io::ErrorKind::BrokenPipe)?;
        let mut record = [0u8; RECORD];
        let n = nix::unistd::read(rx, &mut record)?;
        match n {
            0 => Ok(None),
            RECORD => {
                let end = record.iter().position(|&b| b == 0).unwrap_or(RECORD);
                Ok(Some(String::from_utf8_lossy(&record[..end]).into_owned()))
            }
            // Cannot happen while every writer writes whole records.
            short => Err(io::Error::other(format!("short record of {short} bytes"))),
        }
    }

    /// Closes this process's sending end. The readers see the end of the
    /// queue only when EVERY process holding a sending end has closed it —
    /// forgetting one copy (in a child, say) makes `get` wait forever.
    pub fn close_sender(&mut self) {
        self.tx = None;
    }

    /// Closes this process's receiving end.
    pub fn close_receiver(&mut self) {
        self.rx = None;
    }
}
