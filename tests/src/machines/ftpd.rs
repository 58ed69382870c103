//! The RFC 959 server's session (`ftpd`) on its control connection, fed
//! any command lines.
//!
//! Not in memory: the session is written against the framework's
//! `StreamRequest` (a socket), and during a transfer it polls the control
//! socket for `ABOR`; so its control connection here is one end of a Unix
//! socket pair inside this process, written by this thread and read by
//! another. The data connections are left out: `PORT` and `EPRT` lines
//! are dropped (the server would connect to whatever port they name on
//! this machine), and `PASV` / `EPSV` listeners, which nothing connects
//! to, give up after a millisecond. What is fuzzed is the command loop:
//! login, paths, directories, renames, deletes, replies.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use examples::ftp::rfc959::auth::Accounts;
use examples::ftp::rfc959::config::Config;
use examples::ftp::rfc959::limits::ConnectionLimits;
use examples::ftp::rfc959::path::Root;
use examples::ftp::rfc959::session::Session;
use framework::{Address, Connection, StreamRequest};

/// A name that lives only outside the root: no reply may ever show it.
pub const OUTSIDE_NAME: &str = "outside-only-name-6f1ed002";

/// Most input a session takes here (the socket pair holds it all).
const MAX_INPUT: usize = 32 * 1024;

/// Every file and directory below `dir`, links not followed.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in fs::read_dir(&at).expect("a readable directory").flatten() {
            let path = entry.path();
            let name = path.strip_prefix(dir).expect("below dir");
            let name = name.to_string_lossy().into_owned();
            let kind = entry.file_type().expect("a file type");
            if kind.is_dir() {
                stack.push(path.clone());
                files.insert(format!("{name}/"), Vec::new());
            } else if kind.is_symlink() {
                let target = fs::read_link(&path).expect("a link");
                files.insert(name, target.to_string_lossy().into_owned().into_bytes());
            } else {
                files.insert(name, fs::read(&path).expect("a readable file"));
            }
        }
    }
    files
}

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
    let (ours, theirs) = UnixStream::pair().expect("a socket pair");
    let input = without_active_mode(input);
    let client = Address::from(SocketAddr::from((Ipv4Addr::LOCALHOST, 40000)));
    let mut request = StreamRequest::over(Connection::Unix(ours), client).expect("a request");
    let reader = {
        let mut theirs = theirs.try_clone().expect("a second handle");
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = theirs.read_to_end(&mut out);
            out
        })
    };
    (&theirs)
        .write_all(&input)
        .expect("the input fits the socket");
    theirs.shutdown(Shutdown::Write).expect("end of input");
    let local = IpAddr::from(Ipv4Addr::LOCALHOST);
    let _ = Session::new(&config, &mut request, local, local).run();
    drop(request);
    let out = reader.join().expect("the reader");

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
