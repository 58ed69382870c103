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
//! - [`client`]: the `ftp-client` program, menu and one-shot forms;
//! - [`rfc959`]: standard FTP on the same library, the `ftpd` program.

pub mod client;
pub mod library;
pub mod protocol;
pub mod rfc959;
pub mod server;
pub mod transfer;

use std::io;

/// An I/O error in a few lower-case words, without the `(os error N)` tail
/// and without any path: `connection refused`, `no space left on device`.
/// A reason sent to a client must not show the server's own paths.
pub fn describe(err: &io::Error) -> String {
    if let Some(code) = err.raw_os_error() {
        let text = nix::errno::Errno::from_raw(code).desc();
        let mut chars = text.chars();
        return match chars.next() {
            Some(first) => first.to_lowercase().chain(chars).collect(),
            None => err.to_string(),
        };
    }
    // An error that wraps an OS error and adds a path (tempfile's errors
    // do: "Not a directory (os error 20) at path \"/srv/...\""): the OS
    // error's words only. The wrapped error cannot be reached through the
    // `Error` trait, but its number is in the text.
    let text = err.to_string();
    match wrapped_os_error(&text) {
        Some(code) => describe(&io::Error::from_raw_os_error(code)),
        None => text,
    }
}

/// The `N` of an `(os error N)` inside an error's text.
fn wrapped_os_error(text: &str) -> Option<i32> {
    let start = text.find("(os error ")? + "(os error ".len();
    let digits = &text[start..];
    let end = digits.find(')')?;
    digits[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_os_error_in_words() {
        let err = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert_eq!(describe(&err), "connection refused");
    }

    #[test]
    fn a_tempfile_error_without_its_path() {
        let file = tempfile::NamedTempFile::new().unwrap();
        // A plain file where a directory should be.
        let err = tempfile::Builder::new()
            .tempfile_in(file.path())
            .unwrap_err();
        assert!(err.to_string().contains("at path"), "{err}");
        assert_eq!(describe(&err), "not a directory");
    }

    #[test]
    fn a_message_of_our_own_stays() {
        let err = io::Error::other("the file shrank");
        assert_eq!(describe(&err), "the file shrank");
        let err = io::Error::new(io::ErrorKind::UnexpectedEof, "the client left");
        assert_eq!(describe(&err), "the client left");
    }
}
