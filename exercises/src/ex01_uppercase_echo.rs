//! Exercise 01: an uppercase echo handler.             (lesson 02)
//!
//! A client sends lines; the server answers each line with the same line in
//! capitals, newline included, until the client closes the connection:
//!
//! ```text
//! C: hello\n          S: HELLO\n
//! C: Two Words\n      S: TWO WORDS\n
//! ```
//!
//! Check it with `cargo exercise 01` (or `just exercise 01`); stuck? `cargo hint 01`.
//! The check runs your handler on a ThreadingTcpServer on 127.0.0.1:0.

use std::io::{self, BufRead, Write};

use framework::{RequestHandler, StreamRequest};

/// Answers every line in capitals.
pub struct UppercaseEcho;

impl RequestHandler<StreamRequest> for UppercaseEcho {
    fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        let mut line = String::new();
        // TODO: answer EVERY line in capitals, until the client closes the
        // connection. This version answers only the first line, unchanged.
        req.rfile.read_line(&mut line)?;
        req.wfile.write_all(line.as_bytes())?;
        Ok(())
    }
}
