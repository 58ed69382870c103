//! The `chat-client` program: joins the UDP chat room, prints what arrives,
//! sends each line typed, leaves with `Q` on `quit`, end of input or Ctrl+C.
//!
//! The course's client forks: the child reads the keyboard, the parent
//! prints what arrives. Here three small threads (socket, keyboard, Ctrl+C)
//! feed one channel, and the main thread handles the events one at a time,
//! sending a heartbeat whenever it has been quiet for a while.

use std::ffi::OsString;
use std::io::{self, BufRead};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;

use super::DEFAULT_PORT;
use super::protocol::MAX_MESSAGE;
use crate::serving::positive_seconds;

/// Join the UDP chat room as NAME.
#[derive(Parser)]
#[command(name = "chat-client", version)]
struct Args {
    /// Send a heartbeat after this many quiet seconds (the server drops
    /// members silent for longer than its --timeout, 30 s by default).
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS", value_parser = positive_seconds)]
    heartbeat: f64,
    /// [ADDR] NAME: the server (HOST:PORT or PORT; default 127.0.0.1:8888) and your name.
    #[arg(required = true, num_args = 1..=2, value_names = ["ADDR", "NAME"])]
    words: Vec<String>,
}

/// How long to wait for the server to answer `L` or `Q` before trying again.
const ANSWER_WAIT: Duration = Duration::from_secs(1);
/// How many times `L` and `Q` are sent before giving up (UDP may lose them).
const ATTEMPTS: u32 = 3;

/// The whole `chat-client` program.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("chat-client: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Something the main loop reacts to.
enum Event {
    Datagram(Vec<u8>),
    SocketError(io::Error),
    Line(String),
    EndOfInput,
    Interrupt,
}

