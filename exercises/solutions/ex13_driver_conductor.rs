//! Exercise 13, a reference solution: the driver and the conductor, each
//! taking its signals one by one with sigwait.

use std::io;

use nix::sys::signal::{SigSet, Signal, kill};
use nix::sys::wait::waitpid;
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
    signals().thread_block()?;
    // SAFETY: this process has one thread, so the child gets a consistent copy.
    match unsafe { fork() }? {
        ForkResult::Child => {
            let code = match conductor(getppid()) {
                Ok(()) => 0,
                Err(_) => 1,
            };
            // SAFETY: _exit ends the child at once, without the parent's clean-up.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => driver(child),
    }
}

/// The conductor, in the child process. Returns when it gets off.
fn conductor(driver: Pid) -> io::Result<()> {
    loop {
        match signals().wait()? {
            Signal::SIGINT => kill(driver, Signal::SIGUSR1)?,
            Signal::SIGQUIT => kill(driver, Signal::SIGUSR2)?,
            Signal::SIGUSR1 => {
                println!("到站了请下车");
                return Ok(());
            }
            _ => {}
        }
    }
}

/// The driver, in the parent process. Returns when the conductor got off.
fn driver(conductor: Pid) -> io::Result<()> {
    println!(
        "driver {} and conductor {conductor} are on the bus",
        getpid()
    );
    loop {
        match signals().wait()? {
            Signal::SIGUSR1 => println!("老司机开车了"),
            Signal::SIGUSR2 => println!("车速有点快，系好安全带"),
            Signal::SIGTSTP => kill(conductor, Signal::SIGUSR1)?,
            Signal::SIGCHLD => {
                // The only child: reaping it leaves no zombie behind.
                waitpid(conductor, None)?;
                println!("司机下车");
                return Ok(());
            }
            _ => {}
        }
    }
}
