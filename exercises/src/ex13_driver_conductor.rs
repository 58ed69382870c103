//! Exercise 13: the driver and the conductor (司机和售票员).   (lesson 13)
//!
//! The course's homework on signals. The parent process is the driver, the
//! child the conductor. Each key on the terminal sends a signal to BOTH
//! processes (the whole foreground group, as a real terminal does):
//!
//! ```text
//! Ctrl+C  SIGINT   the driver ignores it; the conductor sends SIGUSR1 to the driver,
//!                  who prints  老司机开车了            (off we go)
//! Ctrl+\  SIGQUIT  the driver ignores it; the conductor sends SIGUSR2 to the driver,
//!                  who prints  车速有点快，系好安全带   (a bit fast, fasten your seat belts)
//! Ctrl+Z  SIGTSTP  the conductor ignores it; the driver sends SIGUSR1 to the conductor,
//!                  who prints  到站了请下车            (we have arrived, please get off)
//!                  and exits: the conductor gets off first.
//!         SIGCHLD  the driver reaps the conductor (no zombie), prints 司机下车 and exits.
//! ```
//!
//! The signals are blocked before the fork and taken one by one with
//! `SigSet::wait()` (sigwait): no handler runs in the middle of your code,
//! so a plain `println!` is safe, and a signal sent early waits, pending,
//! until its process asks for it.
//!
//! Check it with `cargo exercise 13`; stuck? `cargo hint 13`. The check runs
//! `ride` in a process of its own and sends the signals itself.

use std::io;

use nix::sys::signal::{SigSet, Signal};
use nix::unistd::{ForkResult, Pid, fork, getpid, getppid};

/// The signals the two processes take with `wait()`.
fn signals() -> SigSet {
    let mut set = SigSet::empty();
    for signal in [
        Signal::SIGINT,
        Signal::SIGQUIT,
        Signal::SIGTSTP,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGCHLD,
    ] {
        set.add(signal);
    }
    set
}

/// Starts the ride: forks the conductor, then drives until both got off.
pub fn ride() -> io::Result<()> {
    // Blocked before the fork, so the child is born with them blocked too:
    // a key pressed at once stays pending instead of killing anyone.
    signals().thread_block()?;
    // SAFETY: this process has one thread, so the child gets a consistent copy.
    match unsafe { fork() }? {
        ForkResult::Child => {
            let code = match conductor(getppid()) {
                Ok(()) => 0,
                Err(_) => 1,
            };
            // SAFETY: _exit ends the child at once; it must not run the
            // parent's clean-up (it is a copy of the parent).
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => driver(child),
    }
}

/// The conductor, in the child process. Returns when it gets off.
fn conductor(driver: Pid) -> io::Result<()> {
    loop {
        let signal = signals().wait()?;
        // TODO: SIGINT: send SIGUSR1 to the driver (nix::sys::signal::kill).
        // SIGQUIT: send SIGUSR2 to the driver. SIGUSR1 (from the driver):
        // print "到站了请下车" and return. Ignore the others (SIGTSTP...).
        let _ = (signal, driver);
    }
}

/// The driver, in the parent process. Returns when the conductor got off.
fn driver(conductor: Pid) -> io::Result<()> {
    println!(
        "driver {} and conductor {conductor} are on the bus",
        getpid()
    );
    loop {
        let signal = signals().wait()?;
        // TODO: SIGUSR1: print "老司机开车了". SIGUSR2: print
        // "车速有点快，系好安全带". SIGTSTP: send SIGUSR1 to the conductor.
        // SIGCHLD: the conductor got off: reap it (nix::sys::wait::waitpid),
        // print "司机下车" and return. Ignore the others (SIGINT, SIGQUIT).
        let _ = (signal, conductor);
    }
}
