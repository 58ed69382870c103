//! The echo server: echoes every line back, over any transport, in any model.
//!
//! ```text
//! echo-server [--transport tcp|udp|unix|unix-dgram]
//!             [--model sequential|threading|forking|pool|poll]
//!             [--bind ADDR] [--max-children N] [--workers N] [--queue N] [--loops N]
//!             [PORT | PATH]
//! ```
//!
//! `--model poll` serves TCP and Unix stream sockets from one event loop
//! ([`EchoLineProtocol`]); a datagram server already is one loop over one
//! socket, so for UDP and Unix datagrams it is refused with a message.
//!
//! The smallest complete program on the framework, and the server that the
//! framework's own tests and benchmark run against.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;

use std::process::ExitCode;

use crate::serving::{self, ModelArgs};
use clap::Parser;
use framework::{
    Conn, DatagramRequest, LineProtocol, Lines, RequestHandler, ServerOptions, StreamRequest,
    TcpTransport, UdpTransport, UnixDatagramTransport, UnixStreamTransport,
};
use serving::Model;

/// Echo each line (TCP, Unix stream) or each datagram (UDP, Unix datagram) back.
#[derive(Parser)]
#[command(version)]
#[command(name = "echo-server")]
struct Args {
    /// Socket type to serve on.
    #[arg(long, value_enum, default_value_t = TransportKind::Tcp)]
    transport: TransportKind,
    /// Address to bind (TCP and UDP).
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    #[command(flatten)]
    model: ModelArgs,
    /// Port (TCP, UDP; 0 picks a free one) or socket path (Unix).
    target: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TransportKind {
    Tcp,
    Udp,
    Unix,
    UnixDgram,
}

/// Echoes lines until the client closes the connection.
pub struct EchoLines;

impl RequestHandler<StreamRequest> for EchoLines {
    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        let mut line = Vec::new();
        // read_until keeps the newline, so the echo is byte-exact; it works
        // on any bytes, not only UTF-8.
        while request.rfile.read_until(b'\n', &mut line)? > 0 {
            request.wfile.write_all(&line)?;
            line.clear();
        }
        Ok(())
    }
}

/// Echoes lines on the event loop (`--model poll`): the same bytes as
/// [`EchoLines`], including a last line without its newline.
pub struct EchoLineProtocol;

impl LineProtocol for EchoLineProtocol {
    fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
        conn.write(line);
        Ok(())
    }
}

/// The longest line the event-loop echo takes: as long as the blocking
/// handlers' (they read a line of any length), within reason.
const MAX_LINE: usize = 1024 * 1024;

/// Answers each datagram with the same bytes.
pub struct EchoDatagram;

impl RequestHandler<DatagramRequest> for EchoDatagram {
    fn handle(&mut self, request: &mut DatagramRequest) -> io::Result<()> {
        // The packet is `rfile`'s buffer; the reply is `wfile`: two fields,
        // so the bytes go across without a copy in between.
        request.wfile.extend_from_slice(request.rfile.get_ref());
        Ok(())
    }
}

/// The whole `echo-server` program: parses `args` (the first is the
/// program name) and serves until Ctrl+C.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    crate::memory::give_memory_back();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("echo-server: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let options = ServerOptions::reuse_address();
    let port = || -> io::Result<u16> {
        let text = args.target.as_deref().unwrap_or("9999");
        text.parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("bad port {text:?}")))
    };
    let path = || PathBuf::from(args.target.as_deref().unwrap_or("echo.sock"));
    let model = &args.model;
    let poll = model.model == Model::Poll;
    let echo_lines = || Lines::with_max_line(EchoLineProtocol, MAX_LINE);
    match args.transport {
        TransportKind::Tcp if poll => serving::run_event_loop::<TcpTransport, _, _, _>(
            model,
            (args.bind.as_str(), port()?),
            &options,
            "echo over TCP",
            echo_lines,
        ),
        TransportKind::Unix if poll => serving::run_event_loop::<UnixStreamTransport, _, _, _>(
            model,
            path(),
            &options,
            "echo over Unix stream",
            echo_lines,
        ),
        TransportKind::Udp | TransportKind::UnixDgram if poll => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--model poll serves stream sockets (tcp, unix); a datagram server \
             already is one loop over one socket: use --model sequential",
        )),
        TransportKind::Tcp => serving::run::<TcpTransport, _, _, _>(
            model,
            (args.bind.as_str(), port()?),
            &options,
            "echo over TCP",
            || EchoLines,
        ),
        TransportKind::Udp => serving::run::<UdpTransport, _, _, _>(
            model,
            (args.bind.as_str(), port()?),
            &options,
            "echo over UDP",
            || EchoDatagram,
        ),
        TransportKind::Unix => serving::run::<UnixStreamTransport, _, _, _>(
            model,
            path(),
            &options,
            "echo over Unix stream",
            || EchoLines,
        ),
        TransportKind::UnixDgram => serving::run::<UnixDatagramTransport, _, _, _>(
            model,
            path(),
            &options,
            "echo over Unix datagram",
            || EchoDatagram,
        ),
    }
}
