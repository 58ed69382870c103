//! Standard FTP (RFC 959): a second front door on the course's file
//! library, for the FTP clients people already have (curl, lftp, Python's
//! `ftplib`, FileZilla). The program is `ftpd`.
//!
//! The course's protocol (`L`, `G`, `P`, `Q`, see `notes/ftp-protocol.md`)
//! carries requests and file bytes on one connection, framing the bytes
//! by a size sent first. RFC 959 uses two: a *control connection* for
//! commands and numbered replies (`RETR a.txt` → `150 ...`, `226 ...`),
//! and a new *data connection* for each listing or file, whose end marks
//! the end of the bytes. Lesson 17's note compares the two.
//!
//! What is shared with the course's server: the name check
//! (`protocol::name_problem`), uploads to a hidden temporary file renamed
//! when whole (`library::UPLOAD_PREFIX`, `tempfile`'s atomic persist),
//! zero-copy downloads (`transfer::send_whole_file_from`), and the
//! framework's threading and forking models and its event loop.
//!
//! One idea per file:
//! - [`config`]: the command line and the settings;
//! - [`handler`]: the framework handler: limits, timeouts, the greeting;
//! - [`session`]: a session's state, the command table, simple commands;
//! - [`on_thread`]: the blocking front end: a session in its own thread
//!   or process (threading, forking models);
//! - [`on_loop`], [`worker`]: the event-loop front end (`--model poll`):
//!   control connections on the loop, each transfer on a worker thread;
//! - [`login`]: USER and PASS;
//! - [`files`]: the current directory and the commands on names
//!   (CWD, MKD, DELE, RNFR/RNTO, SIZE, MLST ...);
//! - [`transfers`]: data connections and the commands that use them
//!   (LIST, NLST, MLSD, RETR, STOR, APPE, STOU);
//! - [`job`]: one transfer, from its data connection to its last reply,
//!   whichever front end runs it;
//! - [`command`], [`reply`]: a command line in, a reply out;
//! - [`path`]: client paths to disk paths, never outside the root, no symlinks;
//! - [`listing`]: the `ls -l`, names-only and MLSD formats;
//! - [`clock`]: dates in UTC;
//! - [`passive`], [`active`]: PASV/EPSV listeners and PORT/EPRT
//!   connections, and their security checks;
//! - [`store`]: uploads that appear whole or not at all;
//! - [`abort_watch`]: ABOR during a transfer, seen by a second thread;
//! - [`auth`]: anonymous or one named user;
//! - [`limits`]: connections in total and per address, across processes.

pub mod abort_watch;
pub mod active;
pub mod auth;
pub mod clock;
pub mod command;
pub mod config;
pub mod files;
pub mod handler;
pub mod job;
pub mod limits;
pub mod listing;
pub mod login;
pub mod on_loop;
pub mod on_thread;
pub mod passive;
pub mod path;
pub mod reply;
pub mod session;
pub mod store;
pub mod transfers;
pub mod worker;
