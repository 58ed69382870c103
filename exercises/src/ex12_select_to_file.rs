//! Exercise 12: the select homework: sockets and the terminal into one file.   (lesson 09)
//!
//! The course's homework (作业): "write a select server that watches, at the
//! same time, clients connecting, clients sending messages and the terminal's
//! input, and writes what the clients send and what is typed on the terminal
//! into one file, line by line".
//!
//! Every line goes into `log` as soon as it is complete, as:
//!
//! ```text
//! 127.0.0.1:53012: hello      (sent by a client: its address, ": ", the line)
//! terminal: good morning      (typed on the terminal: standard input)
//! ```
//!
//! ONE thread watches everything with `poll()` (select's successor, IO多路复用):
//! no thread and no child process per client. When the terminal is closed
//! (Ctrl+D: read() returns 0), stop watching it and go on serving clients.
//!
//! Check it with `cargo exercise 12`; stuck? `cargo hint 12`. The check runs
//! `serve` in a process of its own, types into its standard input and reads
//! the file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Stdin, Write};
use std::net::{TcpListener, TcpStream};

/// Writes every line from the clients of `listener` and from `terminal`
/// into `log`, forever.
pub fn serve(listener: TcpListener, terminal: Stdin, log: File) -> io::Result<()> {
    // TODO: this loop serves one client at a time and never reads the
    // terminal. Rewrite it with nix::poll::poll over the listener, the
    // terminal (`terminal.as_fd()`) and every client.
    let _ = terminal;
    for stream in listener.incoming() {
        // One client's error must not stop the server.
        let _ = log_client(stream?, &log);
    }
    Ok(())
}

/// Writes one client's lines into `log` until it leaves (the others wait).
fn log_client(stream: TcpStream, mut log: &File) -> io::Result<()> {
    let peer = stream.peer_addr()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 {
        writeln!(log, "{peer}: {}", line.trim_end())?;
        line.clear();
    }
    Ok(())
}
