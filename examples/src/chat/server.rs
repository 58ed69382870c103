//! The `chat-server` program: the room over UDP (the course's design) or,
//! with `--tcp`, over TCP lines for `nc`.

use std::ffi::OsString;
use std::io;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

use super::tcp::TcpChat;
use super::udp::UdpChat;
use super::{DEFAULT_PORT, Settings, admin};
use crate::serving::{self, positive_seconds};

/// A chat room: join with a name, talk to everyone, lines typed here reach
/// everyone as `admin`.
#[derive(Parser)]
#[command(name = "chat-server", version)]
struct Args {
    /// Serve TCP lines (for `nc HOST PORT`) instead of the course's UDP datagrams.
    #[arg(long)]
    tcp: bool,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// UDP: drop a member that sent nothing (not even a heartbeat) for this many seconds.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS", value_parser = positive_seconds)]
    timeout: f64,
    /// TCP: the send-queue limit per member in KiB; a member with more
    /// waiting for its socket is disconnected as not reading.
    #[arg(long, default_value_t = 256, value_name = "KIB", value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    queue: u64,
    /// TCP: disconnect a member whose socket accepted nothing for this many
    /// seconds while lines waited for it.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS", value_parser = positive_seconds)]
    write_timeout: f64,
    /// Do not log every message (joins and leaves are still logged).
    #[arg(long)]
    quiet: bool,
    /// Port (0 picks a free one).
    #[arg(default_value_t = DEFAULT_PORT)]
    port: u16,
}

/// The whole `chat-server` program: parses `args` (the first is the program
/// name) and serves until Ctrl+C.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    crate::memory::give_memory_back();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("chat-server: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let settings = Settings {
        timeout: Duration::from_secs_f64(args.timeout),
        queue: args.queue as usize * 1024,
        write_timeout: Duration::from_secs_f64(args.write_timeout),
        quiet: args.quiet,
        ..Settings::default()
    };
    let address = (args.bind.as_str(), args.port);
    if args.tcp {
        let chat = TcpChat::bind(address, settings)?;
        serving::announce(
            "chat room over TCP, event loop",
            &chat.server_address().into(),
        );
        admin::spawn_terminal_reader(chat.admin())?;
        chat.shutdown_on_ctrl_c()?;
        chat.serve_forever()
    } else {
        let chat = UdpChat::bind(address, settings)?;
        serving::announce("chat room over UDP", &chat.server_address().into());
        let room = Arc::clone(chat.room());
        admin::spawn_terminal_reader(move |text| room.admin_says(text))?;
        chat.shutdown_on_ctrl_c()?;
        chat.serve_forever()
    }
}
