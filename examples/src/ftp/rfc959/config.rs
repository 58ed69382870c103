//! What a server is told at start: the `ftpd` command line, and the
//! settings every session reads.

use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser};

use super::auth::Accounts;
use super::limits::ConnectionLimits;
use super::passive::{PortRange, parse_port_range};
use super::path::Root;
use crate::serving::ModelArgs;

/// The port `ftpd` listens on by default (21 needs root; 2121 is the usual
/// unprivileged stand-in).
pub const DEFAULT_PORT: u16 = 2121;

/// Serve a directory over standard FTP (RFC 959), for curl, lftp, Python's
/// ftplib, FileZilla...
#[derive(Parser, Debug)]
#[command(name = "ftpd", version)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// The directory served as `/`.
    #[arg(long, default_value = ".")]
    pub directory: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Allow the writing commands: STOR, STOU, APPE, DELE, RNFR/RNTO, MKD, RMD, MFMT.
    #[arg(long)]
    pub writable: bool,
    /// Accept only this user (NAME:PASSWORD) instead of anonymous logins.
    #[arg(long, value_name = "NAME:PASSWORD", value_parser = Accounts::parse_user)]
    pub user: Option<Accounts>,
    /// Seconds a session may stay without a command before it is closed (0: never).
    #[arg(long, default_value_t = 300)]
    pub idle_timeout: u64,
    /// Seconds to wait for a data connection, or for it to move a byte.
    #[arg(long, default_value_t = 30)]
    pub data_timeout: u64,
    /// Ports for passive data connections, e.g. 50000-50100 (default: any).
    #[arg(long, value_name = "LOW-HIGH", value_parser = parse_port_range)]
    pub passive_ports: Option<(u16, u16)>,
    /// Most sessions at once (0: no limit).
    #[arg(long, default_value_t = 512)]
    pub max_connections: u32,
    /// Most sessions at once from one address (0: no limit).
    #[arg(long, default_value_t = 64)]
    pub max_per_address: u32,
    /// Milliseconds to wait before answering a wrong password.
    #[arg(long, default_value_t = 1000)]
    pub login_delay_ms: u64,
    /// Wrong passwords before the connection is closed.
    #[arg(long, default_value_t = 3)]
    pub max_login_failures: u32,
    /// Port to listen on (0 picks a free one).
    #[arg(default_value_t = DEFAULT_PORT)]
    pub port: u16,
}

/// The model `ftpd` runs in unless `--model` says otherwise: the event
/// loop. Measured with `cargo bench-ftpd` (notes/17-ftp-server.md), it
/// moves files as fast as a thread per session (a transfer has a thread
/// of its own either way), answers 300 clients at once as fast or faster,
/// and holds 300 idle sessions in a quarter of the memory: a session
/// waiting for its next command is a table entry, not a thread.
pub const DEFAULT_MODEL: &str = "poll";

impl Args {
    /// Parses the command line, with [`DEFAULT_MODEL`] as `--model`'s
    /// default (the other servers' shared flags default to threading).
    pub fn parse_with_default_model(args: impl IntoIterator<Item = std::ffi::OsString>) -> Args {
        let command = Args::command().mut_arg("model", |arg| arg.default_value(DEFAULT_MODEL));
        let matches = command.get_matches_from(args);
        Args::from_arg_matches(&matches).unwrap_or_else(|err| err.exit())
    }
}

/// The settings of every session.
#[derive(Debug)]
pub struct Config {
    /// The served directory.
    pub root: Root,
    /// Who may log in.
    pub accounts: Accounts,
    /// Whether the writing commands are allowed.
    pub writable: bool,
    /// Longest wait for a command (`None`: forever).
    pub idle_timeout: Option<Duration>,
    /// Longest wait for a data connection or for it to move.
    pub data_timeout: Duration,
    /// Ports for passive listeners.
    pub passive_ports: PortRange,
    /// Connection limits, shared by all sessions.
    pub limits: ConnectionLimits,
    /// Delay before answering a wrong password.
    pub login_delay: Duration,
    /// Wrong passwords before the connection is closed.
    pub max_login_failures: u32,
    /// Print a line per command on stdout (the server's log; a fuzzer
    /// running millions of sessions turns it off).
    pub log: bool,
}
