//! Answering what has already arrived, without ever waiting: the part of a
//! connection's work that the accept loop and the idle loop do themselves.
//!
//! A request that is whole, has no body, and whose answer the socket takes
//! at once (a small file, a 304, a 404...) is answered here; the request
//! and response are the same bytes a connection's thread would read and
//! write (`Conn::respond` in `handler.rs`). Everything else becomes a [`Step::HandOff`]:
//! a thread takes the connection and does the waiting.

use std::io;
use std::os::fd::AsRawFd;

use framework::Connection;
use nix::errno::Errno;
use nix::sys::socket::{MsgFlags, recv};

use super::handler::{Conn, Next, Site};
use super::head::{HeadError, is_complete_head, read_head};
use super::sink::{Pending, Sink};

/// Most bytes of an unfinished request head kept without a thread; a
/// longer head goes to a thread, which reads it with `http.server`'s limits.
const MAX_RECEIVED: usize = 16 * 1024;

/// Most pipelined requests answered in one turn, so that one client
/// cannot keep a loop from the others; a thread answers the rest.
const MAX_PER_TURN: usize = 16;

/// Reads what `out` has received so far without waiting, and answers the
/// requests now whole: the one step of both the accept loop and the idle loop.
pub fn receive_and_answer(
    site: &Site,
    out: &Connection,
    client: &str,
    received: &mut Vec<u8>,
) -> Step {
    match receive_now(out, received) {
        Received::Bytes => answer_ready(site, out, client, received),
        Received::Nothing => Step::Wait,
        Received::End if received.is_empty() => Step::Close,
        // Half a request and then the end: a thread answers what came.
        Received::End => Step::HandOff(Pending::default(), Next::KeepAlive),
        Received::Failed => Step::Close,
    }
}

/// What a read that does not wait found.
#[derive(Debug, PartialEq, Eq)]
enum Received {
    /// Some bytes (appended to the buffer).
    Bytes,
    /// Nothing yet.
    Nothing,
    /// The client closed its side.
    End,
    /// The connection failed (reset...).
    Failed,
}

/// Reads what `out` has received so far, appending it to `received`.
fn receive_now(out: &Connection, received: &mut Vec<u8>) -> Received {
    let mut buf = [0u8; 8192];
    loop {
        match recv(out.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT) {
            Ok(0) => return Received::End,
            Ok(n) => {
                received.extend_from_slice(&buf[..n]);
                return Received::Bytes;
            }
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => return Received::Nothing,
            Err(_) => return Received::Failed,
        }
    }
}

/// What the connection needs next.
pub enum Step {
    /// Every whole request is answered: wait for more bytes.
    Wait,
    /// Answered, and the connection ends: close it.
    Close,
    /// A thread must go on: send `Pending`, then do what `Next` says
    /// (read on with the bytes received, close, or close gracefully).
    HandOff(Pending, Next),
}

/// Answers the whole requests at the start of `received` (removing them),
/// as long as that needs no waiting.
fn answer_ready(site: &Site, out: &Connection, client: &str, received: &mut Vec<u8>) -> Step {
    for _ in 0..MAX_PER_TURN {
        if !is_complete_head(received) {
            if received.len() > MAX_RECEIVED {
                return Step::HandOff(Pending::default(), Next::KeepAlive);
            }
            return Step::Wait;
        }
        match answer_one(site, out, client, received) {
            Some(Step::Wait) => continue,
            Some(step) => return step,
            None => return Step::HandOff(Pending::default(), Next::KeepAlive),
        }
    }
    // Still more pipelined requests: a thread works through them.
    if received.is_empty() {
        Step::Wait
    } else {
        Step::HandOff(Pending::default(), Next::KeepAlive)
    }
}

/// Answers the whole request head at the start of `received`. `None`:
/// not without waiting (a body to read, a bad request to answer and then
/// close gracefully); a thread reads the request again from the start.
fn answer_one(site: &Site, out: &Connection, client: &str, received: &mut Vec<u8>) -> Option<Step> {
    let mut reader = io::Cursor::new(&received[..]);
    let head = match read_head(&mut reader, &mut Vec::new()) {
        Ok(head) => head,
        // An empty request line: end without a word, as on a thread.
        Err(HeadError::Closed) => return Some(Step::Close),
        Err(_) => return None,
    };
    // A body, or a client waiting for `100 Continue`: reading may wait.
    let has_body = head.header("transfer-encoding").is_some()
        || head.header("content-length").is_some_and(|n| n != "0")
        || head.header("expect").is_some();
    if has_body {
        return None;
    }
    let used = reader.position() as usize;
    let mut conn = Conn::new(site, out, client, Sink::NonBlocking(Pending::default()));
    let answered = conn.respond(&head, &mut reader);
    let pending = conn.into_pending();
    received.drain(..used);
    Some(match answered {
        Err(_) => Step::Close,
        Ok(next) if !pending.is_empty() => Step::HandOff(pending, next),
        Ok(Next::CloseAndLinger) => Step::HandOff(pending, Next::CloseAndLinger),
        // Bytes after a request that closes: close gracefully, or the
        // kernel's reset could destroy the response.
        Ok(Next::Close) if !received.is_empty() => Step::HandOff(pending, Next::CloseAndLinger),
        Ok(Next::Close) => Step::Close,
        Ok(Next::KeepAlive) => Step::Wait,
    })
}
