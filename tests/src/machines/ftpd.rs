//! The RFC 959 server's session (`ftpd`) on its control connection, fed
//! any command lines, in memory: a [`Session`] takes a command line and
//! leaves its replies to be taken, with no socket behind it (both of
//! `ftpd`'s front ends drive it so).
//!
//! A transfer runs here too, on this thread, with a [`ControlSide`] that
//! collects its replies. Its data connection never comes: `PORT` and
//! `EPRT` lines are dropped (the server would connect to whatever port
//! they name on this machine), and the `PASV` / `EPSV` listener, which
//! nothing connects to, gives up after a millisecond with a `425`. What is
//! fuzzed is the command loop: login, paths, directories, renames,
//! deletes, the transfers' refusals, replies.

use super::snapshot;
use std::fs;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::time::Duration;

use examples::ftp::rfc959::auth::Accounts;
use examples::ftp::rfc959::command::MAX_COMMAND_LINE;
use examples::ftp::rfc959::config::Config;
use examples::ftp::rfc959::job::ControlSide;
use examples::ftp::rfc959::limits::ConnectionLimits;
use examples::ftp::rfc959::path::Root;
use examples::ftp::rfc959::session::{Flow, Session};

/// A name that lives only outside the root: no reply may ever show it.
pub const OUTSIDE_NAME: &str = "outside-only-name-6f1ed002";

/// Most input a session takes here.
const MAX_INPUT: usize = 32 * 1024;

/// The command lines of `input` without `PORT` and `EPRT` (see the module
/// documentation), at most [`MAX_INPUT`] bytes.
fn without_active_mode(input: &[u8]) -> Vec<u8> {
    let mut kept = Vec::new();
    for line in input.split_inclusive(|&b| b == b'\n') {
        let verb: Vec<u8> = line
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .take(4)
            .map(u8::to_ascii_uppercase)
            .collect();
        if !verb.starts_with(b"PORT") && !verb.starts_with(b"EPRT") {
            kept.extend_from_slice(line);
        }
    }
    kept.truncate(MAX_INPUT);
    kept
}

/// One session on a fresh, writable root (files, a directory, links in
/// and out), then its checks:
///
/// - nothing panics;
/// - the output is replies only: every line ends in CRLF; a reply is
///   `ddd text` or a multi-line `ddd-text` ... `ddd text` with the same
///   code, its inner lines indented; the first is `220`;
/// - no reply shows a name that exists only outside the root;
/// - nothing outside the root changes, and nothing appears beside it.
pub fn check(input: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    fs::create_dir_all(root.join("sub")).expect("root");
    fs::create_dir_all(outside.join(OUTSIDE_NAME)).expect("outside");
    fs::write(outside.join(OUTSIDE_NAME).join(OUTSIDE_NAME), b"x").expect("a file");
    fs::write(root.join("a.txt"), b"a file\n").expect("a file");
    fs::write(root.join("sub/b.txt"), b"another\n").expect("a file");
    std::os::unix::fs::symlink("../outside", root.join("out")).expect("a link");
    std::os::unix::fs::symlink(&outside, root.join("sub/abs")).expect("a link");
    let before = snapshot(&outside);

    let config = Config {
        root: Root::open(&root).expect("the root"),
        accounts: Accounts::Anonymous,
        writable: true,
        idle_timeout: Some(Duration::from_secs(5)),
        data_timeout: Duration::from_millis(1),
        passive_ports: None,
        limits: ConnectionLimits::new(8, 8).expect("the limits"),
        login_delay: Duration::ZERO,
        max_login_failures: 3,
        log: false,
    };
    let input = without_active_mode(input);
    let out = run(Arc::new(config), &input);

    check_replies(&out, &input);
    let text = String::from_utf8_lossy(&out);
    assert!(
        !text.contains(OUTSIDE_NAME),
        "a reply shows a name from outside the root: {text:?}"
    );
    assert_eq!(
        snapshot(&outside),
        before,
        "something changed outside the root"
    );
    let beside: Vec<_> = fs::read_dir(dir.path())
        .expect("the temporary directory")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        beside.len(),
        2,
        "something appeared beside the root: {beside:?}"
    );
}

