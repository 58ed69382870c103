//! One control connection's session: the greeting, the command loop,
//! the command table, and the commands that only talk (login: `login.rs`).
//!
//! The state RFC 959 keeps per session lives here: who logged in, the
//! current directory, the transfer type, the next data connection
//! (PASV/PORT), a restart point (REST) and a name to rename (RNFR).

use std::io::{self, Write};
use std::net::{IpAddr, TcpListener};
use std::os::fd::AsFd;

use framework::StreamRequest;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::abort_watch::{client_wants_stop, looks_like_abort};
use super::command::{Command, MAX_COMMAND_LINE};
use super::config::Config;
use super::handler::log;
use super::path::VirtualPath;
use super::reply;
use crate::ftp::protocol::{LineError, read_line};

/// What to do after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Read the next command.
    Continue,
    /// Close the connection (QUIT, too many failures, the client left).
    Close,
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
    "MDTM", "MKD", "MLSD", "MLST", "MODE", "NLST", "NOOP", "OPTS", "PASS", "PASV", "PORT", "PWD",
    "QUIT", "REST", "RETR", "RMD", "RNFR", "RNTO", "SIZE", "STAT", "STOR", "STOU", "STRU", "SYST",
    "TYPE", "USER", "XCUP", "XCWD", "XMKD", "XPWD", "XRMD",
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
    "APPE", "DELE", "MKD", "XMKD", "RMD", "XRMD", "RNFR", "RNTO", "STOR", "STOU",
];

/// One session's state.
pub struct Session<'a> {
    /// The server's settings.
    pub config: &'a Config,
    /// The control connection.
    pub request: &'a mut StreamRequest,
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
}

impl<'a> Session<'a> {
    /// A new session on `request`.
    pub fn new(
        config: &'a Config,
        request: &'a mut StreamRequest,
        peer: IpAddr,
        local: IpAddr,
    ) -> Session<'a> {
        Session {
            config,
            request,
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
        }
    }

    /// Greets the client and answers commands until QUIT, the end of the
    /// connection, a line too long or the idle timeout.
    pub fn run(&mut self) -> io::Result<()> {
        self.send(reply::line(220, "socketserver-rs ftpd ready."))?;
        loop {
            let line = match read_line(&mut self.request.rfile, MAX_COMMAND_LINE) {
                Ok(Some(line)) => line,
                Ok(None) | Err(LineError::Truncated) => return Ok(()),
                Err(LineError::TooLong) => {
                    // Where would the next command start? Say so and close.
                    let text =
                        format!("Command line too long (the limit is {MAX_COMMAND_LINE} bytes).");
                    self.send(reply::line(500, &text))?;
                    self.log("closed: command line too long");
                    return Ok(());
                }
                Err(LineError::Io(err)) if is_timeout(&err) => {
                    let secs = self.config.idle_timeout.unwrap_or_default().as_secs();
                    let text = format!(
                        "Timeout: no command for {secs} s, closing the control connection."
                    );
                    let _ = self.send(reply::line(421, &text));
                    self.log("closed: idle timeout");
                    return Ok(());
                }
                Err(LineError::Io(err)) => return Err(err),
            };
            let flow = match Command::parse(&line) {
                Ok(command) => {
                    let shown = shown(&command);
                    let flow = self.dispatch(command)?;
                    self.log(&format!("{shown}: {}", self.last_reply));
                    flow
                }
                Err(text) => {
                    self.send(reply::line(500, text))?;
                    Flow::Continue
                }
            };
            if flow == Flow::Close {
                return Ok(());
            }
        }
    }

    /// One line of the server's log (unless the settings turn it off).
    pub fn log(&self, text: &str) {
        if self.config.log {
            log(self.request, text);
        }
    }

    /// Writes a reply (one or several lines) on the control connection.
    pub fn send(&mut self, text: String) -> io::Result<()> {
        self.last_reply = text.lines().next().unwrap_or("").to_string();
        (&self.request.wfile).write_all(text.as_bytes())
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
                // Transfers run in this thread, so none is running now; an
                // ABOR during a transfer is seen by the transfer itself.
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
            ("LIST", arg) => self.list(arg, super::transfers::Listing::Long),
            ("NLST", arg) => self.list(arg, super::transfers::Listing::Names),
            ("MLSD", arg) => self.list(arg, super::transfers::Listing::Machine),
            ("MLST", arg) => self.mlst(arg),
            ("SIZE", Some(path)) => self.size(path),
            ("MDTM", Some(path)) => self.mdtm(path),
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

    /// True if the client has sent `ABOR` or closed the control
    /// connection (looked at without taking anything out).
    pub fn control_says_stop(&self) -> bool {
        let buffered = self.request.rfile.buffer();
        if !buffered.is_empty() {
            return looks_like_abort(buffered);
        }
        let control = self.request.connection();
        let mut fds = [PollFd::new(control.as_fd(), PollFlags::POLLIN)];
        matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0) && client_wants_stop(control)
    }

    /// After a transfer stopped by the client: reads
    /// what stopped it and answers (`426` for the transfer, `226` for the ABOR).
    pub fn answer_abort(&mut self) -> io::Result<Flow> {
        match read_line(&mut self.request.rfile, MAX_COMMAND_LINE) {
            Ok(Some(_abor)) => {
                self.send(reply::line(426, "Connection closed; transfer aborted."))?;
                self.log("ABOR during a transfer");
                self.reply(226, "ABOR successful.")
            }
            _ => Ok(Flow::Close),
        }
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
