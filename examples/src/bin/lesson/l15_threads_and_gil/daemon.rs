//! `daemon-demo`: Python's daemon threads, in Rust.
//!
//! In Python the process waits for every non-daemon thread; a daemon
//! thread is killed when the main thread ends. In Rust, returning from
//! `main` ends the process: every thread you did not join behaves like a
//! daemon thread. To wait for a thread, join it (or use `thread::scope`).

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// The program: a joined worker, then a detached ("daemon") ticker.
pub fn main(_args: Vec<OsString>) -> ExitCode {
    let worker = thread::Builder::new()
        .name("worker".into())
        .spawn(|| {
            thread::sleep(Duration::from_millis(100));
            let me = thread::current();
            say(&format!("[{}] finished its job", me.name().unwrap_or("?")));
        })
        .expect("spawn");
    say(&format!(
        "[main] started thread {:?}; is_finished() = {}",
        worker.thread().name().unwrap_or("?"),
        worker.is_finished()
    ));
    worker.join().expect("no panic");
    say("[main] join() waited for it (a non-daemon thread in Python's terms)");

    thread::Builder::new()
        .name("ticker".into())
        .spawn(|| {
            for tick in 1.. {
                say(&format!("[ticker] tick {tick}"));
                thread::sleep(Duration::from_millis(100));
            }
        })
        .expect("spawn");
    thread::sleep(Duration::from_millis(250));
    say("[main] returning without joining the ticker: it dies with the process (daemon)");
    ExitCode::SUCCESS
}
