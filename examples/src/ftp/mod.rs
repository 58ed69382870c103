//! The FTP-style file server and its client: the course's main project.
//!
//! A server keeps a *library* (a directory); clients list it, download
//! files from it and upload files to it, many clients at once.
//!
//! The course's letters are kept (`L`, `G name`, `P name`, `Q`, replies
//! `OK` or a reason), but not its framing: the course ended files with an
//! in-band `##` marker and slowed the sender with `sleep(0.1)` against
//! sticky packets (粘包). Here every request and reply is one line, and every
//! body (a listing, a file) is preceded by its exact size in bytes, so the
//! receiver always knows where a message ends. The byte-by-byte
//! specification is `notes/ftp-protocol.md`.
//!
//! - [`protocol`]: the requests and replies, and reading a bounded line;
//! - [`library`]: the served directory: the listing, safe names, opening a
//!   file to send, and uploads that appear only when complete;
//! - [`transfer`]: file bytes to a socket with `splice` (or `sendfile`), from a socket
//!   with `splice`, never through our own buffers;
//! - [`server`]: the request handler and the `ftp-server` program;
//! - [`client`]: the `ftp-client` program, menu and one-shot forms.

pub mod client;
pub mod library;
pub mod protocol;
pub mod server;
pub mod transfer;

use std::io;

/// An I/O error in a few lower-case words, without the `(os error N)` tail:
/// `connection refused`, `no space left on device`.
pub fn describe(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => {
            let text = nix::errno::Errno::from_raw(code).desc();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => err.to_string(),
            }
        }
        None => match err.get_ref().and_then(|inner| inner.source()) {
            // Errors that wrap an OS error with a path (tempfile's do):
            // the OS error's words, without the path.
            Some(source) => match source.downcast_ref::<io::Error>() {
                Some(os_error) => describe(os_error),
                None => err.to_string(),
            },
            None => err.to_string(),
        },
    }
}
