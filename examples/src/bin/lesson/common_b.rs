//! Small helpers shared by lessons 09–16: clients that print what they do,
//! and waiting on a condition with a deadline instead of sleeping and hoping.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A line-oriented TCP client whose every step is printed as `[label] ...`.
pub struct Client {
    label: String,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    /// Connects to `127.0.0.1:port`; replies must arrive within 5 s.
    pub fn connect(label: &str, port: u16) -> io::Result<Client> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        println!("[{label}] connected from {}", stream.local_addr()?);
        Ok(Client {
            label: label.to_string(),
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// Sends one line (a newline is added).
    pub fn send(&mut self, line: &str) -> io::Result<()> {
        println!("[{}] sends {line:?}", self.label);
        self.writer.write_all(format!("{line}\n").as_bytes())
    }

    /// Reads one line and prints it.
    pub fn recv(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed",
            ));
        }
        let line = line.trim_end().to_string();
        println!("[{}] got   {line:?}", self.label);
        Ok(line)
    }
}

/// Polls `check` every 10 ms until it returns `Some`, for at most `deadline`.
pub fn wait_until<T>(deadline: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + deadline;
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Turns "a line did not appear in time" into a lesson error.
pub fn expect_line(found: Option<String>, what: &str) -> Result<String, String> {
    found.ok_or_else(|| format!("timed out waiting for {what}"))
}
