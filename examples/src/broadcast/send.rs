//! `broadcast-send`: sends a datagram to a broadcast address, again and again.

use std::ffi::OsString;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use clap::Parser;

use super::{DEFAULT_PORT, LOOPBACK_BROADCAST};
use crate::serving::positive_seconds;

/// Send MESSAGE to a broadcast address every INTERVAL seconds.
#[derive(Parser)]
#[command(name = "broadcast-send", version)]
struct Args {
    /// Where to send: a broadcast address and port.
    #[arg(long, value_name = "ADDR:PORT", default_value_t = default_target())]
    to: SocketAddr,
    /// Seconds between two datagrams.
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS", value_parser = positive_seconds)]
    interval: f64,
    /// Stop after N datagrams (default: until Ctrl+C).
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Leave SO_BROADCAST off, to see the kernel refuse the send.
    #[arg(long)]
    no_broadcast_option: bool,
    /// The text to send; `{n}` becomes the datagram's number (1, 2, ...).
    #[arg(default_value = "hello #{n}")]
    message: String,
}

fn default_target() -> SocketAddr {
    SocketAddr::new(
        LOOPBACK_BROADCAST.parse().expect("a valid address"),
        DEFAULT_PORT,
    )
}

/// The whole `broadcast-send` program.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("broadcast-send: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    // Sending to the loopback network: bind loopback too, so that nothing
    // of this program is reachable from outside the host.
    let local = match args.to.ip() {
        ip if ip.is_loopback() => SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        _ => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
    };
    let socket = UdpSocket::bind(local).map_err(|e| format!("cannot bind {local}: {e}"))?;
    if !args.no_broadcast_option {
        // The course's `s.setsockopt(SOL_SOCKET, SO_BROADCAST, 1)`.
        socket
            .set_broadcast(true)
            .map_err(|e| format!("cannot set SO_BROADCAST: {e}"))?;
    }
    let interval = Duration::from_secs_f64(args.interval);
    let mut n: u64 = 0;
    loop {
        n += 1;
        let text = args.message.replace("{n}", &n.to_string());
        socket
            .send_to(text.as_bytes(), args.to)
            .map_err(|e| explain(&e, args.to))?;
        println!("sent to {}: {text}", args.to);
        if args.count.is_some_and(|count| n >= count) {
            return Ok(());
        }
        thread::sleep(interval);
    }
}

/// Turns the kernel's refusal into advice.
fn explain(err: &io::Error, to: SocketAddr) -> String {
    if err.kind() == io::ErrorKind::PermissionDenied {
        format!(
            "cannot send to {to}: {err}. Sending to a broadcast address needs the \
             SO_BROADCAST option on the socket (UdpSocket::set_broadcast(true))"
        )
    } else {
        format!("cannot send to {to}: {err}")
    }
}
