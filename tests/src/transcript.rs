//! The transcript recorder: a scripted client that writes down every byte
//! it sends (`C:`) and receives (`S:`), for `insta` snapshots.
//!
//! Non-printing bytes are escaped (`\r`, `\n`, `\x00`), so a snapshot shows
//! exactly what crossed the wire. Each `C:`/`S:` line ends where a `\n`
//! was sent or received, which keeps line protocols readable.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long one expected reply may take before the script fails.
pub const REPLY_DEADLINE: Duration = Duration::from_secs(10);

/// A recorded exchange with a server over one TCP connection.
pub struct Transcript {
    stream: TcpStream,
    lines: Vec<String>,
    /// Strings replaced in the rendered text (ports, temporary paths).
    filters: Vec<(String, String)>,
}

impl Transcript {
    /// Connects to `addr` (e.g. `127.0.0.1:40123`); the port is filtered out
    /// of the rendered transcript as `<PORT>`.
    pub fn connect(addr: &str) -> io::Result<Transcript> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(REPLY_DEADLINE))?;
        let mut transcript = Transcript::from_stream(stream);
        if let Some(port) = addr.rsplit(':').next() {
            transcript.filter(port, "<PORT>");
        }
        Ok(transcript)
    }

    /// Records over an already connected stream.
    pub fn from_stream(stream: TcpStream) -> Transcript {
        Transcript {
            stream,
            lines: Vec::new(),
            filters: Vec::new(),
        }
    }

    /// Replaces `from` with `to` in the rendered transcript.
    pub fn filter(&mut self, from: &str, to: &str) {
        self.filters.push((from.to_string(), to.to_string()));
    }

    /// The connection, for socket options or direct use.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Sends bytes and records them as `C:` lines.
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.record("C", bytes);
        Ok(())
    }

    /// Reads until `delimiter` (included) and records it as `S:` lines.
    pub fn recv_until(&mut self, delimiter: u8) -> io::Result<Vec<u8>> {
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            match self.stream.read(&mut byte)? {
                0 => break,
                _ => {
                    got.push(byte[0]);
                    if byte[0] == delimiter {
                        break;
                    }
                }
            }
        }
        self.record("S", &got);
        Ok(got)
    }

    /// Reads one line (up to and including `\n`).
    pub fn recv_line(&mut self) -> io::Result<Vec<u8>> {
        self.recv_until(b'\n')
    }

    /// Reads exactly `n` bytes.
    pub fn recv_exact(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let mut got = vec![0u8; n];
        self.stream.read_exact(&mut got)?;
        self.record("S", &got);
        Ok(got)
    }

    /// Reads until the server closes the connection; records what came,
    /// if anything, then `S: <EOF>` (no empty `S:` line when nothing came).
    pub fn recv_to_end(&mut self) -> io::Result<Vec<u8>> {
        let mut got = Vec::new();
        self.stream.read_to_end(&mut got)?;
        if !got.is_empty() {
            self.record("S", &got);
        }
        self.lines.push("S: <EOF>".to_string());
        Ok(got)
    }

    /// Sends bytes too long to show, recorded as `C: <summary>`.
    pub fn send_summarized(&mut self, bytes: &[u8], summary: &str) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.lines.push(format!("C: <{summary}>"));
        Ok(())
    }

    /// Closes our sending half, recorded as `C: <EOF>`.
    pub fn shutdown_write(&mut self) -> io::Result<()> {
        self.stream.shutdown(std::net::Shutdown::Write)?;
        self.lines.push("C: <EOF>".to_string());
        Ok(())
    }

    /// Adds a free-text line (`# ...`) to explain a step.
    pub fn note(&mut self, text: &str) {
        self.lines.push(format!("# {text}"));
    }

    /// Records bytes sent or received by someone else (another client).
    pub fn record(&mut self, who: &str, bytes: &[u8]) {
        for line in split_lines(bytes) {
            self.lines.push(format!("{who}: {}", escape(line)));
        }
    }

    /// The transcript as text, with the filters applied.
    pub fn render(&self) -> String {
        let mut text = self.lines.join("\n");
        text.push('\n');
        for (from, to) in &self.filters {
            text = text.replace(from.as_str(), to);
        }
        text
    }
}

/// Splits after each `\n`, keeping it with its line.
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    if lines.is_empty() {
        lines.push(b"");
    }
    lines
}

/// Printable ASCII as is; `\r`, `\n`, `\t`, `\\` and every other byte escaped.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_bytes_and_keeps_text() {
        assert_eq!(escape(b"GET / HTTP/1.1\r\n"), "GET / HTTP/1.1\\r\\n");
        assert_eq!(escape(&[0, 0xff, b'a']), "\\x00\\xffa");
    }

    #[test]
    fn splits_after_newlines() {
        assert_eq!(split_lines(b"a\nb\n"), vec![&b"a\n"[..], &b"b\n"[..]]);
        assert_eq!(split_lines(b"a\nb"), vec![&b"a\n"[..], &b"b"[..]]);
        assert_eq!(split_lines(b""), vec![&b""[..]]);
    }
}
