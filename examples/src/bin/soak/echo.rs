//! echo-server's load: a line of 7 to 206 bytes echoed back exactly (one in
//! six half-closed after it); faults: half a line then gone, 256 KiB of
//! lines never read back, 200,000 bytes without a newline.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::path::Path;
use std::time::Duration;

use crate::load::{self, Outcome, Target};
use crate::net::{connect, context};

/// echo-server.
pub struct Echo;

impl Target for Echo {
    fn name(&self) -> &'static str {
        "echo"
    }

    fn program(&self) -> &'static str {
        "echo-server"
    }

    fn models(&self) -> &'static [&'static str] {
        &["threading", "sequential", "forking", "pool", "poll"]
    }

    fn prepare(&self, _dir: &Path) -> std::io::Result<()> {
        Ok(())
    }

    fn server_args(&self, _dir: &Path) -> Vec<String> {
        Vec::new()
    }

    fn exchange(&self, port: u16, _dir: &Path, n: u64) -> Outcome {
        match n % 10 {
            k @ 0..=5 => load::checked(echoed(port, n, k == 5)),
            6 => load::fault(half_a_line(port)),
            7 => load::fault(never_reads(port)),
            _ => load::fault(endless_line(port)),
        }
    }
}

/// One line, echoed back byte for byte.
fn echoed(port: u16, n: u64, half_close: bool) -> Result<(), String> {
    let mut stream = connect(port).map_err(context("connect"))?;
    let line = format!("line {n} {}\n", "e".repeat((n % 200) as usize));
    stream
        .write_all(line.as_bytes())
        .map_err(context("send a line"))?;
    if half_close {
        stream
            .shutdown(Shutdown::Write)
            .map_err(context("shutdown"))?;
    }
    let mut answer = vec![0; line.len()];
    stream
        .read_exact(&mut answer)
        .map_err(context("read the echo"))?;
    if answer == line.as_bytes() {
        Ok(())
    } else {
        Err(format!(
            "echo: sent {line:?}, got {:?}",
            String::from_utf8_lossy(&answer)
        ))
    }
}

fn half_a_line(port: u16) -> Result<Option<String>, std::io::Error> {
    connect(port)?.write_all(b"half a li")?;
    Ok(None)
}

/// 256 KiB of lines, never read: the server's writes fill up.
fn never_reads(port: u16) -> Result<Option<String>, std::io::Error> {
    let stream = connect(port)?;
    stream.set_nonblocking(true)?;
    let lines = "x".repeat(1023) + "\n";
    for _ in 0..256 {
        if (&stream).write_all(lines.as_bytes()).is_err() {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(20));
    Ok(None)
}

fn endless_line(port: u16) -> Result<Option<String>, std::io::Error> {
    let stream = connect(port)?;
    stream.set_nonblocking(true)?;
    let _ = (&stream).write_all(&[b'y'; 200_000]);
    Ok(None)
}
