//! One transfer, from the opening of its data connection to its last
//! reply: the part of LIST, RETR, STOR ... that waits.
//!
//! The commands (`transfers.rs`) check everything that can be checked at
//! once (the path, the file, the upload's temporary file) and hand back a
//! [`Transfer`]; the front end runs it where waiting does no harm. The
//! blocking front end runs it in the session's own thread
//! (`on_thread.rs`); the event loop gives it to a worker thread and goes
//! on serving the other sessions (`on_loop.rs`). What the transfer needs
//! from the control connection meanwhile, each front end gives its own way
//! ([`ControlSide`]): the `150` reply at once, and a watch for `ABOR`.

use std::fs::File;
use std::io::{self, Write};
use std::net::{IpAddr, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, SystemTime};

use super::active;
use super::handler::log;
use super::listing::ToList;
use super::passive::accept_from;
use super::reply;
use super::session::DataPlan;
use super::store::{self, Broken, Store};
use crate::ftp::describe;
use crate::ftp::transfer::{keep_unsent_short, send_whole_file_from};

/// A transfer ready to run: everything decided, nothing waited for yet.
#[derive(Debug)]
pub struct Transfer {
    /// Where the data connection comes from (PASV/EPSV or PORT/EPRT).
    pub(super) plan: DataPlan,
    /// What goes over it.
    pub(super) work: Work,
    /// The client's address (a passive connection must come from it).
    pub(super) peer: IpAddr,
    /// Our address on the control connection (active connections leave from it).
    pub(super) local: IpAddr,
    /// Longest wait for the data connection, or for it to move a byte.
    pub(super) timeout: Duration,
    /// The client as the log names it.
    pub(super) client: String,
    /// Whether to log at all (`Config::log`).
    pub(super) log: bool,
    /// The command as the log shows it.
    pub shown: String,
}

/// What a transfer moves.
#[derive(Debug)]
pub enum Work {
    /// LIST, NLST, MLSD.
    Listing(ToList),
    /// RETR: `file` from `start` to `size`; `opening` is the `150` text.
    Retr {
        /// The open file.
        file: File,
        /// The REST point.
        start: u64,
        /// The size when it was opened.
        size: u64,
        /// The `150` reply's text.
        opening: String,
    },
    /// STOR, APPE, STOU: into `upload`; `opening` is the `150` text.
    Store {
        /// The upload's temporary file.
        upload: Store,
        /// The `150` reply's text.
        opening: String,
    },
}

/// How a transfer ended.
#[derive(Debug)]
pub enum Ending {
    /// With this reply (`226`, or `425`/`426`/`451`/`452` ...).
    Replied(String),
    /// The client stopped it: `ABOR`, or it closed the control connection.
    /// The front end answers (`426`, then `226` for the ABOR) or closes.
    Aborted,
}

impl Ending {
    /// The reply that ends the transfer: its own, or `426` if the client
    /// stopped it (an ABOR is then answered by a `226` of its own).
    pub fn reply(&self) -> String {
        match self {
            Ending::Replied(text) => text.clone(),
            Ending::Aborted => reply::line(426, "Connection closed; transfer aborted."),
        }
    }
}

/// What a running transfer needs from the control connection.
pub trait ControlSide {
    /// Sends a reply now, before the transfer goes on (the `150`).
    fn send_now(&mut self, text: &str) -> io::Result<()>;

    /// Runs `wait`, which blocks on `socket` (the passive listener or the
    /// data connection), while watching the control connection: if the
    /// client sends `ABOR` or leaves, `socket` is shut down, which ends
    /// the wait at once. Returns what `wait` returned and whether the
    /// client stopped it.
    fn watching<T>(&mut self, socket: BorrowedFd<'_>, wait: impl FnOnce() -> T) -> (T, bool);

    /// Whether the client has sent `ABOR` or left: asked when an upload's
    /// data connection ended, since a client that gives up closes it too.
    fn client_stopped(&mut self) -> bool;
}

impl Transfer {
    /// Opens the data connection, sends `150`, moves the bytes, and says
    /// how it ended. Blocks for as long as the transfer takes.
    /// Logs the command with the first line of its last reply.
    pub fn run(mut self, control: &mut impl ControlSide) -> Ending {
        let (client, shown) = (self.client.clone(), std::mem::take(&mut self.shown));
        let log_on = self.log;
        // An error here is the control connection's (the 150 could not go).
        let ending = self
            .run_inner(control)
            .unwrap_or_else(|err| aborted_by(&err, ""));
        let reply = ending.reply();
        if log_on {
            log(
                &client,
                &format!("{shown}: {}", reply.lines().next().unwrap_or("")),
            );
        }
        ending
    }

