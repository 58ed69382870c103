//! The course's select homework (select 作业): one server that watches, at
//! the same time, the listening socket (new clients), every client (their
//! messages) and the terminal (standard input), and appends every line it
//! receives to a file.
//!
//! ```text
//! select-homework --file PATH [--bind ADDR] [PORT]
//! ```
//!
//! Standard input is read with a raw `read(2)` on fd 0, not through Rust's
//! buffered `Stdin`: a buffer could hold lines that `select` cannot see,
//! and the loop would wait for the terminal while its lines sit in memory.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::PathBuf;
use std::process::ExitCode;

use super::select;
use clap::Parser;

/// Watch clients and the terminal with select; append every line to a file.
#[derive(Parser)]
#[command(name = "select-homework", version)]
struct Args {
    /// The file every line is appended to.
    #[arg(long)]
    file: PathBuf,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Port to listen on (0 picks a free one).
    #[arg(default_value_t = 9999)]
    port: u16,
}

/// The whole `select-homework` program; serves until killed (Ctrl+C).
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("select-homework: {err}");
            ExitCode::FAILURE
        }
    }
}

/// A source of lines: bytes arrive in pieces, lines leave whole.
struct Source {
    name: String,
    pending: Vec<u8>,
}

impl Source {
    fn new(name: String) -> Source {
        Source {
            name,
            pending: Vec::new(),
        }
    }

    /// Adds bytes; returns every line completed by them.
    fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut lines = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            lines.push(String::from_utf8_lossy(&line).trim_end().to_string());
        }
        lines
    }

    /// At the end of input, a last line without a newline still counts.
    fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        (!rest.is_empty()).then(|| String::from_utf8_lossy(&rest).trim_end().to_string())
    }
}

fn run(args: &Args) -> io::Result<()> {
    let listener = TcpListener::bind((args.bind.as_str(), args.port))?;
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&args.file)?;
    crate::serving::announce(
        "the select homework (clients + terminal -> file)",
        &listener.local_addr()?.into(),
    );
    say(&format!("appending every line to {}", args.file.display()));

    let stdin_fd: RawFd = io::stdin().as_raw_fd();
    let mut terminal = Some(Source::new("terminal".to_string()));
    let mut clients: HashMap<RawFd, (TcpStream, SocketAddr, Source)> = HashMap::new();

    loop {
        let ready = {
            let stdin = io::stdin();
            let terminal_fd = terminal.is_some().then(|| stdin.as_fd());
            let client_fds = clients.values().map(|(stream, _, _)| stream.as_fd());
            let fds = std::iter::once(listener.as_fd())
                .chain(terminal_fd)
                .chain(client_fds);
            select::readable(fds)?
        };
        for fd in ready {
            if fd == listener.as_raw_fd() {
                // One failed accept (the client gave up) ends nobody else.
                let (stream, addr) = match listener.accept() {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        say(&format!("accept failed: {err}"));
                        continue;
                    }
                };
                say(&format!("new client {addr}"));
                clients.insert(
                    stream.as_raw_fd(),
                    (stream, addr, Source::new(addr.to_string())),
                );
            } else if fd == stdin_fd {
                let mut buf = [0u8; 4096];
                let n = nix::unistd::read(io::stdin(), &mut buf)?;
                let source = terminal.as_mut().expect("stdin is watched only while open");
                let mut lines = source.push(&buf[..n]);
                if n == 0 {
                    lines.extend(source.finish());
                }
                for line in lines {
                    append(&mut log, &source.name, &line)?;
                }
                if n == 0 {
                    say("the terminal closed (end of input); still serving the clients");
                    terminal = None;
                }
            } else if let Some((stream, addr, source)) = clients.get_mut(&fd) {
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let mut lines = source.push(&buf[..n]);
                if n == 0 {
                    lines.extend(source.finish());
                }
                for line in lines {
                    append(&mut log, &source.name, &line)?;
                    // A short acknowledgement, so a client knows its line is stored.
                    let _ = stream.write_all(b"saved\n");
                }
                if n == 0 {
                    say(&format!("client {addr} left"));
                    clients.remove(&fd);
                }
            }
        }
    }
}

/// Appends `[source] line` to the file, one `write` per line, and reports it.
fn append(log: &mut File, source: &str, line: &str) -> io::Result<()> {
    let record = format!("[{source}] {line}\n");
    // One write_all of one small buffer on an O_APPEND file: the line lands
    // whole at the end even if another program appends to the same file.
    log.write_all(record.as_bytes())?;
    say(&format!("wrote {:?}", record.trim_end()));
    Ok(())
}

fn say(text: &str) {
    let _ = crate::serving::print_flushed(text);
}
