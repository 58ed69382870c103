//! plain-echo: the echo server written with the standard library alone, a
//! thread per connection, no framework. It is the reference the echo
//! benchmark measures the framework against ("the framework costs nothing"),
//! and the "before" picture of what `ThreadingTcpServer` does for you.
//!
//! ```text
//! plain-echo [--bind ADDR] [PORT]      (defaults: 127.0.0.1, 9999)
//! ```

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;

use clap::Parser;

use crate::serving;

/// Echo each line back, a thread per connection, standard library only.
#[derive(Parser)]
#[command(name = "plain-echo", version)]
struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Port (0 picks a free one).
    #[arg(default_value_t = 9999)]
    port: u16,
}

/// The whole `plain-echo` program (the first argument is the program name).
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    match serve((args.bind.as_str(), args.port)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("plain-echo: {err}");
            ExitCode::FAILURE
        }
    }
}

fn serve(address: (&str, u16)) -> io::Result<()> {
    let listener = TcpListener::bind(address)?;
    let local: SocketAddr = listener.local_addr()?;
    serving::announce("plain std echo, threading", &local.into());
    // Blocking accept; Ctrl+C simply ends the process.
    for stream in listener.incoming() {
        // An accept error (a client that gave up) ends no one but itself.
        let Ok(stream) = stream else { continue };
        thread::spawn(move || {
            let _ = echo_lines(&stream);
        });
    }
    Ok(())
}

/// Reads lines and writes each back until the client closes.
fn echo_lines(stream: &TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut writer = stream;
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line)? > 0 {
        writer.write_all(&line)?;
        line.clear();
    }
    Ok(())
}
