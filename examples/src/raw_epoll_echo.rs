//! raw-epoll-echo: an echo server on `epoll` written by hand, no framework:
//! the physical reference the event-loop model is measured against ("how
//! fast can one thread on epoll echo at all?"), as `plain-echo` is for the
//! threading model.
//!
//! ```text
//! raw-epoll-echo [--bind ADDR] [PORT]      (defaults: 127.0.0.1, 9999)
//! ```
//!
//! It does the least an honest echo must: non-blocking sockets,
//! level-triggered `epoll`, one 64 KiB read buffer for everybody, bytes
//! echoed as they come (no line framing), and what a full socket refuses
//! kept and sent on `EPOLLOUT` (a client that never reads only costs its
//! own memory here: no limit, no timeouts, none of the framework's care).

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd};
use std::process::ExitCode;

use clap::Parser;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use socket2::{Domain, Socket, Type};

use crate::serving;

/// Echo every byte back from one thread on epoll, standard library and nix only.
#[derive(Parser)]
#[command(name = "raw-epoll-echo", version)]
struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Port (0 picks a free one).
    #[arg(default_value_t = 9999)]
    port: u16,
}

/// The whole `raw-epoll-echo` program (the first argument is the program name).
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    match serve((args.bind.as_str(), args.port)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("raw-epoll-echo: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The listener's token; clients use their descriptor number.
const LISTENER: u64 = u64::MAX;

/// A client and the bytes its socket has not taken yet.
struct Client {
    stream: TcpStream,
    unsent: Vec<u8>,
    /// `EPOLLOUT` is registered (only while bytes wait).
    watching_out: bool,
}

fn serve(address: (&str, u16)) -> io::Result<()> {
    let listener = listen(address)?;
    serving::announce("raw epoll echo", &listener.local_addr()?.into());
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
    epoll.add(&listener, EpollEvent::new(EpollFlags::EPOLLIN, LISTENER))?;
    let mut clients: HashMap<u64, Client> = HashMap::new();
    let mut events = vec![EpollEvent::empty(); 256];
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match epoll.wait(&mut events, EpollTimeout::NONE) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(err) => return Err(err.into()),
        };
        for event in &events[..n] {
            if event.data() == LISTENER {
                while let Ok((stream, _)) = listener.accept() {
                    stream.set_nonblocking(true)?;
                    let token = stream.as_raw_fd() as u64;
                    epoll.add(&stream, EpollEvent::new(EpollFlags::EPOLLIN, token))?;
                    let (unsent, watching_out) = (Vec::new(), false);
                    let client = Client {
                        stream,
                        unsent,
                        watching_out,
                    };
                    clients.insert(token, client);
                }
                continue;
            }
            let token = event.data();
            let Some(client) = clients.get_mut(&token) else {
                continue;
            };
            if serve_client(client, &mut buf, event.events()).is_err() {
                clients.remove(&token); // closing the socket leaves the epoll set
                continue;
            }
            // One epoll_ctl only when the interest changes, not per event.
            let want_out = !client.unsent.is_empty();
            if want_out != client.watching_out {
                let mut flags = EpollFlags::EPOLLIN;
                if want_out {
                    flags |= EpollFlags::EPOLLOUT;
                }
                epoll.modify(client.stream.as_fd(), &mut EpollEvent::new(flags, token))?;
                client.watching_out = want_out;
            }
        }
    }
}

/// A non-blocking listening socket with the system's largest backlog, as
/// the framework's (std's `TcpListener::bind` asks for 128: a burst of
/// clients beyond it waits a second for its SYN to be sent again).
fn listen(address: (&str, u16)) -> io::Result<TcpListener> {
    let address = std::net::ToSocketAddrs::to_socket_addrs(&address)?
        .next()
        .ok_or_else(|| io::Error::other("the address resolved to nothing"))?;
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&address.into())?;
    socket.listen(libc::SOMAXCONN)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Reads what came and echoes it; an error (or end of file) ends the client.
fn serve_client(client: &mut Client, buf: &mut [u8], flags: EpollFlags) -> io::Result<()> {
    if flags.contains(EpollFlags::EPOLLIN) {
        match client.stream.read(buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => client.unsent.extend_from_slice(&buf[..n]),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
            Err(err) => return Err(err),
        }
    }
    while !client.unsent.is_empty() {
        match client.stream.write(&client.unsent) {
            Ok(n) => {
                client.unsent.drain(..n);
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
            Err(err) => return Err(err),
        }
    }
    Ok(())
}
