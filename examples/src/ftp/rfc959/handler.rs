//! The framework's request handler for one control connection, and the
//! `ftpd` program around it.
//!
//! ```text
//! ftpd [--bind ADDR] [--directory DIR] [--model poll|threading|forking|sequential]
//!      [--writable] [--user NAME:PASSWORD] [--passive-ports LOW-HIGH]
//!      [--max-connections N] [--max-per-address N] [--idle-timeout S]
//!      [--data-timeout S] [PORT]
//! ```
//!
//! One connection is one session, in a thread or a child process of the
//! framework's choosing (`--model`; `on_thread.rs` runs it), or on the
//! framework's event loop (`--model poll`, `on_loop.rs`).

use std::io::{self, Write};
use std::net::IpAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use framework::{Address, Lines, RequestHandler, ServerOptions, StreamRequest, TcpTransport};

use super::auth::Accounts;
use super::command::MAX_COMMAND_LINE;
use super::config::{Args, Config};
use super::limits::ConnectionLimits;
use super::on_loop::{FtpProtocol, Shared};
use super::on_thread;
use super::path::Root;
use super::reply;
use super::session::Session;
use crate::ftp::describe;
use crate::serving::{self, Model, ModelArgs};

/// Serves one control connection.
pub struct FtpdHandler {
    config: Arc<Config>,
}

impl FtpdHandler {
    /// A handler with the server's settings.
    pub fn new(config: Arc<Config>) -> FtpdHandler {
        FtpdHandler { config }
    }
}

impl RequestHandler<StreamRequest> for FtpdHandler {
    fn setup(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        // A client that connects and says nothing must not hold a thread
        // (or a process) forever.
        request.set_timeout(self.config.idle_timeout)?;
        // Replies are small writes; Nagle would hold each back for an ACK.
        request.set_nodelay(true)?;
        // `ABOR` may come as TCP urgent data (Python's ftplib sends the
        // whole line so); kept inline, it is read as an ordinary line.
        socket2::SockRef::from(request.connection()).set_out_of_band_inline(true)
    }

    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        let Address::Inet(peer) = request.client_address else {
            return Ok(());
        };
        let admission = match self.config.limits.admit(peer.ip()) {
            Ok(admission) => admission,
            Err(refusal) => {
                if self.config.log {
                    log(&request.client_address, &format!("refused: {refusal}"));
                }
                let _ = (&request.wfile).write_all(reply::line(421, refusal).as_bytes());
                return Ok(());
            }
        };
        let local = socket2::SockRef::from(request.connection())
            .local_addr()?
            .as_socket()
            .map_or(IpAddr::from([127, 0, 0, 1]), |a| a.ip());
        let client = request.client_address.to_string();
        let mut session = Session::new(Arc::clone(&self.config), client.clone(), peer.ip(), local);
        let result = on_thread::serve(&mut session, request);
        drop(admission);
        if let Err(err) = result {
            // A reset or a vanished client is a normal end for a server.
            if self.config.log {
                log(&client, &format!("session ended: {}", describe(&err)));
            }
        }
        Ok(())
    }
}

/// One line of the server's log on stdout, naming the client. Errors are
/// ignored: a server must not die because nobody reads its log.
pub fn log(client: &dyn std::fmt::Display, text: &str) {
    let _ = serving::print_flushed(&format!("{client} {text}"));
}

/// The whole `ftpd` program: parses `args` (the first is the program name)
/// and serves until Ctrl+C.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let args = Args::parse_with_default_model(args);
    crate::memory::give_memory_back();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ftpd: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let root = Root::open(&args.directory).map_err(|err| {
        let why = describe(&err);
        io::Error::new(
            err.kind(),
            format!("cannot serve {}: {why}", args.directory.display()),
        )
    })?;
    // Uploads cut short by a killed server leave hidden temporary files
    // in the root (only there: uploads in folders are cleaned by hand).
    let _ = crate::ftp::library::Library::open(root.dir())
        .map(|library| library.remove_stale_uploads(Duration::from_secs(3600)));
    let what = format!(
        "FTP (RFC 959, {}, {}) for {}",
        if args.user.is_some() {
            "one user"
        } else {
            "anonymous"
        },
        if args.writable {
            "writable"
        } else {
            "read-only"
        },
        root.dir().display()
    );
    let seconds = |s: u64| (s > 0).then(|| Duration::from_secs(s));
    let config = Arc::new(Config {
        root,
        accounts: args.user.clone().unwrap_or(Accounts::Anonymous),
        writable: args.writable,
        idle_timeout: seconds(args.idle_timeout),
        data_timeout: seconds(args.data_timeout).unwrap_or(Duration::from_secs(30)),
        passive_ports: args.passive_ports,
        limits: ConnectionLimits::new(args.max_connections, args.max_per_address)?,
        login_delay: Duration::from_millis(args.login_delay_ms),
        max_login_failures: args.max_login_failures.max(1),
        log: true,
    });
    let address = (args.bind.as_str(), args.port);
    let options = ServerOptions::reuse_address();
    if args.model.model == Model::Poll {
        return run_on_loop(&args.model, address, &options, &what, config);
    }
    let factory = move || FtpdHandler::new(Arc::clone(&config));
    // Ctrl+C stops at once instead of waiting for idle sessions to leave.
    let model = ModelArgs {
        daemon_threads: true,
        ..args.model.clone()
    };
    serving::run::<TcpTransport, _, _, _>(&model, address, &options, &what, factory)
}

/// `--model poll`: the control connections on the event loop (one per
/// `--loops`), the transfers on worker threads (`on_loop.rs`, `worker.rs`).
fn run_on_loop(
    model: &ModelArgs,
    address: (&str, u16),
    options: &ServerOptions,
    what: &str,
    config: Arc<Config>,
) -> io::Result<()> {
    let shared = Arc::new(Shared {
        config,
        workers: Arc::default(),
    });
    let factory =
        move || Lines::with_max_line(FtpProtocol::new(Arc::clone(&shared)), MAX_COMMAND_LINE);
    serving::run_event_loop::<TcpTransport, _, _, _>(model, address, options, what, factory)
}
