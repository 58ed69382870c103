//! Data connections and the commands that use them.
//!
//! A transfer goes: the client sets up the next data connection (PASV or
//! EPSV: the server listens; PORT or EPRT: the server will connect), then
//! sends the command. The server opens the data connection, replies
//! `150`, moves the bytes, closes the data connection (its end is the end
//! of the file), and replies `226` on the control connection. Each data
//! connection carries one listing or one file, then it is gone.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::net::TcpStream;
use std::os::unix::fs::OpenOptionsExt;
use std::time::SystemTime;

use super::abort_watch::watching;
use super::active::{self, bounce_problem};
use super::listing::{self, facts, ls_line};
use super::passive::{self, accept_from, epsv_text, pasv_text};
use super::session::{DataPlan, Flow, Session};
use super::store::{self, Broken, Mode, Store};
use crate::ftp::describe;
use crate::ftp::protocol::parse_size;
use crate::ftp::transfer::send_file_from;

/// Which listing format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// LIST: `ls -l` lines.
    Long,
    /// NLST: names.
    Names,
    /// MLSD: facts and names.
    Machine,
}

/// Which upload command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// STOR (with REST: resume).
    Stor,
    /// APPE.
    Appe,
    /// STOU.
    Stou,
}

impl Session<'_> {
    /// PASV: listen on an IPv4 port and say which.
    pub fn pasv(&mut self) -> io::Result<Flow> {
        if self.epsv_all {
            return self.reply(503, "PASV not allowed after EPSV ALL.");
        }
        if !self.local.is_ipv4() {
            return self.reply(425, "PASV is IPv4 only: use EPSV.");
        }
        match passive::listen(self.local, self.config.passive_ports) {
            Ok(listener) => {
                let text = listener.local_addr().ok().and_then(pasv_text);
                self.data = DataPlan::Passive(listener);
                self.reply(227, &text.unwrap_or_default())
            }
            Err(err) => self.reply(
                425,
                &format!("Cannot open passive connection: {}.", describe(&err)),
            ),
        }
    }

    /// EPSV (RFC 2428): PASV for IPv4 and IPv6, the port only; `EPSV ALL`
    /// promises that no PORT, EPRT or PASV follows.
    pub fn epsv(&mut self, arg: Option<&str>) -> io::Result<Flow> {
        let family = if self.local.is_ipv4() { "1" } else { "2" };
        match arg.map(str::to_ascii_uppercase).as_deref() {
            None => {}
            Some("ALL") => {
                self.epsv_all = true;
                return self.reply(200, "EPSV ALL ok.");
            }
            Some(asked) if asked == family => {}
            Some(_) => {
                return self.reply(
                    522,
                    &format!("Network protocol not supported, use ({family})."),
                );
            }
        }
        match passive::listen(self.local, self.config.passive_ports) {
            Ok(listener) => {
                let port = listener.local_addr()?.port();
                self.data = DataPlan::Passive(listener);
                self.reply(229, &epsv_text(port))
            }
            Err(err) => self.reply(
                425,
                &format!("Cannot open passive connection: {}.", describe(&err)),
            ),
        }
    }

    /// PORT: the address to connect to, if it is the client's own.
    pub fn port(&mut self, arg: &str) -> io::Result<Flow> {
        if self.epsv_all {
            return self.reply(503, "PORT not allowed after EPSV ALL.");
        }
        let Some(target) = active::parse_port(arg) else {
            return self.reply(501, "Illegal PORT command.");
        };
        if let Some(problem) = bounce_problem(target, self.peer) {
            return self.reply(501, problem);
        }
        self.data = DataPlan::Active(target);
        self.reply(200, "PORT command successful. Consider using PASV.")
    }

    /// EPRT (RFC 2428): PORT for IPv4 and IPv6.
    pub fn eprt(&mut self, arg: &str) -> io::Result<Flow> {
        if self.epsv_all {
            return self.reply(503, "EPRT not allowed after EPSV ALL.");
        }
        let target = match active::parse_eprt(arg) {
            Ok(target) => target,
            Err(active::EprtError(code, text)) => return self.reply(code, text),
        };
        if let Some(problem) = bounce_problem(target, self.peer) {
            return self.reply(501, problem);
        }
        self.data = DataPlan::Active(target);
        self.reply(200, "EPRT command successful. Consider using EPSV.")
    }

    /// REST: where the next RETR or STOR starts.
    pub fn rest(&mut self, arg: &str) -> io::Result<Flow> {
        match parse_size(arg) {
            Some(offset) => {
                self.restart = offset;
                self.reply(350, &format!("Restart position accepted ({offset})."))
            }
            None => self.reply(501, "Bad REST parameter: a byte count is needed."),
        }
    }

    /// The data connection planned by PASV/EPSV/PORT/EPRT, or `None` after
    /// a `425` was sent. A passive listener accepts only the client's own
    /// address; either way the wait is bounded by `--data-timeout`.
    fn open_data(&mut self) -> io::Result<Option<TcpStream>> {
        let timeout = self.config.data_timeout;
        let opened = match std::mem::replace(&mut self.data, DataPlan::None) {
            DataPlan::None => {
                self.reply(425, "Use PORT or PASV first.")?;
                return Ok(None);
            }
            DataPlan::Passive(listener) => {
                let mut strangers = 0;
                let result = accept_from(&listener, self.peer, timeout, &mut strangers);
                if strangers > 0 {
                    self.log(&format!(
                        "refused {strangers} data connection(s) from other addresses"
                    ));
                }
                result
            }
            DataPlan::Active(target) => active::connect(self.local, target, timeout),
        };
        let data = match opened {
            Ok(data) => data,
            Err(err) => {
                let why = if super::session::is_timeout(&err) {
                    format!("none came within {} s", timeout.as_secs())
                } else {
                    describe(&err)
                };
                self.reply(425, &format!("Failed to establish connection: {why}."))?;
                return Ok(None);
            }
        };
        data.set_read_timeout(Some(timeout))?;
        data.set_write_timeout(Some(timeout))?;
        Ok(Some(data))
    }

    /// LIST, NLST, MLSD: the listing of a directory (or, for LIST and NLST,
    /// of one file) over a data connection.
    pub fn list(&mut self, arg: Option<&str>, kind: Listing) -> io::Result<Flow> {
        // `LIST -la` and `LIST -l dir`: ls options, which clients send out
        // of habit, are not a path.
        let arg = arg
            .map(|a| {
                let mut rest = a;
                while rest.starts_with('-') && kind != Listing::Machine {
                    rest = rest.split_once(' ').map_or("", |(_, r)| r);
                }
                rest
            })
            .filter(|a| !a.is_empty());
        let Some(path) = self.resolve(arg.unwrap_or("."))? else {
            return Ok(Flow::Continue);
        };
        let now = SystemTime::now();
        let writable = self.config.writable;
        let lines: Vec<String> = match self.config.root.existing(&path) {
            Ok((disk, meta)) if meta.is_dir() => match listing::entries(&disk) {
                Ok(entries) => entries
                    .iter()
                    .map(|e| match kind {
                        Listing::Long => ls_line(&e.name, &e.meta, now),
                        Listing::Names => e.name.clone(),
                        Listing::Machine => format!("{} {}", facts(&e.meta, writable), e.name),
                    })
                    .collect(),
                Err(err) => {
                    return self.reply(550, &format!("Cannot list it: {}.", describe(&err)));
                }
            },
            Ok(_) if kind == Listing::Machine => {
                return self.reply(501, "MLSD needs a directory: use MLST for a file.");
            }
            Ok((_, meta)) => match kind {
                Listing::Long => vec![ls_line(path.name(), &meta, now)],
                _ => vec![path.name().to_string()],
            },
            Err(reason) => return self.reply(550, &format!("Cannot list it: {reason}")),
        };
        let body = listing::body(lines);
        let Some(mut data) = self.open_data()? else {
            return Ok(Flow::Continue);
        };
        self.reply(150, "Here comes the directory listing.")?;
        if let Err(err) = data.write_all(&body) {
            drop(data);
            return self.reply(
                426,
                &format!("Connection closed; transfer aborted: {}.", describe(&err)),
            );
        }
        drop(data);
        self.reply(226, "Directory send OK.")
    }

    /// RETR: a file's bytes (from the REST point) over a data connection,
    /// by `splice`, never through this program's memory.
    pub fn retr(&mut self, arg: &str) -> io::Result<Flow> {
        let start = std::mem::take(&mut self.restart);
        let Some(path) = self.resolve(arg)? else {
            return Ok(Flow::Continue);
        };
        let disk = match self.config.root.existing(&path) {
            Ok((disk, meta)) if meta.is_file() => disk,
            Ok(_) => return self.reply(550, "Failed to open file: not a regular file."),
            Err(reason) => return self.reply(550, &format!("Failed to open file: {reason}")),
        };
        // O_NOFOLLOW: if the name became a link since the check, refuse.
        let opened = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&disk);
        let file = match opened.and_then(|f| f.metadata().map(|m| (f, m))) {
            Ok((file, meta)) if meta.is_file() => file,
            Ok(_) => return self.reply(550, "Failed to open file: not a regular file."),
            Err(err) => {
                return self.reply(550, &format!("Failed to open file: {}.", describe(&err)));
            }
        };
        let size = file.metadata()?.len();
        if start > size {
            return self.reply(
                554,
                &format!("Invalid REST parameter: the file has {size} bytes."),
            );
        }
        let Some(data) = self.open_data()? else {
            return Ok(Flow::Continue);
        };
        let mode = if self.binary { "BINARY" } else { "ASCII" };
        let name = path.name().to_string();
        self.reply(
            150,
            &format!(
                "Opening {mode} mode data connection for {name} ({} bytes).",
                size - start
            ),
        )?;
        let control = self.request.connection();
        let (sent, aborted) = watching(control, &data, || {
            send_file_from(&data, &file, start, size, |_| {})
        });
        drop(data);
        match sent {
            _ if aborted => self.answer_abort(),
            Ok(()) => self.reply(226, "Transfer complete."),
            Err(err) => self.reply(
                426,
                &format!("Connection closed; transfer aborted: {}.", describe(&err)),
            ),
        }
    }

    /// STOR, APPE, STOU: bytes from a data connection into a file that
    /// appears whole, once the data connection has ended normally and the
    /// client is still there (see [`store`]).
    pub fn stor(&mut self, arg: &str, kind: StoreKind) -> io::Result<Flow> {
        let start = std::mem::take(&mut self.restart);
        let Some(path) = self.resolve(arg)? else {
            return Ok(Flow::Continue);
        };
        let (dir, name) = match self.config.root.parent_of(&path) {
            Ok(found) => found,
            Err(reason) => return self.reply(553, &format!("Could not create file: {reason}")),
        };
        let mode = match kind {
            StoreKind::Stor if start > 0 => Mode::Resume(start),
            StoreKind::Stor => Mode::Replace,
            StoreKind::Appe => Mode::Append,
            StoreKind::Stou => Mode::Unique,
        };
        let mut upload = match Store::begin(&dir, name, mode) {
            Ok(upload) => upload,
            Err((code, text)) => return self.reply(code, &text),
        };
        let Some(data) = self.open_data()? else {
            return Ok(Flow::Continue);
        };
        let text = match kind {
            StoreKind::Stou => format!("FILE: {}", Store::unique_name(&dir, name)),
            _ => "Ok to send data.".to_string(),
        };
        self.reply(150, &text)?;
        let control = self.request.connection();
        let (received, aborted) =
            watching(control, &data, || store::receive(&mut &data, upload.file()));
        drop(data);
        match received {
            Ok(_) if aborted || self.control_says_stop() => {
                // The data connection ended because the client went away
                // (or aborted): a part of a file, which is not stored.
                drop(upload);
                self.answer_abort()
            }
            Ok(bytes) => match upload.finish() {
                Ok(stored) => self.reply(
                    226,
                    &format!("Transfer complete: {bytes} bytes stored as {stored}."),
                ),
                Err(reason) => self.reply(451, &reason),
            },
            Err(_) if aborted => {
                drop(upload);
                self.answer_abort()
            }
            Err(Broken::Write(err)) => {
                drop(upload);
                let code = match err.raw_os_error() {
                    Some(libc::ENOSPC | libc::EFBIG | libc::EDQUOT) => 452,
                    _ => 451,
                };
                self.reply(
                    code,
                    &format!(
                        "Failure writing the file: {}; nothing stored.",
                        describe(&err)
                    ),
                )
            }
            Err(Broken::Connection(err)) => {
                drop(upload);
                self.reply(
                    426,
                    &format!(
                        "Connection closed; transfer aborted: {}; nothing stored.",
                        describe(&err)
                    ),
                )
            }
        }
    }
}
