//! The event-loop front end (`ftpd --model poll`): every control
//! connection on one thread, as a [`LineProtocol`] of the framework's
//! event loop; each transfer on a worker thread (`worker.rs`).
//!
//! The commands are the [`Session`]'s, as in the blocking front end
//! (`on_thread.rs`). What a thread did by waiting, this protocol does
//! with state:
//!
//! | a session's thread... | here |
//! |---|---|
//! | reads the next command with a timeout | the idle timeout is a timer, set after every reply |
//! | sleeps before answering a wrong password | holds the reply, pauses reading, sets a timer |
//! | runs a transfer, then reads the next command | a worker runs it; lines that come meanwhile wait in a queue, and are carried out once the transfer's last reply has gone out (RFC 959's order: `150`, `226`, then the next reply) |
//! | watches for ABOR during a transfer (a second thread) | an `ABOR` line (or the end of the connection) stops the worker's transfer at once |

use std::collections::VecDeque;
use std::io;
use std::net::IpAddr;
use std::sync::Arc;

use framework::{Address, CloseReason, Conn, LineProtocol, Timeout};

use super::abort_watch::looks_like_abort;
use super::config::Config;
use super::handler::log;
use super::job::Ending;
use super::limits::Admission;
use super::reply;
use super::session::{Flow, Session};
use super::worker::{Running, Workers};

/// Lines a client may send ahead during a transfer before its control
/// connection is no longer read (TCP then slows it down).
const MAX_QUEUED_LINES: usize = 32;

/// What every session of the loops shares.
pub struct Shared {
    /// The server's settings.
    pub config: Arc<Config>,
    /// The transfers' threads.
    pub workers: Arc<Workers>,
}

/// What a session is waiting for before it reads its next command.
enum Waiting {
    /// Nothing: commands are carried out as they come.
    No,
    /// A transfer on a worker.
    Transfer(Arc<Running>),
    /// The delay before a wrong password's reply (`held`), then maybe the end.
    Delay { held: String, close: bool },
}

/// One control connection on the loop.
pub struct FtpProtocol {
    shared: Arc<Shared>,
    /// `None` until connected, and for a refused client.
    session: Option<Session>,
    /// Its place under the connection limits.
    _admission: Option<Admission<'static>>,
    waiting: Waiting,
    /// Lines that came while waiting, in order.
    queued: VecDeque<Vec<u8>>,
    /// The client ended its side: close once the waiting is over.
    eof: bool,
}

impl FtpProtocol {
    /// A protocol for a new connection.
    pub fn new(shared: Arc<Shared>) -> FtpProtocol {
        FtpProtocol {
            shared,
            session: None,
            _admission: None,
            waiting: Waiting::No,
            queued: VecDeque::new(),
            eof: false,
        }
    }

    /// Carries out one command line and sends its replies (or starts its
    /// transfer, or its delay).
    fn command(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
        let Some(session) = self.session.as_mut() else {
            return Ok(());
        };
        let flow = session.command(line)?;
        let delay = session.take_delay();
        let output = session.take_output();
        if let Some(delay) = delay {
            let close = matches!(flow, Flow::Close);
            self.waiting = Waiting::Delay {
                held: output,
                close,
            };
            conn.pause_reading();
            conn.set_timer(Some(delay));
            return Ok(());
        }
        conn.write(output.as_bytes());
        match flow {
            Flow::Continue => self.idle_timer(conn),
            Flow::Close => conn.close(),
            Flow::Transfer(transfer) => {
                // The worker's replies come back to the loop that serves
                // this connection (with `--loops N`, not always the first).
                let started = self.shared.workers.start(
                    transfer,
                    conn.loop_handle(),
                    conn.id(),
                    conn.connection(),
                );
                match started {
                    Ok(running) => {
                        // No idle timeout while the data connection works.
                        conn.set_timer(None);
                        self.waiting = Waiting::Transfer(running);
                    }
                    Err(err) => {
                        let text = format!("Cannot start the transfer: {err}; try again.");
                        conn.write(reply::line(425, &text).as_bytes());
                        self.idle_timer(conn);
                    }
                }
            }
        }
        Ok(())
    }

    /// The waiting is over: carries out the lines that came meanwhile,
    /// until one makes the session wait again.
    fn resume(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        while matches!(self.waiting, Waiting::No) && !conn.is_closing() {
            let Some(line) = self.queued.pop_front() else {
                break;
            };
            self.command(conn, &line)?;
        }
        if matches!(self.waiting, Waiting::No) && !conn.is_closing() {
            if self.eof {
                conn.close();
            } else {
                conn.resume_reading();
            }
        }
        Ok(())
    }

