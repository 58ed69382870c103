//! Exercise 04: a poll() server: many clients, one thread.   (lesson 09)
//!
//! Write an uppercase line echo (like exercise 01) that serves MANY clients
//! at once from ONE thread, with `poll()` (IO multiplexing, IO多路复用):
//! no threads, no fork. The check connects several clients, keeps one idle
//! and expects the others to be answered anyway, and counts the threads of
//! your server process (it must be 1).
//!
//! Check it with `cargo exercise 04`; stuck? `cargo hint 04`.
//! The check runs `serve` in a process of its own, on a listener bound to
//! 127.0.0.1:0, and kills that process when it is done.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

/// Serves every client that connects to `listener`, forever.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    // TODO: this is a loop server (循环服务器): while it serves one client,
    // every other client waits. Rewrite it with nix::poll::poll over the
    // listener and all the clients, so that whoever sends a line is answered.
    for stream in listener.incoming() {
        // One client's error must not stop the server.
        let _ = serve_one(stream?);
    }
    Ok(())
}

/// Answers one client's lines until it leaves (blocking the others).
fn serve_one(stream: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 {
        writer.write_all(line.to_uppercase().as_bytes())?;
        line.clear();
    }
    Ok(())
}
