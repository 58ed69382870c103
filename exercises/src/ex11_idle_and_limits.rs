//! Exercise 11: timeouts and limits on the event loop.   (lesson 16)
//!
//! The echo protocol below runs on an `EpollTcpServer`: one thread for
//! every client. A public server meets clients that would make it pay
//! without end. Protect it from three of them:
//!
//! 1. the one who connects and says nothing: it holds a descriptor and a
//!    table entry forever. Close a client idle for `IDLE`, after saying
//!    `bye: idle for too long` (a line);
//! 2. the one who sends a line without end: the server keeps it all in
//!    memory, waiting for the `\n`. Refuse lines longer than `MAX_LINE`
//!    bytes: answer `ERROR line too long` and go on with the next line
//!    (the client stays connected);
//! 3. the one who asks for a lot and never reads: the answer waits in the
//!    server's queue for it. Cap each client's queue at `MAX_OUTPUT`
//!    bytes: past it, the framework closes that client.
//!
//! The server has settings for all three (framework/src/event_loop/server.rs:
//! `set_idle_timeout`, `set_max_output`), `Lines` has one for the line
//! length, and `LineProtocol` has a method for each event (`timed_out`,
//! `line_too_long`). `DUMP n` answers n KiB of 'x' in one write: the
//! check uses it to play the client that never reads.
//!
//! Check it with `cargo exercise 11`; stuck? `cargo hint 11`.

use std::io;
use std::time::Duration;

use framework::{Conn, EpollTcpServer, LineProtocol, Lines, Protocol, Timeout};

/// How long a client may stay silent.
pub const IDLE: Duration = Duration::from_millis(500);
/// The longest line, its "\n" included.
pub const MAX_LINE: usize = 128;
/// The most bytes queued for a client that does not read.
pub const MAX_OUTPUT: usize = 256 * 1024;

/// Sets the server's limits before it serves.
pub fn configure<P, F>(server: &mut EpollTcpServer<P, F>)
where
    P: Protocol,
    F: Fn() -> P + Send + Sync + 'static,
{
    // TODO: close clients idle for IDLE; cap each client's queue at MAX_OUTPUT.
    let _ = (server, IDLE, MAX_OUTPUT);
}

/// Makes the protocol of one connection.
pub fn protocol() -> Lines<Guarded> {
    // TODO: lines of at most MAX_LINE bytes.
    Lines::new(Guarded)
}

/// Echoes lines; `DUMP n` answers n KiB at once.
pub struct Guarded;

impl LineProtocol for Guarded {
    fn connected(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        // A small kernel send buffer (lesson 05's SO_SNDBUF): on loopback the
        // kernel would otherwise take megabytes itself before anything waits
        // in the server's own queue, and the check could not see the limit.
        socket2::SockRef::from(conn.connection()).set_send_buffer_size(16 * 1024)
    }

    fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(line);
        match text
            .trim_end()
            .strip_prefix("DUMP ")
            .map(str::parse::<usize>)
        {
            Some(Ok(kib)) => conn.write(&vec![b'x'; kib * 1024]),
            _ => conn.write(line),
        }
        Ok(())
    }

    fn timed_out(&mut self, conn: &mut Conn<'_>, timeout: Timeout) -> io::Result<()> {
        // TODO: say goodbye (the framework closes the connection afterwards).
        let _ = (conn, timeout);
        Ok(())
    }

    fn line_too_long(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        // TODO: answer "ERROR line too long" and keep the connection open.
        conn.close();
        Ok(())
    }
}
