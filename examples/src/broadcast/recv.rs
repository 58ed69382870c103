//! `broadcast-recv`: prints every datagram that arrives on a port, on the
//! framework's `UdpServer`.
//!
//! Several receivers may run on one host and port at once: each sets
//! `SO_REUSEADDR` and `SO_REUSEPORT` before binding (the framework's
//! `allow_reuse_address` / `allow_reuse_port`), and the kernel gives every
//! one of them a copy of each broadcast datagram.

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::Parser;
use framework::{Address, DatagramRequest, RequestHandler, ServerOptions, UdpServer};

use super::DEFAULT_PORT;

/// Print every datagram that arrives on PORT as `from <addr>: <message>`.
#[derive(Parser)]
#[command(name = "broadcast-recv", version)]
struct Args {
    /// Address to bind: 0.0.0.0 (every interface, as in the course) or the
    /// broadcast address itself (127.255.255.255: loopback broadcasts only).
    #[arg(long, default_value = "0.0.0.0")]
    bind: String,
    /// Port to listen on (0 picks a free one; the others can then join it).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Stop after N datagrams (default: until Ctrl+C).
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Bind without SO_REUSEADDR/SO_REUSEPORT, to see a second receiver fail.
    #[arg(long)]
    no_reuse: bool,
}

/// Prints each datagram; stops the server after `count` of them.
struct PrintDatagram {
    received: Arc<AtomicU64>,
    count: Option<u64>,
}

impl RequestHandler<DatagramRequest> for PrintDatagram {
    fn handle(&mut self, request: &mut DatagramRequest) -> io::Result<()> {
        let line = describe(&request.client_address, request.packet());
        let mut out = io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
        let received = self.received.fetch_add(1, Ordering::SeqCst) + 1;
        if self.count.is_some_and(|count| received >= count) {
            // The loop stops before it takes another datagram.
            request.server.request_shutdown();
        }
        Ok(())
    }
}

/// The line printed for a datagram: `from ADDRESS: TEXT`, the text with
/// its control characters escaped (the datagram comes from anyone, and
/// must not move the terminal's cursor or end the line).
pub fn describe(from: &Address, packet: &[u8]) -> String {
    let text = String::from_utf8_lossy(packet);
    let text: String = text.chars().flat_map(char::escape_debug).collect();
    format!("from {from}: {text}")
}

/// The whole `broadcast-recv` program.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("broadcast-recv: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let options = ServerOptions {
        allow_reuse_address: !args.no_reuse,
        allow_reuse_port: !args.no_reuse,
        // The largest UDP payload: never cut a datagram.
        max_packet_size: 65_535,
        ..ServerOptions::default()
    };
    let received = Arc::new(AtomicU64::new(0));
    let count = args.count;
    let counter = Arc::clone(&received);
    let server = UdpServer::bind_with((args.bind.as_str(), args.port), &options, move || {
        PrintDatagram {
            received: Arc::clone(&counter),
            count,
        }
    })
    .map_err(|e| explain_bind(&e, args))?;
    // The course sets SO_BROADCAST on the receiver too. Linux only checks it
    // when sending, but it costs nothing and keeps the program portable.
    socket2::SockRef::from(&server)
        .set_broadcast(true)
        .map_err(|e| format!("cannot set SO_BROADCAST: {e}"))?;
    let address = server.server_address();
    let port = address.port().unwrap_or(args.port);
    let ip = address
        .inet()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    println!("Listening for broadcasts on {ip} port {port} ...");
    if count == Some(0) {
        return Ok(());
    }
    server.shutdown_on_ctrl_c().map_err(|e| e.to_string())?;
    server.serve_forever().map_err(|e| e.to_string())
}

fn explain_bind(err: &io::Error, args: &Args) -> String {
    let what = format!("cannot bind {}:{}: {err}", args.bind, args.port);
    if err.kind() == io::ErrorKind::AddrInUse {
        format!(
            "{what}. Another socket holds the port; several receivers can share it \
             only if every one of them sets SO_REUSEADDR before bind (run them without --no-reuse)"
        )
    } else {
        what
    }
}
