//! The FTP-style protocol as transcripts: exactly which bytes go each way.
//! These are the example exchanges of `notes/ftp-protocol.md`.

mod ftp_common;

use std::os::unix::fs::symlink;

use ftp_common::{library, start};
use tests::Transcript;

#[test]
fn ftp_whole_session() {
    let dir = library(&[
        ("hello.txt", b"hello, world\n"),
        ("my file.txt", b"##"),
        ("\u{7c98}\u{5305}.txt", b"##\n"),
        (".secret", b"hidden"),
    ]);
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    symlink("/etc/hostname", dir.path().join("outside")).unwrap();
    let server = start("threading", dir.path());
    let mut t = Transcript::connect(&server.addr()).expect("connect");

    t.note("L: OK and the size of the listing, then the names, each ending in LF");
    t.note("(sorted; hidden files, folders and symlinks are left out)");
    t.send(b"L\n").unwrap();
    let size = reply_size(&t.recv_line().unwrap());
    t.recv_exact(size).unwrap();

    t.note("G name: OK and the file's size, then exactly that many bytes");
    t.send(b"G hello.txt\n").unwrap();
    let size = reply_size(&t.recv_line().unwrap());
    t.recv_exact(size).unwrap();
    t.note("a name with a space; the file is the course's old end marker");
    t.send(b"G my file.txt\n").unwrap();
    let size = reply_size(&t.recv_line().unwrap());
    t.recv_exact(size).unwrap();

    t.note("refusals: one line, the reason; the session goes on");
    for name in [
        "missing.txt",
        "outside",
        "folder",
        "../etc/passwd",
        ".secret",
        "..",
        "",
    ] {
        t.send(format!("G {name}\n").as_bytes()).unwrap();
        t.recv_line().unwrap();
    }

    t.note("P size name: OK means go ahead; then the bytes; then OK once stored");
    t.send(b"P 11 new file.txt\n").unwrap();
    t.recv_line().unwrap();
    t.send(b"12345\n##\n!!").unwrap();
    t.recv_line().unwrap();
    t.note("an empty file");
    t.send(b"P 0 empty.txt\n").unwrap();
    t.recv_line().unwrap();
    t.recv_line().unwrap();
    t.note("a 0-byte file: OK 0 and no body");
    t.send(b"G empty.txt\n").unwrap();
    assert_eq!(reply_size(&t.recv_line().unwrap()), 0);
    t.note("a name that exists is refused before any byte is sent");
    t.send(b"P 3 hello.txt\n").unwrap();
    t.recv_line().unwrap();
    t.send(b"P 3 a/b\n").unwrap();
    t.recv_line().unwrap();

    t.send(b"L\n").unwrap();
    let size = reply_size(&t.recv_line().unwrap());
    t.recv_exact(size).unwrap();

    t.note("malformed requests get a reason too");
    t.send(b"X\n").unwrap();
    t.recv_line().unwrap();
    t.send(b"P many x.txt\n").unwrap();
    t.recv_line().unwrap();
    t.send(b"L please\n").unwrap();
    t.recv_line().unwrap();

    t.note("Q: the server closes the connection without a reply");
    t.send(b"Q\n").unwrap();
    t.recv_eof().unwrap();
    insta::assert_snapshot!(t.render());
}

#[test]
fn ftp_empty_library() {
    let dir = library(&[]);
    let server = start("threading", dir.path());
    let mut t = Transcript::connect(&server.addr()).expect("connect");
    t.note("an empty library: a listing of size 0, never a hang");
    t.send(b"L\n").unwrap();
    t.recv_line().unwrap();
    t.note("closing the connection is the same as Q");
    t.shutdown_write().unwrap();
    t.recv_eof().unwrap();
    insta::assert_snapshot!(t.render());
}

#[test]
fn ftp_malformed_requests() {
    let dir = library(&[("a.txt", b"a")]);
    let server = start("threading", dir.path());

    let mut t = Transcript::connect(&server.addr()).expect("connect");
    t.note("an absurd size is refused: nothing is allocated for it");
    t.send(b"P 99999999999999999999999 big.bin\n").unwrap();
    t.recv_line().unwrap();
    t.send(b"P 18446744073709551615 big.bin\n").unwrap();
    t.recv_line().unwrap();
    t.note("a line longer than 1024 bytes: the reason, then the server hangs up");
    t.send_summarized(&[b'G'; 2000], "2000 bytes of G, no LF")
        .unwrap();
    t.recv_line().unwrap();
    t.recv_eof().unwrap();

    let mut t2 = Transcript::connect(&server.addr()).expect("connect");
    t2.note("a truncated request (no LF before the end): the server hangs up");
    t2.send(b"G a.t").unwrap();
    t2.shutdown_write().unwrap();
    t2.recv_eof().unwrap();

    let mut text = t.render();
    text.push_str(&t2.render());
    insta::with_settings!({filters => vec![(r"\d+ bytes free", "<N> bytes free")]}, {
        insta::assert_snapshot!(text);
    });
}

/// The size in an `OK size\n` reply.
fn reply_size(line: &[u8]) -> usize {
    let text = std::str::from_utf8(line).unwrap().trim_end();
    text.strip_prefix("OK ")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("expected `OK size`, got {text:?}"))
}