    /// Arms the idle timeout (`--idle-timeout`) for the next command.
    fn idle_timer(&self, conn: &mut Conn<'_>) {
        conn.set_timer(self.shared.config.idle_timeout);
    }

    /// Stops the running transfer, if any.
    fn stop_transfer(&self) {
        if let Waiting::Transfer(running) = &self.waiting {
            running.stop.stop();
        }
    }
}

impl LineProtocol for FtpProtocol {
    fn connected(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        let client = conn.client_address().to_string();
        let Address::Inet(peer) = conn.client_address() else {
            conn.close();
            return Ok(());
        };
        let peer = peer.ip();
        let socket = socket2::SockRef::from(conn.connection());
        // Replies are small writes; Nagle would hold each back for an ACK.
        socket.set_tcp_nodelay(true)?;
        // `ABOR` may come as TCP urgent data: kept inline, it is a line.
        socket.set_out_of_band_inline(true)?;
        let local = socket
            .local_addr()?
            .as_socket()
            .map_or(IpAddr::from([127, 0, 0, 1]), |a| a.ip());
        match self.shared.config.limits.admit(peer) {
            Ok(admission) => self._admission = Some(admission),
            Err(refusal) => {
                if self.shared.config.log {
                    log(&client, &format!("refused: {refusal}"));
                }
                conn.write(reply::line(421, refusal).as_bytes());
                conn.close();
                return Ok(());
            }
        }
        let mut session = Session::new(Arc::clone(&self.shared.config), client, peer, local);
        session.greet();
        conn.write(session.take_output().as_bytes());
        self.session = Some(session);
        self.idle_timer(conn);
        Ok(())
    }

    fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
        // Only the last line before the end may lack its LF: a command
        // cut short, which the blocking front end ignores too.
        let Some(line) = line.strip_suffix(b"\n") else {
            return Ok(());
        };
        if matches!(self.waiting, Waiting::No) {
            return self.command(conn, line);
        }
        if looks_like_abort(line) {
            // Answered when the transfer has ended (`426`, then `226`).
            self.stop_transfer();
        }
        self.queued.push_back(line.to_vec());
        if self.queued.len() >= MAX_QUEUED_LINES {
            conn.pause_reading();
        }
        Ok(())
    }

    fn line_too_long(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        if let Some(session) = self.session.as_mut() {
            session.line_too_long();
            conn.write(session.take_output().as_bytes());
        }
        conn.close();
        Ok(())
    }

    fn eof_received(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        self.eof = true;
        match self.waiting {
            Waiting::No => conn.close(),
            // A client that leaves during a transfer has given it up.
            Waiting::Transfer(_) => self.stop_transfer(),
            Waiting::Delay { .. } => {}
        }
        Ok(())
    }

    /// Everything queued has gone out: if it was a transfer's last reply,
    /// the session goes on with the lines that came meanwhile.
    fn writable(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        let Waiting::Transfer(running) = &self.waiting else {
            return Ok(());
        };
        let Some(ending) = running.ended.lock().take() else {
            return Ok(()); // the 150 went out; the transfer goes on
        };
        self.waiting = Waiting::No;
        if let Ending::Aborted = ending {
            // Stopped by an ABOR (answered now) or by the client leaving.
            let abor = self.queued.iter().position(|l| looks_like_abort(l));
            let (Some(abor), Some(session)) = (abor, self.session.as_mut()) else {
                conn.close();
                return Ok(());
            };
            self.queued.remove(abor);
            session.abor_during_transfer();
            conn.write(session.take_output().as_bytes());
        }
        self.idle_timer(conn);
        self.resume(conn)
    }

    fn timed_out(&mut self, conn: &mut Conn<'_>, _timeout: Timeout) -> io::Result<()> {
        match std::mem::replace(&mut self.waiting, Waiting::No) {
            Waiting::Delay { held, close } => {
                conn.write(held.as_bytes());
                if close {
                    conn.close();
                    return Ok(());
                }
                self.idle_timer(conn);
                self.resume(conn)
            }
            Waiting::No => {
                if let Some(session) = self.session.as_mut() {
                    session.idle_timeout();
                    conn.write(session.take_output().as_bytes());
                }
                conn.close();
                Ok(())
            }
            // A timer left from before the transfer: the transfer has its own.
            transfer @ Waiting::Transfer(_) => {
                self.waiting = transfer;
                Ok(())
            }
        }
    }

    fn closed(&mut self, _conn: &mut Conn<'_>, _reason: &CloseReason) {
        self.stop_transfer();
    }
}
