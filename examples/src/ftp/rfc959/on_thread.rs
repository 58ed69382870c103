//! The blocking front end: a session in a thread (or a child process) of
//! its own, as the threading and forking models run it. It reads a
//! command, waits for it to be carried out (a transfer included), sends
//! the replies, and reads the next.

use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};

use framework::StreamRequest;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::abort_watch::{client_wants_stop, looks_like_abort, watching};
use super::command::MAX_COMMAND_LINE;
use super::job::{ControlSide, Ending};
use super::session::{Flow, Session, is_timeout};
use crate::ftp::protocol::{LineError, read_line};

/// Greets the client and answers commands until QUIT, the end of the
/// connection, a line too long or the idle timeout.
pub fn serve(session: &mut Session, request: &mut StreamRequest) -> io::Result<()> {
    session.greet();
    flush(session, request)?;
    loop {
        let line = match read_line(&mut request.rfile, MAX_COMMAND_LINE) {
            Ok(Some(line)) => line,
            Ok(None) | Err(LineError::Truncated) => return Ok(()),
            Err(LineError::TooLong) => {
                session.line_too_long();
                return flush(session, request);
            }
            Err(LineError::Io(err)) if is_timeout(&err) => {
                session.idle_timeout();
                let _ = flush(session, request);
                return Ok(());
            }
            Err(LineError::Io(err)) => return Err(err),
        };
        let flow = session.command(&line)?;
        flush(session, request)?;
        match flow {
            Flow::Continue => {}
            Flow::Close => return Ok(()),
            Flow::Transfer(transfer) => {
                let ending = transfer.run(&mut OnThread { request });
                session.send(ending.reply())?;
                if matches!(ending, Ending::Aborted) && !answer_abort(session, request)? {
                    return Ok(());
                }
                flush(session, request)?;
            }
        }
    }
}

/// Sends the session's replies, after its delay (a wrong password) if any.
fn flush(session: &mut Session, request: &StreamRequest) -> io::Result<()> {
    if let Some(delay) = session.take_delay() {
        std::thread::sleep(delay);
    }
    (&request.wfile).write_all(session.take_output().as_bytes())
}

/// After a transfer stopped by the client: reads what stopped it. An
/// `ABOR` is answered (after the transfer's `426`); `false`: the client left.
fn answer_abort(session: &mut Session, request: &mut StreamRequest) -> io::Result<bool> {
    match read_line(&mut request.rfile, MAX_COMMAND_LINE) {
        Ok(Some(_abor)) => {
            session.abor_during_transfer();
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// The control connection as a transfer in this thread sees it.
struct OnThread<'a> {
    request: &'a mut StreamRequest,
}

impl ControlSide for OnThread<'_> {
    fn send_now(&mut self, text: &str) -> io::Result<()> {
        (&self.request.wfile).write_all(text.as_bytes())
    }

    fn watching<T>(&mut self, socket: BorrowedFd<'_>, wait: impl FnOnce() -> T) -> (T, bool) {
        watching(self.request.connection(), socket, wait)
    }

    /// True if the client has sent `ABOR` or closed the control
    /// connection (looked at without taking anything out).
    fn client_stopped(&mut self) -> bool {
        let buffered = self.request.rfile.buffer();
        if !buffered.is_empty() {
            return looks_like_abort(buffered);
        }
        let control = self.request.connection();
        let mut fds = [PollFd::new(control.as_fd(), PollFlags::POLLIN)];
        matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0) && client_wants_stop(control)
    }
}
