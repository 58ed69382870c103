//! IO multiplexing (IO多路复用): one thread, one process, many sockets.
//!
//! ```text
//! mux-echo-server [--api select|poll|epoll] [--bind ADDR] [PORT]
//! select-homework --file PATH [--bind ADDR] [PORT]
//! ```
//!
//! The echo server is the same in all three versions: [`EchoClients`] knows
//! what to do when the listening socket or a client is *ready*. Only the
//! way of waiting for readiness differs, one file each:
//!
//! - [`select`](mod@select): hand the kernel three sets of fds each time (Python's `select.select`);
//! - [`poll`](mod@poll): hand it an array of `(fd, events)` each time (`select.poll`);
//! - [`epoll`](mod@epoll): register each fd once, ask only for the ready ones (`select.epoll`).
//!
//! [`homework`] is the course's select homework: watch the listening socket,
//! the clients and the terminal, and append every line to a file.

pub mod epoll;
pub mod homework;
pub mod poll;
pub mod select;

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::process::ExitCode;

use clap::Parser;

/// Which system call waits for readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Api {
    /// `select(2)`: fd sets, at most FD_SETSIZE (1024) descriptors.
    Select,
    /// `poll(2)`: an array of `pollfd`, no size limit.
    Poll,
    /// `epoll(7)`: a kernel-side interest list (Linux).
    Epoll,
}

impl Api {
    /// The name used on the command line and in the `Serving` line.
    pub fn name(self) -> &'static str {
        match self {
            Api::Select => "select",
            Api::Poll => "poll",
            Api::Epoll => "epoll",
        }
    }
}

/// An echo server that serves every client from one thread with IO multiplexing.
#[derive(Parser)]
#[command(name = "mux-echo-server", version)]
struct Args {
    /// The system call that waits for readiness.
    #[arg(long, value_enum, default_value_t = Api::Epoll)]
    api: Api,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Port to listen on (0 picks a free one).
    #[arg(default_value_t = 9999)]
    port: u16,
}

/// The whole `mux-echo-server` program; serves until killed (Ctrl+C).
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    let result = TcpListener::bind((args.bind.as_str(), args.port)).and_then(|listener| {
        let what = format!("echo over TCP, {}", args.api.name());
        crate::serving::announce(&what, &listener.local_addr()?.into());
        let clients = EchoClients::new(listener, args.api.name());
        match args.api {
            Api::Select => select::serve(clients),
            Api::Poll => poll::serve(clients),
            Api::Epoll => epoll::serve(clients),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mux-echo-server: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The echo server's state, shared by the select, poll and epoll loops:
/// the listening socket and the connected clients, by file descriptor.
pub struct EchoClients {
    /// The listening socket: "readable" means a connection waits in `accept`.
    pub listener: TcpListener,
    /// Connected clients by fd — the fd is what select/poll/epoll report.
    pub clients: HashMap<RawFd, (TcpStream, SocketAddr)>,
    /// Printed in front of every log line, e.g. `select`.
    tag: &'static str,
}

impl EchoClients {
    /// Wraps a bound listener; `tag` names the multiplexing call in the log.
    pub fn new(listener: TcpListener, tag: &'static str) -> EchoClients {
        EchoClients {
            listener,
            clients: HashMap::new(),
            tag,
        }
    }

    /// The listening socket is ready: `accept` will not block. Returns the
    /// new client's fd; a failed accept (the client gave up, no descriptor
    /// left) is logged and the server goes on with the others.
    pub fn accept(&mut self) -> Option<RawFd> {
        let (stream, addr) = match self.listener.accept() {
            Ok(accepted) => accepted,
            Err(err) => {
                self.log(&format!("listening socket ready -> accept failed: {err}"));
                return None;
            }
        };
        let fd = stream.as_raw_fd();
        self.log(&format!(
            "listening socket ready -> accepted {addr} as fd {fd}"
        ));
        self.clients.insert(fd, (stream, addr));
        Some(fd)
    }

    /// Client `fd` is ready: one `read` will not block. Echo what it returns.
    ///
    /// One read per readiness report, never a loop until the client is done:
    /// a client that keeps sending must not keep the others waiting (the
    /// course's first rule of IO multiplexing: no endless loop in a handler).
    ///
    /// The echo is written with a plain blocking `write_all`: a line fits in
    /// the socket's send buffer. A server sending more than that would also
    /// watch for writability (select's wlist, POLLOUT, EPOLLOUT) and keep the
    /// unsent bytes until then, or one client that never reads could stall
    /// everybody.
    /// A client that closed the connection (or failed) is dropped.
    pub fn serve_client(&mut self, fd: RawFd) {
        let Some((stream, addr)) = self.clients.get_mut(&fd) else {
            return;
        };
        let addr = *addr;
        let mut buf = [0u8; 4096];
        let outcome = match stream.read(&mut buf) {
            Ok(0) => Err("closed the connection".to_string()),
            Ok(n) => stream
                .write_all(&buf[..n])
                .map(|()| n)
                .map_err(|err| format!("failed: {err}")),
            Err(err) => Err(format!("failed: {err}")),
        };
        match outcome {
            Ok(n) => {
                let text = String::from_utf8_lossy(&buf[..n]);
                self.log(&format!(
                    "fd {fd} ({addr}) ready -> echoed {:?}",
                    text.trim_end()
                ));
            }
            Err(why) => {
                self.log(&format!("fd {fd} ({addr}) {why}"));
                self.clients.remove(&fd);
            }
        }
    }

    fn log(&self, text: &str) {
        // Flushed at once so a reader of a pipe sees each step as it happens.
        let _ = crate::serving::print_flushed(&format!("{}: {text}", self.tag));
    }
}