/// What a transfer's control side does here: its replies are collected;
/// the client never stops it (its lines come after the transfer's end).
struct Collect<'a>(&'a mut Vec<u8>);

impl ControlSide for Collect<'_> {
    fn send_now(&mut self, text: &str) -> std::io::Result<()> {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }

    fn watching<T>(&mut self, _socket: BorrowedFd<'_>, wait: impl FnOnce() -> T) -> (T, bool) {
        (wait(), false)
    }

    fn client_stopped(&mut self) -> bool {
        false
    }
}

/// Runs one session over `input` as the blocking front end would
/// (`on_thread.rs`): the greeting, then each whole line (a last line
/// without its LF is never carried out), until QUIT or a line too long.
/// Returns every byte the server would have sent.
fn run(config: Arc<Config>, input: &[u8]) -> Vec<u8> {
    let local = IpAddr::from(Ipv4Addr::LOCALHOST);
    let mut session = Session::new(config, "fuzz".into(), local, local);
    let mut out = Vec::new();
    session.greet();
    out.extend_from_slice(session.take_output().as_bytes());
    for line in input.split_inclusive(|&b| b == b'\n') {
        let whole = line.strip_suffix(b"\n");
        // As `read_line` counts: the LF within the limit, and a line
        // without one too long once it fills the limit.
        if line.len() > MAX_COMMAND_LINE || (whole.is_none() && line.len() >= MAX_COMMAND_LINE) {
            session.line_too_long();
            out.extend_from_slice(session.take_output().as_bytes());
            break;
        }
        let Some(line) = whole else {
            break; // cut short: the connection ended mid-line
        };
        let Ok(flow) = session.command(line) else {
            break;
        };
        out.extend_from_slice(session.take_output().as_bytes());
        match flow {
            Flow::Continue => {}
            Flow::Close => break,
            Flow::Transfer(transfer) => {
                let ending = transfer.run(&mut Collect(&mut out));
                if session.send(ending.reply()).is_err() {
                    break;
                }
                out.extend_from_slice(session.take_output().as_bytes());
            }
        }
    }
    out
}

/// The replies' form (RFC 959 §4.2).
fn check_replies(out: &[u8], input: &[u8]) {
    let shown = || String::from_utf8_lossy(input).into_owned();
    assert!(
        out.starts_with(b"220 "),
        "no greeting: {:?}",
        String::from_utf8_lossy(out)
    );
    assert!(
        out.is_empty() || out.ends_with(b"\r\n"),
        "a reply cut short, after {:?}",
        shown()
    );
    // The code of the multi-line reply being read, if one is open.
    let mut open: Option<&[u8]> = None;
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let line = line
            .strip_suffix(b"\r")
            .unwrap_or_else(|| panic!("a line without CR: {:?}", String::from_utf8_lossy(line)));
        assert!(!line.contains(&b'\r'), "a CR inside a line");
        let code_like = line.len() >= 4
            && line[..3].iter().all(u8::is_ascii_digit)
            && (b'1'..=b'5').contains(&line[0])
            && matches!(line[3], b' ' | b'-');
        match open {
            Some(code) if line.starts_with(code) && line.get(3) == Some(&b' ') => open = None,
            Some(_) => assert!(
                line.starts_with(b" ") || !code_like,
                "an inner line that reads as a reply: {:?}",
                String::from_utf8_lossy(line)
            ),
            None => {
                assert!(
                    code_like,
                    "not a reply line: {:?} (input {:?})",
                    String::from_utf8_lossy(line),
                    shown()
                );
                if line[3] == b'-' {
                    open = Some(&line[..3]);
                }
            }
        }
    }
    assert!(open.is_none(), "a multi-line reply never ended");
}
