//! Exercise 03: a line framing codec (粘包 / sticky packets).   (lesson 04)
//!
//! TCP delivers a stream of bytes, not messages: one `read()` may return
//! half a line, or two lines and the start of a third. A codec turns the
//! chunks back into messages. Here a message is a line ending in `\n`
//! (a `\r` before it is dropped too).
//!
//! ```text
//! decode("hel")        -> []                 (kept until the rest arrives)
//! decode("lo\nwor")    -> ["hello"]
//! decode("ld\n")       -> ["world"]
//! decode("a\nb\n")     -> ["a", "b"]
//! ```
//!
//! A peer that never sends `\n` must not make the buffer grow forever:
//! once MAX_LINE bytes wait without a newline, decode returns an error.
//! `encode` is the other direction: a line to bytes, refusing a line that
//! contains `\n` (it would arrive as two messages).
//!
//! Check it with `cargo exercise 03`; stuck? `cargo hint 03`.

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
        // TODO: this treats every chunk as whole lines: a line split across
        // two reads comes out as two lines. Keep the unfinished part in
        // self.buffer, drop "\r" before "\n", and fail on a line longer than
        // MAX_LINE.
        let _ = &mut self.buffer;
        Ok(String::from_utf8_lossy(chunk)
            .lines()
            .map(str::to_string)
            .collect())
    }
}

/// One line as bytes on the wire: the text and `\n`.
pub fn encode(line: &str) -> io::Result<Vec<u8>> {
    // TODO: refuse a line containing '\n' (io::ErrorKind::InvalidInput).
    Ok(format!("{line}\n").into_bytes())
}
