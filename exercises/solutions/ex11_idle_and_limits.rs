//! Exercise 11, a reference solution: timeouts and limits on the event loop.

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
    server.set_idle_timeout(Some(IDLE));
    server.set_max_output(MAX_OUTPUT);
}

/// Makes the protocol of one connection.
pub fn protocol() -> Lines<Guarded> {
    Lines::with_max_line(Guarded, MAX_LINE)
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
        if timeout == Timeout::Idle {
            conn.write(b"bye: idle for too long\n");
        }
        Ok(())
    }

    fn line_too_long(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        // `Lines` skips the rest of the long line; the next one is served.
        conn.write(b"ERROR line too long\n");
        Ok(())
    }
}
