//! Data connections and the commands that use them.
//!
//! A transfer goes: the client sets up the next data connection (PASV or
//! EPSV: the server listens; PORT or EPRT: the server will connect), then
//! sends the command. The server opens the data connection, replies
//! `150`, moves the bytes, closes the data connection (its end is the end
//! of the file), and replies `226` on the control connection. Each data
//! connection carries one listing or one file, then it is gone.

use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::time::SystemTime;

use super::active::{self, bounce_problem};
use super::job::{Transfer, Work};
use super::listing::{self, Form, ToList, ls_line};
use super::passive::{self, epsv_text, pasv_text};
use super::session::{DataPlan, Flow, Session};
use super::store::{Mode, Store};
use crate::ftp::describe;
use crate::ftp::protocol::parse_size;

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

impl Session {
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

    /// The transfer of `work` over the data connection planned by
    /// PASV/EPSV/PORT/EPRT (which it uses up), for the front end to run.
    fn transfer(&mut self, work: Work) -> io::Result<Flow> {
        Ok(Flow::Transfer(Box::new(Transfer {
            plan: std::mem::replace(&mut self.data, DataPlan::None),
            work,
            peer: self.peer,
            local: self.local,
            timeout: self.config.data_timeout,
            client: self.client.clone(),
            log: self.config.log,
            shown: String::new(),
        })))
    }

    /// LIST, NLST, MLSD: the listing of a directory (or, for LIST and NLST,
    /// of one file) over a data connection. A directory is read when the
    /// transfer runs ([`ToList`]).
    pub fn list(&mut self, arg: Option<&str>, form: Form) -> io::Result<Flow> {
        // `LIST -la` and `LIST -l dir`: ls options, which clients send out
        // of habit, are not a path.
        let arg = arg
            .map(|a| {
                let mut rest = a;
                while rest.starts_with('-') && form != Form::Machine {
                    rest = rest.split_once(' ').map_or("", |(_, r)| r);
                }
                rest
            })
            .filter(|a| !a.is_empty());
        let Some(path) = self.resolve(arg.unwrap_or("."))? else {
            return Ok(Flow::Continue);
        };
        let to_list = match self.config.root.existing(&path) {
            Ok((dir, meta)) if meta.is_dir() => ToList::Directory {
                dir,
                form,
                writable: self.config.writable,
            },
            Ok(_) if form == Form::Machine => {
                return self.reply(501, "MLSD needs a directory: use MLST for a file.");
            }
            Ok((_, meta)) => ToList::Made(listing::body([match form {
                Form::Long => ls_line(path.name(), &meta, SystemTime::now()),
                _ => path.name().to_string(),
            }])),
            Err(reason) => return self.reply(550, &format!("Cannot list it: {reason}")),
        };
        self.transfer(Work::Listing(to_list))
    }

    /// RETR: a file's bytes (from the REST point) over a data connection,
    /// by one `sendfile`, never through this program's memory (see [`job`](super::job)).
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
        let mode = if self.binary { "BINARY" } else { "ASCII" };
        let opening = format!(
            "Opening {mode} mode data connection for {} ({} bytes).",
            path.name(),
            size - start
        );
        self.transfer(Work::Retr {
            file,
            start,
            size,
            opening,
        })
    }

    /// STOR, APPE, STOU: bytes from a data connection into a file that
    /// appears whole, once the data connection has ended normally and the
    /// client is still there (see [`store`](super::store), [`job`](super::job)).
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
        let upload = match Store::begin(&dir, name, mode) {
            Ok(upload) => upload,
            Err((code, text)) => return self.reply(code, &text),
        };
        let opening = match kind {
            StoreKind::Stou => format!("FILE: {}", Store::unique_name(&dir, name)),
            _ => "Ok to send data.".to_string(),
        };
        self.transfer(Work::Store { upload, opening })
    }
}
