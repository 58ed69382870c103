//! Exercise 01, a reference solution: an uppercase echo handler.

use std::io::{self, BufRead, Write};

use framework::{RequestHandler, StreamRequest};

/// Answers every line in capitals.
pub struct UppercaseEcho;

impl RequestHandler<StreamRequest> for UppercaseEcho {
    fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        let mut line = String::new();
        // read_line returns 0 at end of file: the client closed its side.
        while req.rfile.read_line(&mut line)? > 0 {
            req.wfile.write_all(line.to_uppercase().as_bytes())?;
            // read_line appends to the string: empty it for the next line.
            line.clear();
        }
        Ok(())
    }
}
