//! The course's FTP-style server (protocol `L` / `G` / `P` / `Q`) driven
//! in memory: a session's requests and uploads come from bytes cut into
//! reads, its replies and downloads go to bytes (`FtpHandler::session`
//! with a `Vec<u8>` as its `ReplySink`).
//!
//! Each session gets a fresh library (`root/`, with a link to a file
//! outside it) so that what it uploads can be checked against what it sent.

use super::snapshot;
use std::fs;
use std::io::{self, BufReader, Read};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use examples::ftp::library::{Library, UPLOAD_PREFIX};
use examples::ftp::protocol::{MAX_LINE, Reply};
use examples::ftp::server::FtpHandler;
use framework::Address;

use super::Script;
use super::http::pattern;

/// The bytes of the file outside the library.
pub const SECRET: &[u8] = b"SECRET-OUTSIDE-THE-LIBRARY-9e107d9d";

/// The library's files at the start: `(name, bytes)`.
fn library_files() -> Vec<(String, Vec<u8>)> {
    vec![
        ("a.txt".to_string(), pattern(100, 5)),
        ("big.bin".to_string(), pattern(70_000, 6)),
        ("empty".to_string(), Vec::new()),
    ]
}

/// The reads of a script, handed out one per `read` call (a short one
/// when the caller's buffer is smaller), then end of input.
struct Reads<'a> {
    reads: Vec<&'a [u8]>,
    next: usize,
}

impl Read for Reads<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(read) = self.reads.get_mut(self.next) else {
            return Ok(0);
        };
        let n = read.len().min(buf.len());
        buf[..n].copy_from_slice(&read[..n]);
        *read = &read[n..];
        if read.is_empty() {
            self.next += 1;
        }
        Ok(n)
    }
}

/// One session of `script` against a fresh library, then its checks:
///
/// - nothing panics;
/// - the output is a sequence of reply lines (`OK`, `OK size` followed by
///   exactly `size` bytes, or a reason of printable text), each shorter
///   than a request line may be plus its reason;
/// - no byte of the file outside the library is sent;
/// - nothing changes outside the library, and the library keeps its files
///   (no overwrite); every new file is a whole upload (a `P size name`
///   line of the input names it, with its exact size, and its bytes are in
///   the input); no hidden temporary upload file is left.
pub fn check(script: &Script) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    fs::create_dir_all(&root).expect("root");
    fs::create_dir_all(&outside).expect("outside");
    fs::write(outside.join("secret"), SECRET).expect("the secret");
    for (name, bytes) in library_files() {
        fs::write(root.join(name), bytes).expect("a library file");
    }
    std::os::unix::fs::symlink("../outside/secret", root.join("link")).expect("a link");
    let before = snapshot(dir.path());

    let library = Arc::new(Library::open(&root).expect("the library"));
    let handler = FtpHandler::new(library, None).quiet();
    let reads = Reads {
        reads: script.reads(),
        next: 0,
    };
    let mut rfile = BufReader::with_capacity(8 * 1024, reads);
    let mut out = Vec::new();
    let client = Address::from(SocketAddr::from((Ipv4Addr::LOCALHOST, 40000)));
    // An error is the connection's (the input ended mid-upload): the
    // session ends, as on a server.
    let _ = handler.session(&mut rfile, &mut out, &client);

    check_replies(&out, &script.input);
    assert!(
        !out.windows(SECRET.len()).any(|w| w == SECRET),
        "the file outside the library was sent"
    );
    let after = snapshot(dir.path());
    for (name, bytes) in &before {
        assert_eq!(after.get(name), Some(bytes), "{name} changed or went");
    }
    for (name, bytes) in &after {
        if before.contains_key(name) {
            continue;
        }
        let name = name
            .strip_prefix("root/")
            .unwrap_or_else(|| panic!("{name} appeared outside the library"));
        assert!(
            !name.starts_with(UPLOAD_PREFIX),
            "a temporary upload file was left: {name}"
        );
        assert!(
            uploaded(&script.input, name, bytes),
            "{name} ({} bytes) is not a whole upload",
            bytes.len()
        );
    }
}

/// Whether `input` has a `P size name` request for this file with its
/// exact size (anywhere: an upload before it may have taken the start of
/// its line), and the file's bytes (a file cut short would not be whole).
fn uploaded(input: &[u8], name: &str, bytes: &[u8]) -> bool {
    let ending = [b" ", name.as_bytes(), b"\n"].concat();
    let asked = (0..input.len()).any(|at| {
        let Some(rest) = input[at..].strip_prefix(b"P ") else {
            return false;
        };
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let size = std::str::from_utf8(&rest[..digits])
            .ok()
            .and_then(|d| d.parse::<usize>().ok());
        size == Some(bytes.len()) && rest[digits..].starts_with(&ending)
    });
    asked && (bytes.is_empty() || input.windows(bytes.len()).any(|w| w == bytes))
}

/// The output read as the client reads it: a reply line, and after
/// `OK size` that many bytes.
fn check_replies(out: &[u8], input: &[u8]) {
    let mut rest = out;
    while !rest.is_empty() {
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            panic!(
                "a reply without its LF: {:?} (input {:?})",
                String::from_utf8_lossy(rest),
                String::from_utf8_lossy(input)
            );
        };
        let line = &rest[..end];
        rest = &rest[end + 1..];
        let text = std::str::from_utf8(line).expect("a reply is UTF-8");
        assert!(
            !text.chars().any(char::is_control),
            "a control character in the reply {text:?}"
        );
        assert!(
            line.len() <= 2 * MAX_LINE + 256,
            "a reply of {} bytes",
            line.len()
        );
        match Reply::parse(line) {
            Ok(Reply::Ok(Some(size))) => {
                let size = usize::try_from(size).expect("a small size");
                assert!(
                    rest.len() >= size,
                    "OK {size} and then {} bytes",
                    rest.len()
                );
                rest = &rest[size..];
            }
            Ok(_) => {}
            Err(err) => panic!("{err}"),
        }
    }
}
