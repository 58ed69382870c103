//! What can go wrong inside a request, and how it is reported.

use std::fmt;
use std::io::{self, Write};

use crate::Address;

/// Why a request failed: the handler returned an error, or it panicked.
#[derive(Debug)]
pub enum RequestError {
    /// The handler (or the framework around it) returned an I/O error.
    Io(io::Error),
    /// The handler panicked; the text is the panic message.
    Panic(String),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Io(err) => write!(f, "{err} ({:?})", err.kind()),
            RequestError::Panic(message) => write!(f, "the handler panicked: {message}"),
        }
    }
}

impl std::error::Error for RequestError {}

/// Out of descriptors or memory: errors that go away when other requests
/// finish, unlike a bad address or a reset connection.
pub(crate) fn is_resource_shortage(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// The default `handle_error`: the report Python's `BaseServer.handle_error`
/// prints on stderr, naming the client. The server then goes on.
pub fn print_request_error(client: &Address, error: &RequestError) {
    let line = "-".repeat(40);
    let report = format!(
        "{line}\nException occurred during processing of request from {client}\n{error}\n{line}\n"
    );
    // One write, so that reports from several threads do not interleave.
    let _ = io::stderr().lock().write_all(report.as_bytes());
}
