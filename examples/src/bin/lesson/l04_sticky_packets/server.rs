//! `sticky-server MODE PORT`: a TCP server that shows how the bytes of a
//! connection reach `recv()`, with one of four ways of reading them:
//!
//! - `raw`: plain `recv(1024)` calls, printed as they return (the problem);
//! - `count`: how many `recv()` calls one large message takes (the problem);
//! - `length`: length-prefixed frames (the fix);
//! - `lines`: newline-terminated messages (the fix).
//!
//! In `raw`, `length` and `lines` the server is "busy" after `accept()`: it
//! reads nothing until a line arrives on its standard input. The lesson uses
//! that to let the client's sends pile up first, as they do on a loaded server.

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;

use socket2::{Domain, Socket, Type};

use super::framing::read_frame;

/// The server's receive buffer in `count` mode, small so the lesson's
/// large message cannot possibly arrive in one piece.
const SMALL_RECEIVE_BUFFER: usize = 32 * 1024;

/// Runs the server: `args` are the program name, the mode and the port.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("raw");
    let port: u16 = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(0);
    if !["raw", "count", "length", "lines"].contains(&mode) {
        eprintln!("sticky-server: unknown mode {mode:?} (raw, count, length, lines)");
        return ExitCode::from(2);
    }
    match serve(mode, port) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sticky-server: {err}");
            ExitCode::FAILURE
        }
    }
}

fn serve(mode: &str, port: u16) -> io::Result<()> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    if mode == "count" {
        // Set on the listening socket, so every accepted connection has it.
        socket.set_recv_buffer_size(SMALL_RECEIVE_BUFFER)?;
    }
    socket.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into())?;
    socket.listen(5)?;
    let listener: TcpListener = socket.into();
    let local = listener.local_addr()?;
    println!(
        "Serving sticky-packet demo ({mode}) on {} port {} ...",
        local.ip(),
        local.port()
    );
    let mut stdin = io::stdin().lock();
    loop {
        let (connection, peer) = listener.accept()?;
        println!("accept() -> client {peer}");
        if mode != "count" {
            println!("busy: not reading yet, the client's sends pile up in the kernel");
            let mut go = String::new();
            stdin.read_line(&mut go)?;
        }
        let result = match mode {
            "raw" => read_raw(connection),
            "count" => count_pieces(connection),
            "length" => read_length_prefixed(connection),
            _ => read_lines(connection),
        };
        if let Err(err) = result {
            println!("error: {err}");
        }
    }
}

/// The problem: recv() returns whatever has arrived, glued or cut.
fn read_raw(mut connection: TcpStream) -> io::Result<()> {
    let mut buffer = [0u8; 1024];
    loop {
        let n = connection.read(&mut buffer)?;
        if n == 0 {
            println!("recv(1024) -> 0 bytes: end of stream");
            return Ok(());
        }
        println!(
            "recv(1024) -> {n} bytes {:?}",
            String::from_utf8_lossy(&buffer[..n])
        );
    }
}

/// The problem, the other way round: one large send, many recv() calls.
fn count_pieces(mut connection: TcpStream) -> io::Result<()> {
    let socket = socket2::SockRef::from(&connection);
    println!(
        "my receive buffer (SO_RCVBUF) is {} bytes",
        socket.recv_buffer_size()?
    );
    // A buffer big enough for the whole message: if recv() returned whole
    // messages, one call would do.
    let mut buffer = vec![0u8; 2 * 1024 * 1024];
    let mut sizes = Vec::new();
    loop {
        let n = connection.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        sizes.push(n);
    }
    let total: usize = sizes.iter().sum();
    let first: Vec<String> = sizes.iter().take(5).map(|n| n.to_string()).collect();
    println!(
        "recv(2 MiB) returned {total} bytes in {} pieces: {}, ...",
        sizes.len(),
        first.join(", ")
    );
    Ok(())
}

/// The fix: every message carries its length in front.
fn read_length_prefixed(connection: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(connection);
    let mut count = 0;
    while let Some(message) = read_frame(&mut reader)? {
        count += 1;
        println!(
            "frame {count}: {} bytes {:?}",
            message.len(),
            String::from_utf8_lossy(&message)
        );
    }
    println!("end of stream after {count} frames");
    Ok(())
}

/// The fix for text protocols: every message ends with a newline.
fn read_lines(connection: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(connection);
    let mut count = 0;
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 {
        count += 1;
        if !line.ends_with('\n') {
            println!("line {count}: {line:?} has no newline: cut short by the end of stream");
        } else {
            println!("line {count}: {:?}", line.trim_end_matches('\n'));
        }
        line.clear();
    }
    println!("end of stream after {count} lines");
    Ok(())
}
