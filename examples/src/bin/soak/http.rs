//! http-server's load: `GET /hello.txt` checked byte for byte (one in six
//! half-closed after the request); faults: a request cut short, a slow
//! reader of a 4 MiB file who hangs up, a 70,000-byte request line.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::path::Path;
use std::time::Duration;

use crate::load::{self, Outcome, Target};
use crate::net::{connect, context};

/// http-server.
pub struct Http;

impl Target for Http {
    fn name(&self) -> &'static str {
        "http"
    }

    fn program(&self) -> &'static str {
        "http-server"
    }

    fn models(&self) -> &'static [&'static str] {
        &["poll", "threading", "forking", "sequential"]
    }

    fn prepare(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::write(dir.join("hello.txt"), [b'h'; 1024])?;
        std::fs::write(dir.join("big.bin"), vec![7u8; 4 << 20])
    }

    fn server_args(&self, dir: &Path) -> Vec<String> {
        vec!["-q".into(), "--directory".into(), dir.display().to_string()]
    }

    fn exchange(&self, port: u16, _dir: &Path, n: u64) -> Outcome {
        match n % 10 {
            k @ 0..=5 => load::checked(get_hello(port, k == 5)),
            6 => load::fault(cut_short(port)),
            7 => load::fault(slow_reader(port)),
            _ => load::fault(oversized(port)),
        }
    }
}

/// `GET /hello.txt`: a 200 with the file's 1024 bytes.
fn get_hello(port: u16, half_close: bool) -> Result<(), String> {
    let mut stream = connect(port).map_err(context("connect"))?;
    stream
        .write_all(b"GET /hello.txt HTTP/1.0\r\nHost: soak\r\n\r\n")
        .map_err(context("send GET"))?;
    if half_close {
        stream
            .shutdown(Shutdown::Write)
            .map_err(context("shutdown"))?;
    }
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(context("read the answer"))?;
    // The server answers as HTTP/1.1 (its protocol version), closing.
    let ok = answer.starts_with(b"HTTP/1.") && answer.get(8..13) == Some(b" 200 ");
    if ok && answer.ends_with(&[b'h'; 1024]) {
        Ok(())
    } else {
        let head = String::from_utf8_lossy(&answer[..answer.len().min(40)]).into_owned();
        Err(format!("GET /hello.txt: a wrong answer {head:?}"))
    }
}

/// A request line cut off, then the client is gone.
fn cut_short(port: u16) -> Result<Option<String>, std::io::Error> {
    connect(port)?.write_all(b"GET /hello.t")?;
    Ok(None)
}

/// Asks for 4 MiB, reads 1 KiB, waits, hangs up.
fn slow_reader(port: u16) -> Result<Option<String>, std::io::Error> {
    let mut stream = connect(port)?;
    stream.write_all(b"GET /big.bin HTTP/1.0\r\n\r\n")?;
    let mut some = [0; 1024];
    let _ = stream.read(&mut some)?;
    std::thread::sleep(Duration::from_millis(20));
    Ok(None)
}

/// A 70,000-byte request line: refused (the answer is read, not checked).
fn oversized(port: u16) -> Result<Option<String>, std::io::Error> {
    let mut stream = connect(port)?;
    let line = format!("GET /{} HTTP/1.0\r\n\r\n", "a".repeat(70_000));
    stream.write_all(line.as_bytes())?;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    Ok(None)
}
