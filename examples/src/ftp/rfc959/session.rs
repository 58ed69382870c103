//! One control connection's session: the greeting, the command loop,
//! the command table, and the commands that only talk (login: `login.rs`).
//!
//! The state RFC 959 keeps per session lives here: who logged in, the
//! current directory, the transfer type, the next data connection
//! (PASV/PORT), a restart point (REST) and a name to rename (RNFR).

use std::io;
use std::net::{IpAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use super::command::{Command, MAX_COMMAND_LINE};
use super::config::Config;
use super::handler::log;
use super::job::Transfer;
use super::path::VirtualPath;
use super::reply;

/// What to do after a command.
#[derive(Debug)]
pub enum Flow {
    /// Read the next command.
    Continue,
    /// Close the connection (QUIT, too many failures, the client left).
    Close,
    /// Run this transfer (it sends its own `150` and final reply), then
    /// read the next command. Which thread runs it is the front end's
    /// choice: the session's own (`on_thread.rs`) or a worker (`on_loop.rs`).
    Transfer(Box<Transfer>),
}

/// Where the next data connection comes from.
#[derive(Debug)]
pub enum DataPlan {
    /// No PASV/EPSV/PORT/EPRT yet (or it was used).
    None,
    /// PASV/EPSV: this listener waits for the client.
    Passive(TcpListener),
    /// PORT/EPRT: the server connects there.
    Active(std::net::SocketAddr),
}

/// Commands this server carries out.
const IMPLEMENTED: &[&str] = &[
    "ABOR", "ACCT", "ALLO", "APPE", "CDUP", "CWD", "DELE", "EPRT", "EPSV", "FEAT", "HELP", "LIST",
    "MDTM", "MFMT", "MKD", "MLSD", "MLST", "MODE", "NLST", "NOOP", "OPTS", "PASS", "PASV", "PORT",
    "PWD", "QUIT", "REST", "RETR", "RMD", "RNFR", "RNTO", "SIZE", "STAT", "STOR", "STOU", "STRU",
    "SYST", "TYPE", "USER", "XCUP", "XCWD", "XMKD", "XPWD", "XRMD",
];

/// Commands of the FTP standards this server knows but does not carry
/// out: `502 Command not implemented` (any other verb is `500 Unknown`).
const NOT_IMPLEMENTED: &[&str] = &[
    "ADAT", "AUTH", "CCC", "CONF", "ENC", "HOST", "LANG", "LPRT", "LPSV", "MIC", "PBSZ", "PROT",
    "REIN", "SITE", "SMNT",
];

/// Commands allowed before login (everything else is `530`).
const BEFORE_LOGIN: &[&str] = &[
    "USER", "PASS", "ACCT", "QUIT", "FEAT", "SYST", "HELP", "NOOP", "OPTS",
];

/// Commands that change the file system: only with `--writable`.
const WRITING: &[&str] = &[
    "APPE", "DELE", "MFMT", "MKD", "XMKD", "RMD", "XRMD", "RNFR", "RNTO", "STOR", "STOU",
];

/// One session's state, and the command handling both front ends share:
/// a command line goes in ([`Session::command`]), replies come out
/// ([`Session::take_output`]). The session never touches a socket of the
/// control connection, so it runs the same in a thread of its own
/// (`on_thread.rs`) and on the event loop (`on_loop.rs`).
pub struct Session {
    /// The server's settings.
    pub config: Arc<Config>,
    /// The client as the log names it.
    pub client: String,
    /// The client's address (data connections must come from / go to it).
    pub peer: IpAddr,
    /// The server's address on this connection (passive listeners bind it).
    pub local: IpAddr,
    /// The name given by USER, waiting for PASS.
    pub(super) user: Option<String>,
    /// PASS was accepted.
    pub(super) logged_in: bool,
    /// Wrong passwords so far.
    pub(super) failures: u32,
    /// The current directory.
    pub cwd: VirtualPath,
    /// TYPE I (true) or TYPE A.
    pub binary: bool,
    /// The next data connection.
    pub data: DataPlan,
    /// After `EPSV ALL`: only EPSV may set up data connections.
    pub epsv_all: bool,
    /// REST: where the next RETR or STOR starts.
    pub restart: u64,
    /// RNFR: what the next RNTO renames.
    pub rename_from: Option<VirtualPath>,
    /// The first line of the last reply, for the log.
    last_reply: String,
    /// Replies not yet sent: the front end sends them after each command.
    output: String,
    /// A wrong password: the front end waits this long before sending
    /// the replies (set by PASS, taken by [`Session::take_delay`]).
    delay: Option<Duration>,
}

impl Session {
    /// A new session for a client at `peer`, connected to our `local` address.
    pub fn new(config: Arc<Config>, client: String, peer: IpAddr, local: IpAddr) -> Session {
        Session {
            config,
            client,
            peer,
            local,
            user: None,
            logged_in: false,
            failures: 0,
            cwd: VirtualPath::root(),
            binary: false,
            data: DataPlan::None,
            epsv_all: false,
            restart: 0,
            rename_from: None,
            last_reply: String::new(),
            output: String::new(),
            delay: None,
        }
    }

    /// Logs `text` for this session's client, unless the log is off.
    pub(super) fn log(&self, text: &str) {
        if self.config.log {
            log(&self.client, text);
        }
    }

    /// The `220` greeting, the first reply of every session.
    pub fn greet(&mut self) {
        self.add(reply::line(220, "socketserver-rs ftpd ready."));
    }

    /// Carries out one command line (read up to its LF, the LF removed).
    /// Its replies wait in [`take_output`](Self::take_output).
    pub fn command(&mut self, line: &[u8]) -> io::Result<Flow> {
        let command = match Command::parse(line) {
            Ok(command) => command,
            Err(text) => return self.reply(500, text),
        };
        let shown = shown(&command);
        let mut flow = self.dispatch(command)?;
        match &mut flow {
            // Logged when it ends, with its last reply.
            Flow::Transfer(transfer) => transfer.shown = shown,
            _ => self.log(&format!("{shown}: {}", self.last_reply)),
        }
        Ok(flow)
    }

    /// The ABOR that stopped a transfer, answered after its `426`.
    pub fn abor_during_transfer(&mut self) {
        self.log("ABOR during a transfer");
        self.add(reply::line(226, "ABOR successful."));
    }

    /// A command line longer than [`MAX_COMMAND_LINE`]: where would the
    /// next command start? The reply says so; the front end closes.
    pub fn line_too_long(&mut self) {
        let text = format!("Command line too long (the limit is {MAX_COMMAND_LINE} bytes).");
        self.add(reply::line(500, &text));
        self.log("closed: command line too long");
    }

    /// No command came for the idle timeout: the reply before closing.
    pub fn idle_timeout(&mut self) {
        let secs = self.config.idle_timeout.unwrap_or_default().as_secs();
        let text = format!("Timeout: no command for {secs} s, closing the control connection.");
        self.add(reply::line(421, &text));
        self.log("closed: idle timeout");
    }

    /// The replies to send now (and forgets them).
    pub fn take_output(&mut self) -> String {
        std::mem::take(&mut self.output)
    }

    /// How long to wait before sending the replies (a wrong password).
    pub fn take_delay(&mut self) -> Option<Duration> {
        self.delay.take()
    }

    /// Asks the front end to wait before sending the replies.
    pub(super) fn delay_replies(&mut self, delay: Duration) {
        self.delay = Some(delay).filter(|d| !d.is_zero());
    }

    /// Queues a reply (one or several lines) for the control connection.
    /// Never fails: the front end sends it (the `Result` keeps `?` handy).
    pub fn send(&mut self, text: String) -> io::Result<()> {
        self.add(text);
        Ok(())
    }

    fn add(&mut self, text: String) {
        self.last_reply = text.lines().next().unwrap_or("").to_string();
        self.output.push_str(&text);
    }

    /// Sends a one-line reply and goes on.
    pub fn reply(&mut self, code: u16, text: &str) -> io::Result<Flow> {
        self.send(reply::line(code, text))?;
        Ok(Flow::Continue)
    }

    /// The command table: the checks every command passes, then its code.
    fn dispatch(&mut self, command: Command) -> io::Result<Flow> {
        let verb = command.verb.as_str();
        let arg = command.arg.as_deref();
        if !IMPLEMENTED.contains(&verb) {
            return if NOT_IMPLEMENTED.contains(&verb) {
                self.reply(502, "Command not implemented.")
            } else {
                self.reply(500, "Unknown command.")
            };
        }
        if !self.logged_in && !BEFORE_LOGIN.contains(&verb) {
            return self.reply(530, "Please login with USER and PASS.");
        }
        if WRITING.contains(&verb) && !self.config.writable {
            return self.reply(550, "Permission denied: this server is read-only.");
        }
        // RNTO must follow RNFR at once; anything else forgets the RNFR.
        let rename_from = self.rename_from.take();
        match (verb, arg) {
            ("USER", Some(name)) => self.user_command(name),
            ("PASS", password) => self.pass(password.unwrap_or("")),
            ("ACCT", _) => self.reply(502, "ACCT not implemented: no accounts here."),
            ("SYST", _) => self.reply(215, "UNIX Type: L8"),
            ("FEAT", _) => self.feat(),
            ("OPTS", Some(option)) => self.opts(option),
            ("HELP", _) => self.help(),
            ("NOOP", _) => self.reply(200, "NOOP ok."),
            ("QUIT", _) => {
                self.send(reply::line(221, "Goodbye."))?;
                Ok(Flow::Close)
            }
            ("TYPE", Some(kind)) => self.type_command(kind),
            ("MODE", Some(mode)) => match mode.to_ascii_uppercase().as_str() {
                "S" => self.reply(200, "Mode set to S."),
                _ => self.reply(504, "Bad MODE command: only S (stream) is supported."),
            },
            ("STRU", Some(stru)) => match stru.to_ascii_uppercase().as_str() {
                "F" => self.reply(200, "Structure set to F."),
                _ => self.reply(504, "Bad STRU command: only F (file) is supported."),
            },
            ("ALLO", _) => self.reply(202, "ALLO command ignored."),
            ("ABOR", _) => {
                // No transfer runs now: an ABOR during one is the front
                // end's business (it stops the transfer).
                self.data = DataPlan::None;
                self.reply(225, "No transfer to ABOR.")
            }
            ("STAT", None) => self.status(),
            ("STAT", Some(path)) => self.stat_path(path),
            ("PWD" | "XPWD", _) => {
                let text = format!(
                    "{} is the current directory.",
                    reply::quoted(&self.cwd.to_string())
                );
                self.reply(257, &text)
            }
            ("CWD" | "XCWD", Some(path)) => self.cwd_command(path),
            ("CDUP" | "XCUP", _) => self.cwd_command(".."),
            ("PASV", _) => self.pasv(),
            ("EPSV", arg) => self.epsv(arg),
            ("PORT", Some(arg)) => self.port(arg),
            ("EPRT", Some(arg)) => self.eprt(arg),
            ("REST", Some(arg)) => self.rest(arg),
            ("LIST", arg) => self.list(arg, super::listing::Form::Long),
            ("NLST", arg) => self.list(arg, super::listing::Form::Names),
            ("MLSD", arg) => self.list(arg, super::listing::Form::Machine),
            ("MLST", arg) => self.mlst(arg),
            ("SIZE", Some(path)) => self.size(path),
            ("MDTM", Some(path)) => self.mdtm(path),
            ("MFMT", Some(arg)) => self.mfmt(arg),
            ("RETR", Some(path)) => self.retr(path),
            ("STOR", Some(path)) => self.stor(path, super::transfers::StoreKind::Stor),
            ("APPE", Some(path)) => self.stor(path, super::transfers::StoreKind::Appe),
            ("STOU", arg) => self.stor(arg.unwrap_or("file"), super::transfers::StoreKind::Stou),
            ("DELE", Some(path)) => self.dele(path),
            ("MKD" | "XMKD", Some(path)) => self.mkd(path),
            ("RMD" | "XRMD", Some(path)) => self.rmd(path),
            ("RNFR", Some(path)) => self.rnfr(path),
            ("RNTO", Some(path)) => self.rnto(path, rename_from),
            _ => self.reply(501, "Syntax error in parameters or arguments."),
        }
    }

    fn feat(&mut self) -> io::Result<Flow> {
        let features: Vec<String> = [
            "EPRT".to_string(),
            "EPSV".to_string(),
            "MDTM".to_string(),
            "MFMT".to_string(),
            format!("MLST {}", super::listing::MLST_FACTS),
            "PASV".to_string(),
            "REST STREAM".to_string(),
            "SIZE".to_string(),
            "TVFS".to_string(),
            "UTF8".to_string(),
        ]
        .into();
        self.send(reply::multi(211, "Features:", &features, "End"))?;
        Ok(Flow::Continue)
    }

    fn opts(&mut self, option: &str) -> io::Result<Flow> {
        let upper = option.to_ascii_uppercase();
        match upper.split_whitespace().collect::<Vec<_>>()[..] {
            ["UTF8", "ON"] | ["UTF8"] => self.reply(200, "Always in UTF8 mode."),
            _ => self.reply(501, "Option not understood."),
        }
    }

    fn help(&mut self) -> io::Result<Flow> {
        let rows: Vec<String> = IMPLEMENTED
            .chunks(8)
            .map(|row| {
                row.iter()
                    .map(|v| format!("{v:<5}"))
                    .collect::<Vec<_>>()
                    .join(" ")
                    .trim_end()
                    .to_string()
            })
            .collect();
        self.send(reply::multi(
            214,
            "The following commands are recognized.",
            &rows,
            "Help OK.",
        ))?;
        Ok(Flow::Continue)
    }

    fn type_command(&mut self, kind: &str) -> io::Result<Flow> {
        match kind.to_ascii_uppercase().as_str() {
            "A" | "A N" => {
                self.binary = false;
                self.reply(200, "Switching to ASCII mode.")
            }
            "I" | "L 8" => {
                self.binary = true;
                self.reply(200, "Switching to Binary mode.")
            }
            _ => self.reply(504, "Type not supported: use A or I."),
        }
    }

    fn status(&mut self) -> io::Result<Flow> {
        let idle = self.config.idle_timeout.map_or(0, |t| t.as_secs());
        let lines = vec![
            format!("Connected to {}", self.peer),
            format!("Logged in as {}", self.user_name()),
            format!("TYPE: {}", if self.binary { "BINARY" } else { "ASCII" }),
            format!("Session timeout in seconds is {idle}"),
            "Control connection is plain text".to_string(),
            "Data connections will be plain text".to_string(),
        ];
        self.send(reply::multi(
            211,
            "FTP server status:",
            &lines,
            "End of status",
        ))?;
        Ok(Flow::Continue)
    }
}

/// The command as the log shows it: never a password.
fn shown(command: &Command) -> String {
    match (&command.verb[..], &command.arg) {
        ("PASS", Some(_)) => "PASS ****".to_string(),
        (verb, Some(arg)) => format!("{verb} {}", arg.escape_debug()),
        (verb, None) => verb.to_string(),
    }
}

/// SO_RCVTIMEO running out shows as `WouldBlock` (EAGAIN).
pub fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
