//! The self-pipe trick: a signal handler may only call async-signal-safe
//! functions (no `println!`, no allocation, no locks), so ours writes the
//! signal's number as one byte into a pipe. The program's main loop reads
//! the pipe — with `poll`, beside its other work — and does the real work
//! there, in ordinary code.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

/// The pipe's write end, for the handler (a handler gets no arguments of ours).
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);

/// The signal handler: one `write(2)`, which is async-signal-safe.
extern "C" fn on_signal(signal: libc::c_int) {
    // write may change errno, and the interrupted code may be about to read it.
    let saved = Errno::last_raw();
    let byte = signal as u8;
    let fd = WRITE_FD.load(Ordering::Relaxed);
    // SAFETY: writes one byte from a valid local to an fd this process owns;
    // the write end is non-blocking, so a full pipe cannot hang the handler.
    unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
    Errno::set_raw(saved);
}

/// Signals delivered to this process, as bytes in a pipe.
pub struct SelfPipe {
    read: OwnedFd,
    // Kept open for the handler, which writes to it by number.
    _write: OwnedFd,
}

impl SelfPipe {
    /// Creates the pipe and routes `signals` to it. One per process: call
    /// it again in a forked child, which must not share its parent's pipe.
    pub fn install(signals: &[Signal]) -> io::Result<SelfPipe> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
        WRITE_FD.store(write.as_raw_fd(), Ordering::Relaxed);
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            // SA_RESTART: a blocking call interrupted by the signal is
            // restarted instead of failing with EINTR.
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        for &signal in signals {
            // SAFETY: the handler only calls async-signal-safe functions.
            unsafe { sigaction(signal, &action) }?;
        }
        Ok(SelfPipe {
            read,
            _write: write,
        })
    }

    /// Waits up to `timeout` for the next signal.
    pub fn next(&self, timeout: Duration) -> io::Result<Option<Signal>> {
        let mut fds = [PollFd::new(self.read.as_fd(), PollFlags::POLLIN)];
        let millis = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
        loop {
            match poll(&mut fds, PollTimeout::from(millis)) {
                Ok(0) => return Ok(None),
                Ok(_) => break,
                Err(Errno::EINTR) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        let mut byte = [0u8; 1];
        match nix::unistd::read(&self.read, &mut byte) {
            Ok(1) => Ok(Signal::try_from(i32::from(byte[0])).ok()),
            Ok(_) | Err(Errno::EAGAIN) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }
}
