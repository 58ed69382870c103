//! Framing a member's bytes into lines, one at a time.
//!
//! TCP is a byte stream (lesson 04): one read may hold half a line or
//! many. The room takes lines out of a member's input **one at a time**,
//! because after any line it may have to stop (the talker is paused while
//! someone's queue is too long, see `tcp_room.rs`); the rest of the input
//! then waits here, and nothing more is read from that socket meanwhile.

use super::protocol::{self, MAX_MESSAGE};

/// One line a member sent.
#[derive(Debug, PartialEq, Eq)]
pub enum Input {
    /// A line of text, without its `\n` or `\r\n`.
    Text(String),
    /// Longer than [`MAX_MESSAGE`] bytes (its bytes are skipped).
    TooLong,
    /// Not UTF-8.
    NotUtf8,
}

/// The bytes a member sent and the room has not taken yet.
#[derive(Debug, Default)]
pub struct InputBuffer {
    bytes: Vec<u8>,
    /// Where the next line starts in `bytes`.
    start: usize,
    /// A line was too long: its bytes are dropped up to its `\n`.
    skipping: bool,
}

/// A line and its newline may take this many bytes (`\r\n`).
const LIMIT: usize = MAX_MESSAGE + 2;

impl InputBuffer {
    /// Adds what one read returned.
    pub fn extend(&mut self, data: &[u8]) {
        if self.start > 0 {
            // Only now, not after every line: one move per read, not per line.
            self.bytes.drain(..self.start);
            self.start = 0;
        }
        self.bytes.extend_from_slice(data);
    }

    /// The next whole line, if one has arrived. A line over the limit is
    /// reported once, as soon as the limit is passed, and the rest of it is
    /// skipped whenever it comes, so memory stays bounded.
    pub fn next_line(&mut self) -> Option<Input> {
        loop {
            let rest = &self.bytes[self.start..];
            let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                if self.skipping {
                    self.start = self.bytes.len();
                } else if rest.len() >= LIMIT {
                    self.start = self.bytes.len();
                    self.skipping = true;
                    return Some(Input::TooLong);
                }
                return None;
            };
            let line = &rest[..=end];
            self.start += end + 1;
            if std::mem::take(&mut self.skipping) {
                continue; // the end of a line already refused
            }
            return Some(parse(line));
        }
    }

    /// At the end of the stream: the last line, if it had no `\n`.
    pub fn last_line(&mut self) -> Option<Input> {
        let rest = &self.bytes[self.start..];
        let last = (!rest.is_empty() && !self.skipping).then(|| parse(rest));
        self.start = self.bytes.len();
        last
    }
}

/// A line (with or without its newline) as the room sees it.
fn parse(line: &[u8]) -> Input {
    if line.len() > LIMIT {
        return Input::TooLong;
    }
    let Ok(text) = std::str::from_utf8(line) else {
        return Input::NotUtf8;
    };
    let text = protocol::strip_newline(text);
    if text.len() > MAX_MESSAGE {
        return Input::TooLong;
    }
    Input::Text(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Option<Input> {
        Some(Input::Text(s.to_string()))
    }

    #[test]
    fn lines_come_out_one_at_a_time_whatever_the_reads() {
        let mut input = InputBuffer::default();
        input.extend(b"hel");
        assert_eq!(input.next_line(), None);
        input.extend(b"lo\r\nsecond\nthi");
        assert_eq!(input.next_line(), text("hello"));
        assert_eq!(input.next_line(), text("second"));
        assert_eq!(input.next_line(), None);
        input.extend(b"rd\n");
        assert_eq!(input.next_line(), text("third"));
        input.extend(b"last");
        assert_eq!(input.last_line(), text("last"));
        assert_eq!(input.last_line(), None);
    }

    #[test]
    fn long_lines_are_refused_once_and_skipped() {
        let mut input = InputBuffer::default();
        let at_limit = "y".repeat(MAX_MESSAGE);
        input.extend(format!("{at_limit}\r\n").as_bytes());
        assert_eq!(input.next_line(), text(&at_limit));
        input.extend(format!("{}\nafter\n", "z".repeat(MAX_MESSAGE + 1)).as_bytes());
        assert_eq!(input.next_line(), Some(Input::TooLong));
        assert_eq!(input.next_line(), text("after"));
        // 5000 bytes in three reads: one refusal, nothing kept.
        input.extend(&[b'x'; 2000]);
        assert_eq!(input.next_line(), Some(Input::TooLong));
        input.extend(&[b'x'; 2000]);
        assert_eq!(input.next_line(), None);
        input.extend(b"xx\nok\n");
        assert_eq!(input.next_line(), text("ok"));
        input.extend(&[0xff, 0xfe, b'\n']);
        assert_eq!(input.next_line(), Some(Input::NotUtf8));
    }
}
