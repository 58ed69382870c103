//! Trace lines that say where they were printed: which thread, which process.

use std::io::Write;
use std::sync::OnceLock;
use std::thread;

static SERVER_PID: OnceLock<u32> = OnceLock::new();

/// Records the server's pid, so that a forked child can tell it is a child.
pub fn remember_server_pid() {
    let _ = SERVER_PID.set(std::process::id());
}

/// `thread main, pid 4200 (the server)` or `thread main, pid 4242 (a child of 4200)`.
pub fn where_am_i() -> String {
    let pid = std::process::id();
    let thread = thread::current();
    let name = thread.name().unwrap_or("(unnamed)");
    let whose = match SERVER_PID.get() {
        Some(&server) if server == pid => "the server process".to_string(),
        Some(&server) => format!("a CHILD process of {server}"),
        None => "?".to_string(),
    };
    format!("thread {name}, pid {pid}, {whose}")
}

/// Prints one trace line, indented by `depth`, in one write (threads and
/// forked children share this stdout; a line must not be cut in two).
pub fn trace(depth: usize, text: &str) {
    let line = format!("{}{text}\n", "  ".repeat(depth));
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes());
    let _ = out.flush();
}
