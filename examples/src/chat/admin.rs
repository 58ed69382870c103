//! The administrator: lines typed at the server's terminal reach every
//! member as `admin: <text>` (the course's 管理员消息).
//!
//! The course forks a child that loops on `input()` and sends `C 管理员 ...`
//! to the server's own address. Here a thread reads standard input and hands
//! each line to the room directly; the name `admin` is reserved, so no member
//! can pretend to be the administrator.

use std::io::{self, BufRead};
use std::thread;

use super::protocol::{self, MAX_MESSAGE};

/// Starts a thread that reads lines from standard input and calls `say` with
/// each non-empty, valid one. At end of input the thread ends quietly (a
/// server started with `</dev/null` simply has no administrator).
pub fn spawn_terminal_reader(say: impl Fn(&str) + Send + 'static) -> io::Result<()> {
    thread::Builder::new()
        .name("admin-terminal".into())
        .spawn(move || {
            let mut line = Vec::new();
            let stdin = io::stdin();
            let mut input = stdin.lock();
            loop {
                line.clear();
                // Bytes, not read_line: one line of bad UTF-8 must not end the thread.
                match input.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let Ok(text) = std::str::from_utf8(&line) else {
                    eprintln!("admin: not UTF-8 text; not sent");
                    continue;
                };
                let text = protocol::strip_newline(text);
                if text.is_empty() {
                    continue;
                }
                if text.len() > MAX_MESSAGE {
                    eprintln!("admin: line too long (limit {MAX_MESSAGE} bytes); not sent");
                } else if let Err(refusal) = protocol::check_text(text) {
                    eprintln!("admin: {refusal}; not sent");
                } else {
                    say(text);
                }
            }
        })?;
    Ok(())
}
