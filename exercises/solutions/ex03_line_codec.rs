//! Exercise 03, a reference solution: a line framing codec.

use std::io;

/// The longest line accepted, in bytes, without its newline.
pub const MAX_LINE: usize = 1024;

/// Splits a byte stream into lines, across reads.
#[derive(Debug, Default)]
pub struct LineCodec {
    /// Bytes received but not yet part of a complete line.
    buffer: Vec<u8>,
}

impl LineCodec {
    /// An empty codec.
    pub fn new() -> LineCodec {
        LineCodec::default()
    }

    /// Takes the bytes of one read and returns every line they complete.
    pub fn decode(&mut self, chunk: &[u8]) -> io::Result<Vec<String>> {
        self.buffer.extend_from_slice(chunk);
        let mut lines = Vec::new();
        while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
            line.pop(); // the '\n'
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.len() > MAX_LINE {
                return Err(too_long());
            }
            let text = String::from_utf8(line)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a line is not UTF-8"))?;
            lines.push(text);
        }
        // What is left has no newline yet. If it is already too long, the
        // peer is not sending lines: stop before the buffer eats memory.
        if self.buffer.len() > MAX_LINE {
            return Err(too_long());
        }
        Ok(lines)
    }
}

fn too_long() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("a line is longer than {MAX_LINE} bytes"),
    )
}

/// One line as bytes on the wire: the text and `\n`.
pub fn encode(line: &str) -> io::Result<Vec<u8>> {
    if line.contains('\n') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a line cannot contain a newline",
        ));
    }
    Ok(format!("{line}\n").into_bytes())
}
