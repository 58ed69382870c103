//! Exercise 10: a key-value store on the event loop.     (lessons 09 and 16)
//!
//! One thread serves every client of an `EpollTcpServer` (the framework's
//! IO multiplexing model, notes/16-server-models.md). Your protocol is told
//! each line a client sends, and answers by `conn.write(...)`; it must
//! never wait (no sleep, no blocking read): every other client waits too.
//!
//! The protocol, one command per line (answers end with "\n"):
//!
//! ```text
//! SET key value     -> OK               (the value is the rest of the line, spaces too)
//! GET key           -> VALUE value      or NOT_FOUND
//! DEL key           -> DELETED          or NOT_FOUND
//! anything else     -> ERROR unknown command
//! ```
//!
//! The store is shared by all clients: what one SETs, another GETs. The
//! check sends commands whole, byte by byte, and several in one packet,
//! from 200 clients at once.
//!
//! Check it with `cargo exercise 10`; stuck? `cargo hint 10`.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};

use framework::{Conn, LineProtocol};

/// The data every connection shares.
pub type Store = Arc<Mutex<HashMap<String, String>>>;

/// One client's protocol: it reads commands, the store is everyone's.
pub struct KvProtocol {
    /// The shared store.
    pub store: Store,
}

impl LineProtocol for KvProtocol {
    fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
        // `line` is one whole line, "\n" included (maybe "\r\n").
        // TODO: parse the command and write the answer with conn.write(...).
        let _ = (conn, line, &self.store);
        Ok(())
    }
}
