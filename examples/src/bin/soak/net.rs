//! Client-side helpers shared by the load generators.

use std::io::{self, BufRead, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// How long a client waits for any answer before it counts an error.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to the server on `port`, with read and write timeouts.
pub fn connect(port: u16) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Closes `stream` with a reset (RST) instead of an orderly FIN, as a
/// crashed client or a dropped network path would.
pub fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

/// One line, at most `limit` bytes, without its `\n` (and `\r`); an error
/// if the connection ends first.
pub fn read_line(reader: &mut impl BufRead, limit: u64) -> io::Result<String> {
    let mut line = Vec::new();
    reader.take(limit).read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        let what = if line.is_empty() {
            "the connection ended".to_string()
        } else {
            format!("an unfinished line {:?}", String::from_utf8_lossy(&line))
        };
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, what));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// A slow reader: `chunk` bytes every `pause`, for `during`, then it
/// stops reading (the caller hangs up).
pub fn read_slowly(stream: &mut impl Read, chunk: usize, pause: Duration, during: Duration) {
    let end = Instant::now() + during;
    let mut buffer = vec![0; chunk];
    while Instant::now() < end {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(_) => std::thread::sleep(pause),
        }
    }
}

/// An error's text with what was being done: `"RETR big.bin: timed out"`.
pub fn context(what: impl std::fmt::Display) -> impl FnOnce(io::Error) -> String {
    move |err| format!("{what}: {err}")
}