    fn run_inner(mut self, control: &mut impl ControlSide) -> io::Result<Ending> {
        if let Work::Store { upload, .. } = &mut self.work {
            // APPE, REST + STOR: the old bytes go in first, here rather
            // than on the event loop's thread (a large file takes a while).
            if let Err((code, text)) = upload.keep_old_bytes() {
                return Ok(Ending::Replied(reply::line(code, &text)));
            }
        }
        // A directory is read here, before its data connection opens (a
        // failure is then a plain 550), rather than on the event loop's
        // thread. Empty for a file's bytes.
        let listing = match &self.work {
            Work::Listing(to_list) => match to_list.body(SystemTime::now()) {
                Ok(body) => body,
                Err(err) => {
                    let text = format!("Cannot list it: {}.", describe(&err));
                    return Ok(Ending::Replied(reply::line(550, &text)));
                }
            },
            _ => Vec::new(),
        };
        let data = match self.open_data(control) {
            Ok(data) => data,
            Err(ending) => return Ok(ending),
        };
        match self.work {
            Work::Listing(_) => {
                control.send_now(&reply::line(150, "Here comes the directory listing."))?;
                let (sent, stopped) =
                    control.watching(data.as_fd(), || (&data).write_all(&listing));
                drop(data);
                Ok(send_ending(sent, stopped, "Directory send OK."))
            }
            Work::Retr {
                file,
                start,
                size,
                opening,
            } => {
                control.send_now(&reply::line(150, &opening))?;
                keep_unsent_short(&data);
                let (sent, stopped) = control.watching(data.as_fd(), || {
                    send_whole_file_from(&data, &file, start, size)
                });
                drop(data);
                Ok(send_ending(sent, stopped, "Transfer complete."))
            }
            Work::Store {
                mut upload,
                opening,
            } => {
                control.send_now(&reply::line(150, &opening))?;
                let (received, stopped) =
                    control.watching(data.as_fd(), || store::receive(&data, upload.file()));
                drop(data);
                Ok(store_ending(received, stopped, upload, control))
            }
        }
    }

    /// The data connection planned by PASV/EPSV/PORT/EPRT, or the reply
    /// that says why there is none (`425`). A passive listener accepts only
    /// the client's own address; either way the wait is bounded by
    /// `--data-timeout`, and ABOR ends it.
    fn open_data(&mut self, control: &mut impl ControlSide) -> Result<TcpStream, Ending> {
        let timeout = self.timeout;
        let plan = std::mem::replace(&mut self.plan, DataPlan::None);
        let (opened, stopped) = match plan {
            DataPlan::None => {
                return Err(Ending::Replied(reply::line(425, "Use PORT or PASV first.")));
            }
            DataPlan::Passive(listener) => {
                let mut strangers = 0;
                let accepted = control.watching(listener.as_fd(), || {
                    accept_from(&listener, self.peer, timeout, &mut strangers)
                });
                self.log_strangers(strangers);
                accepted
            }
            DataPlan::Active(target) => (active::connect(self.local, target, timeout), false),
        };
        if stopped {
            return Err(Ending::Aborted);
        }
        let data = opened.map_err(|err| {
            let why = if super::session::is_timeout(&err) {
                format!("none came within {} s", timeout.as_secs())
            } else {
                describe(&err)
            };
            Ending::Replied(reply::line(
                425,
                &format!("Failed to establish connection: {why}."),
            ))
        })?;
        let timeouts = data
            .set_read_timeout(Some(timeout))
            .and_then(|()| data.set_write_timeout(Some(timeout)));
        if let Err(err) = timeouts {
            return Err(aborted_by(&err, ""));
        }
        Ok(data)
    }

    fn log_strangers(&self, strangers: u32) {
        if strangers > 0 && self.log {
            log(
                &self.client,
                &format!("refused {strangers} data connection(s) from other addresses"),
            );
        }
    }
}

/// How a listing or a download ended: `226 done` if everything was sent,
/// `426` if the client stopped it or the data connection failed.
fn send_ending(sent: io::Result<()>, stopped: bool, done: &str) -> Ending {
    match sent {
        _ if stopped => Ending::Aborted,
        Ok(()) => Ending::Replied(reply::line(226, done)),
        Err(err) => aborted_by(&err, ""),
    }
}

/// How an upload ended: stored (`226`) only if the data connection ended
/// normally and the client did not give up; otherwise nothing is stored.
fn store_ending(
    received: Result<u64, Broken>,
    stopped: bool,
    upload: Store,
    control: &mut impl ControlSide,
) -> Ending {
    match received {
        // The data connection ended because the client went away (or
        // aborted): a part of a file, which is not stored.
        Ok(_) if stopped || control.client_stopped() => Ending::Aborted,
        Ok(bytes) => match upload.finish() {
            Ok(stored) => Ending::Replied(reply::line(
                226,
                &format!("Transfer complete: {bytes} bytes stored as {stored}."),
            )),
            Err(reason) => Ending::Replied(reply::line(451, &reason)),
        },
        Err(_) if stopped => Ending::Aborted,
        Err(Broken::Write(err)) => {
            let code = match err.raw_os_error() {
                Some(libc::ENOSPC | libc::EFBIG | libc::EDQUOT) => 452,
                _ => 451,
            };
            Ending::Replied(reply::line(
                code,
                &format!(
                    "Failure writing the file: {}; nothing stored.",
                    describe(&err)
                ),
            ))
        }
        Err(Broken::Connection(err)) => aborted_by(&err, "; nothing stored"),
    }
}

/// `426`: the data connection failed.
fn aborted_by(err: &io::Error, what_else: &str) -> Ending {
    Ending::Replied(reply::line(
        426,
        &format!(
            "Connection closed; transfer aborted: {}{what_else}.",
            describe(err)
        ),
    ))
}
