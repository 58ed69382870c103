//! Transfers of the event-loop front end, each on a worker thread.
//!
//! The loop owns the control connections; a data connection is a second
//! socket that waits (for the client to connect, to read, to send) for as
//! long as the transfer takes. So the loop gives each transfer to a thread
//! of its own (at most [`MAX_TRANSFERS`] at once) and goes on serving the
//! other sessions. The thread talks back through the loop's
//! `call_soon_threadsafe`: the `150` reply, then the final one, written
//! by the loop on its own thread in that order.
//!
//! ```text
//!   loop thread                                 worker thread
//!   RETR f: checks, Transfer ──spawn──────────> accept the data connection
//!                         <──call_soon: "150"── send the file (sendfile)
//!   ABOR line ──Stop::stop: shutdown(data)────> (the send ends at once)
//!                  <──call_soon: ended, "226"── done
//!   writable(): the reply went out, read the next command
//! ```

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use framework::{ConnId, Connection, LoopHandle};
use nix::sys::socket::{Shutdown, shutdown};
use parking_lot::Mutex;

use super::abort_watch::client_wants_stop;
use super::job::{ControlSide, Ending, Transfer};

/// Transfers running at once at most (one thread each); past it, a
/// transfer is refused with `425` and the client may try again.
pub const MAX_TRANSFERS: usize = 256;

/// A transfer running on a worker, as its session on the loop sees it.
#[derive(Default)]
pub struct Running {
    /// Set when the client stops it (ABOR, or the control connection ended).
    pub stop: Stop,
    /// Set on the loop's thread just before the final reply is queued.
    pub ended: Mutex<Option<Ending>>,
}

/// Stops a transfer from another thread: a flag, and a shutdown of the
/// socket the transfer waits on (a passive listener or the data
/// connection), which ends the wait at once.
#[derive(Default)]
pub struct Stop {
    stopped: AtomicBool,
    /// A duplicate of the socket waited on now, if any.
    waiting_on: Mutex<Option<OwnedFd>>,
}

impl Stop {
    /// Stops the transfer (from the loop's thread).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        if let Some(fd) = &*self.waiting_on.lock() {
            let _ = shutdown(fd.as_raw_fd(), Shutdown::Both);
        }
    }

    /// Whether [`stop`](Self::stop) was called.
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Runs `wait`, which blocks on `socket`, so that [`stop`](Self::stop)
    /// ends it; returns its result and whether the transfer was stopped.
    pub fn watching<T>(&self, socket: BorrowedFd<'_>, wait: impl FnOnce() -> T) -> (T, bool) {
        *self.waiting_on.lock() = socket.try_clone_to_owned().ok();
        // Stopped before the socket was known: shut it down now.
        if self.is_stopped() {
            let _ = shutdown(socket.as_raw_fd(), Shutdown::Both);
        }
        let result = wait();
        *self.waiting_on.lock() = None;
        (result, self.is_stopped())
    }
}

/// Transfers running now, against [`MAX_TRANSFERS`].
#[derive(Default)]
pub struct Workers {
    running: AtomicUsize,
}

impl Workers {
    /// Runs `transfer` on a new thread for connection `id` (whose socket is
    /// `control`); its replies reach the connection through `handle`.
    /// `Err`: no thread for it (too many transfers, or none could start).
    pub fn start(
        self: &Arc<Workers>,
        transfer: Box<Transfer>,
        handle: LoopHandle,
        id: ConnId,
        control: &Connection,
    ) -> io::Result<Arc<Running>> {
        if self.running.fetch_add(1, Ordering::AcqRel) >= MAX_TRANSFERS {
            self.running.fetch_sub(1, Ordering::AcqRel);
            return Err(io::Error::other("too many transfers at once"));
        }
        let running = Arc::new(Running::default());
        let side = OnWorker {
            handle,
            id,
            running: Arc::clone(&running),
            control: control.try_clone(),
        };
        let workers = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("ftpd-transfer".to_string())
            .spawn(move || {
                side.run(transfer);
                workers.running.fetch_sub(1, Ordering::AcqRel);
            });
        if let Err(err) = spawned {
            self.running.fetch_sub(1, Ordering::AcqRel);
            return Err(err);
        }
        Ok(running)
    }
}

/// The control connection as a transfer on a worker sees it.
struct OnWorker {
    handle: LoopHandle,
    id: ConnId,
    running: Arc<Running>,
    /// A duplicate of the control socket, only to peek at (never read).
    control: io::Result<Connection>,
}

impl OnWorker {
    /// Runs the transfer, then hands its ending to the loop with its reply.
    fn run(mut self, transfer: Box<Transfer>) {
        let ending = transfer.run(&mut self);
        let reply = ending.reply();
        let (running, id) = (self.running, self.id);
        self.handle.call_soon_threadsafe(move |conns| {
            // First the ending, then the reply: the protocol's `writable`,
            // called once the reply has gone out, finds the ending.
            *running.ended.lock() = Some(ending);
            conns.write_to(id, reply.as_bytes());
        });
    }
}

impl ControlSide for OnWorker {
    fn send_now(&mut self, text: &str) -> io::Result<()> {
        let (id, text) = (self.id, text.to_string());
        self.handle.call_soon_threadsafe(move |conns| {
            conns.write_to(id, text.as_bytes());
        });
        Ok(())
    }

    fn watching<T>(&mut self, socket: BorrowedFd<'_>, wait: impl FnOnce() -> T) -> (T, bool) {
        self.running.stop.watching(socket, wait)
    }

    fn client_stopped(&mut self) -> bool {
        // The flag is set once the loop has read the ABOR (or the end);
        // the peek sees what it has not read yet.
        self.running.stop.is_stopped() || self.control.as_ref().is_ok_and(client_wants_stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::os::fd::AsFd;
    use std::time::{Duration, Instant};

    #[test]
    fn stop_wakes_a_transfer_waiting_for_its_data_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stop = Arc::new(Stop::default());
        let (done, finished) = std::sync::mpsc::channel();
        let waiting = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut strangers = 0;
            let peer = "127.0.0.1".parse().unwrap();
            let (accepted, stopped) = waiting.watching(listener.as_fd(), || {
                super::super::passive::accept_from(
                    &listener,
                    peer,
                    Duration::from_secs(60),
                    &mut strangers,
                )
            });
            let _ = done.send((accepted.is_err(), stopped));
        });
        // Wait until the transfer waits on the listener, then stop it:
        // the shutdown, not the flag alone, must end the 60 s wait.
        let deadline = Instant::now() + Duration::from_secs(10);
        while stop.waiting_on.lock().is_none() {
            assert!(Instant::now() < deadline, "the transfer never waited");
            std::thread::yield_now();
        }
        stop.stop();
        let (failed, stopped) = finished
            .recv_timeout(Duration::from_secs(10))
            .expect("the wait ended at once");
        assert!(failed && stopped);
    }
}