fn run(args: &Args) -> Result<(), String> {
    let (addr_text, name) = match args.words.as_slice() {
        [name] => (format!("127.0.0.1:{DEFAULT_PORT}"), name.clone()),
        [addr, name] => (addr.clone(), name.clone()),
        _ => unreachable!("clap allows one or two words"),
    };
    let server = resolve(&addr_text)?;
    let socket = connect(server).map_err(|e| format!("cannot open a socket: {e}"))?;
    let (events, inbox) = mpsc::channel();
    // Ctrl+C leaves politely (sends Q) instead of vanishing until the
    // server's timeout. Installed before joining, so that no Ctrl+C after
    // the "joined" line can kill the client without a Q.
    let interrupt = events.clone();
    let _ = ctrlc::set_handler(move || {
        let _ = interrupt.send(Event::Interrupt);
    });
    join(&socket, &name, server)?;
    println!("joined the chat room at {server} as {name}; type a line to talk, quit to leave");
    spawn_receiver(&socket, events.clone()).map_err(|e| e.to_string())?;
    spawn_keyboard(events).map_err(|e| e.to_string())?;

    let heartbeat = Duration::from_secs_f64(args.heartbeat);
    let mut last_sent = Instant::now();
    // Set once we sent Q: when we stop waiting for EXIT, and when we resend.
    let mut leaving: Option<(Instant, u32)> = None;
    loop {
        let wait = match leaving {
            Some((since, _)) => ANSWER_WAIT.saturating_sub(since.elapsed()),
            None => heartbeat.saturating_sub(last_sent.elapsed()),
        };
        let event = match inbox.recv_timeout(wait) {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) => {
                match leaving {
                    Some((_, attempt)) if attempt >= ATTEMPTS => {
                        return Err("left, but the server never confirmed (no EXIT)".into());
                    }
                    Some((_, attempt)) => {
                        send(&socket, &format!("Q {name}"))?;
                        leaving = Some((Instant::now(), attempt + 1));
                    }
                    None => send(&socket, &format!("H {name}"))?,
                }
                last_sent = Instant::now();
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        match event {
            Event::Datagram(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                match text.as_ref() {
                    "EXIT" => {
                        if leaving.is_none() {
                            println!("the server ended the session");
                        }
                        return Ok(());
                    }
                    _ => match text.strip_prefix("ERR ") {
                        Some(reason) => println!("error: {reason}"),
                        None => println!("{text}"),
                    },
                }
            }
            Event::SocketError(err) => return Err(socket_error(server, &err)),
            Event::Line(line) if line == "quit" => {
                if leaving.is_none() {
                    send(&socket, &format!("Q {name}"))?;
                    leaving = Some((Instant::now(), 1));
                }
            }
            Event::Line(line) if line.is_empty() || leaving.is_some() => {}
            Event::Line(line) => {
                send(&socket, &format!("C {name} {line}"))?;
                last_sent = Instant::now();
            }
            Event::EndOfInput | Event::Interrupt => {
                if leaving.is_none() {
                    send(&socket, &format!("Q {name}"))?;
                    leaving = Some((Instant::now(), 1));
                }
            }
        }
    }
}

/// `HOST:PORT`, or a bare port on 127.0.0.1.
fn resolve(text: &str) -> Result<SocketAddr, String> {
    let text = match text.parse::<u16>() {
        Ok(port) => format!("127.0.0.1:{port}"),
        Err(_) => text.to_string(),
    };
    text.to_socket_addrs()
        .map_err(|e| format!("bad server address {text:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("{text:?} resolves to no address"))
}

/// A UDP socket `connect`ed to the server: the kernel then delivers only the
/// server's datagrams to it, and reports "connection refused" when nothing
/// listens there. For a server on this host it binds loopback only, so
/// that nothing of the client is reachable from outside.
fn connect(server: SocketAddr) -> io::Result<UdpSocket> {
    let local: SocketAddr = match server {
        SocketAddr::V4(v4) if v4.ip().is_loopback() => "127.0.0.1:0".parse().expect("valid"),
        SocketAddr::V6(v6) if v6.ip().is_loopback() => "[::1]:0".parse().expect("valid"),
        SocketAddr::V4(_) => "0.0.0.0:0".parse().expect("valid"),
        SocketAddr::V6(_) => "[::]:0".parse().expect("valid"),
    };
    let socket = UdpSocket::bind(local)?;
    socket.connect(server)?;
    Ok(socket)
}

/// Sends `L name` until the server answers `OK` or refuses.
fn join(socket: &UdpSocket, name: &str, server: SocketAddr) -> Result<(), String> {
    socket
        .set_read_timeout(Some(ANSWER_WAIT))
        .map_err(|e| e.to_string())?;
    let mut buf = [0u8; MAX_MESSAGE + 1];
    for _ in 0..ATTEMPTS {
        send(socket, &format!("L {name}"))?;
        let deadline = Instant::now() + ANSWER_WAIT;
        while Instant::now() < deadline {
            match socket.recv(&mut buf) {
                Ok(n) => {
                    let reply = String::from_utf8_lossy(&buf[..n]);
                    if reply == "OK" {
                        socket.set_read_timeout(None).map_err(|e| e.to_string())?;
                        return Ok(());
                    }
                    if let Some(reason) = reply.strip_prefix("ERR ") {
                        return Err(format!("cannot join as {name:?}: {reason}"));
                    }
                    // Anything else (a late message from an earlier session): skip it.
                }
                Err(err) if is_timeout(&err) => break,
                Err(err) => return Err(socket_error(server, &err)),
            }
        }
    }
    Err(format!(
        "no answer from {server}; is chat-server running there?"
    ))
}

fn send(socket: &UdpSocket, text: &str) -> Result<(), String> {
    socket
        .send(text.as_bytes())
        .map(drop)
        .map_err(|e| format!("cannot send: {e}"))
}

fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn socket_error(server: SocketAddr, err: &io::Error) -> String {
    if err.kind() == io::ErrorKind::ConnectionRefused {
        format!("no chat server at {server} (connection refused)")
    } else {
        format!("receiving from {server}: {err}")
    }
}

/// Passes every datagram from the server to the main loop.
fn spawn_receiver(socket: &UdpSocket, events: Sender<Event>) -> io::Result<()> {
    let socket = socket.try_clone()?;
    thread::Builder::new()
        .name("receiver".into())
        .spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let event = match socket.recv(&mut buf) {
                    Ok(n) => Event::Datagram(buf[..n].to_vec()),
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Err(err) => Event::SocketError(err),
                };
                let failed = matches!(event, Event::SocketError(_));
                if events.send(event).is_err() || failed {
                    return;
                }
            }
        })?;
    Ok(())
}

/// Passes every line typed to the main loop, then `EndOfInput`.
fn spawn_keyboard(events: Sender<Event>) -> io::Result<()> {
    thread::Builder::new()
        .name("keyboard".into())
        .spawn(move || {
            let stdin = io::stdin();
            let mut input = stdin.lock();
            let mut line = Vec::new();
            loop {
                line.clear();
                match input.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let text = String::from_utf8_lossy(&line);
                let text = super::protocol::strip_newline(&text).to_string();
                if events.send(Event::Line(text)).is_err() {
                    return;
                }
            }
            let _ = events.send(Event::EndOfInput);
        })?;
    Ok(())
}
