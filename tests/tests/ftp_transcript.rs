//! The FTP-style protocol as transcripts: exactly which bytes go each way.
//! These are the example exchanges of `notes/ftp-protocol.md`.

mod ftp_common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use ftp_common::{entries, library, pattern, size_of, start, start_with_file_size_limit};
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
    t.recv_to_end().unwrap();
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
    t.recv_to_end().unwrap();
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
    t.recv_to_end().unwrap();

    let mut t2 = Transcript::connect(&server.addr()).expect("connect");
    t2.note("a truncated request (no LF before the end): the server hangs up");
    t2.send(b"G a.t").unwrap();
    t2.shutdown_write().unwrap();
    t2.recv_to_end().unwrap();

    let mut text = t.render();
    text.push_str(&t2.render());
    insta::with_settings!({filters => vec![(r"\d+ bytes free", "<N> bytes free")]}, {
        insta::assert_snapshot!(text);
    });
}

#[test]
fn ftp_name_and_request_refusals() {
    let dir = library(&[("a.txt", b"a")]);
    let server = start("threading", dir.path());
    let mut t = Transcript::connect(&server.addr()).expect("connect");
    let ask = |t: &mut Transcript, line: &[u8]| {
        t.send(line).unwrap();
        t.recv_line().unwrap();
    };
    t.note("each name rule has its reason, for G and P alike");
    ask(&mut t, b"G tab\there.txt\n");
    ask(&mut t, b"P 1 bell\x07.txt\n");
    ask(&mut t, b"G .hidden\n");
    ask(&mut t, b"P 1 back\\slash\n");
    let name = "n".repeat(256);
    t.send_summarized(format!("G {name}\n").as_bytes(), "G, a 256-byte name, LF")
        .unwrap();
    t.recv_line().unwrap();
    t.note("255 bytes is allowed (there is no such file, though)");
    t.send_summarized(
        format!("G {}\n", &name[1..]).as_bytes(),
        "G, a 255-byte name, LF",
    )
    .unwrap();
    t.recv_line().unwrap();
    t.note("a request needs its parts, and its line must be UTF-8");
    ask(&mut t, b"G\n");
    ask(&mut t, b"P\n");
    ask(&mut t, b"P 5\n");
    ask(&mut t, b"Q now\n");
    ask(&mut t, b"G caf\xe9.txt\n");
    ask(&mut t, b"\n");
    t.note("the session is still in step");
    t.send(b"L\n").unwrap();
    let size = reply_size(&t.recv_line().unwrap());
    t.recv_exact(size).unwrap();
    t.send(b"Q\n").unwrap();
    t.recv_to_end().unwrap();
    insta::assert_snapshot!(t.render());
}

#[test]
fn ftp_refusals_after_the_bytes() {
    let dir = library(&[]);
    let server = start("threading", dir.path());
    let mut first = Transcript::connect(&server.addr()).expect("connect");
    let mut second = Transcript::connect(&server.addr()).expect("connect");
    first.note("first client: P same.txt; a second client asks for the same name");
    first.send(b"P 3 same.txt\n").unwrap();
    first.recv_line().unwrap();
    second.note("second client: the name is still free, so it may send too");
    second.send(b"P 5 same.txt\n").unwrap();
    second.recv_line().unwrap();
    first.note("the first to finish stores the file");
    first.send(b"one").unwrap();
    first.recv_line().unwrap();
    first.send(b"Q\n").unwrap();
    first.recv_to_end().unwrap();
    second.note("(after the first client stored same.txt) the second finds it taken");
    second.send(b"two!!").unwrap();
    second.recv_line().unwrap();
    second.send(b"Q\n").unwrap();
    second.recv_to_end().unwrap();
    assert_eq!(std::fs::read(dir.path().join("same.txt")).unwrap(), b"one");
    assert_eq!(entries(dir.path()), ["same.txt"], "no temporary file left");

    // A write error: a file-size limit here; a full disk takes the same path.
    let limited_dir = library(&[]);
    let limited = start_with_file_size_limit("threading", limited_dir.path(), 1 << 20);
    let mut third = Transcript::connect(&limited.addr()).expect("connect");
    third.note("a server that cannot write more than 1 MiB per file (RLIMIT_FSIZE)");
    third.note("it reads all the bytes anyway, then gives the reason");
    third.send(b"P 2097152 big.bin\n").unwrap();
    third.recv_line().unwrap();
    third
        .send_summarized(&pattern(3, 2 << 20), "2097152 bytes")
        .unwrap();
    third.recv_line().unwrap();
    third.note("nothing was stored, and the session goes on");
    third.send(b"L\n").unwrap();
    third.recv_line().unwrap();
    third.send(b"Q\n").unwrap();
    third.recv_to_end().unwrap();
    assert_eq!(entries(limited_dir.path()), Vec::<String>::new());

    let mut text = first.render();
    text.push_str(&second.render());
    text.push_str(&third.render());
    insta::assert_snapshot!(text);
}

#[test]
fn ftp_library_gone() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("library");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), b"a").unwrap();
    let server = start("threading", &dir);
    let mut t = Transcript::connect(&server.addr()).expect("connect");
    t.note("the library folder is replaced by a plain file while the server runs:");
    t.note("the system's errors become reasons, and the session goes on");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::write(&dir, b"not a folder").unwrap();
    for line in [&b"L\n"[..], b"G a.txt\n", b"P 1 b.txt\n"] {
        t.send(line).unwrap();
        t.recv_line().unwrap();
    }
    t.send(b"Q\n").unwrap();
    t.recv_to_end().unwrap();
    assert_eq!(std::fs::read(&dir).unwrap(), b"not a folder");
    insta::assert_snapshot!(t.render());
}

/// Every example exchange in `notes/ftp-protocol.md` was recorded: each
/// request with the replies under it appears, as one run of lines, in a
/// snapshot that the paragraph above the example names (or, if it names
/// none, in any of the FTP transcripts). Only the forms, the blocks with
/// `<name>`, `<size>` or `<reason>` in them, are not examples.
#[test]
fn the_protocol_note_shows_recorded_exchanges() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace");
    let note = fs::read_to_string(root.join("notes/ftp-protocol.md")).unwrap();
    let mut checked = 0;
    for (mut names, block) in example_blocks(&note) {
        let is_form = block.iter().any(|line| {
            ["<name>", "<size>", "<reason>", "<exactly"]
                .iter()
                .any(|word| line.contains(word))
        });
        if is_form {
            continue;
        }
        if names.is_empty() {
            names = all_transcripts(root);
        }
        let recorded: Vec<Vec<String>> = names
            .iter()
            .map(|name| {
                let path = root.join(format!("tests/tests/snapshots/ftp_transcript__{name}.snap"));
                let text = fs::read_to_string(&path)
                    .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
                exchange_lines(&text)
            })
            .collect();
        for exchange in exchanges(&block) {
            assert!(
                recorded
                    .iter()
                    .any(|lines| lines.windows(exchange.len()).any(|w| w == exchange)),
                "notes/ftp-protocol.md shows an exchange that none of {names:?} recorded:\n{}",
                exchange.join("\n")
            );
            checked += 1;
        }
    }
    // The note has dozens; a broken parser would find none and pass.
    assert!(
        checked >= 30,
        "only {checked} example exchanges found in the note"
    );
}

/// The names of all FTP transcripts (`ftp_transcript__NAME.snap`).
fn all_transcripts(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root.join("tests/tests/snapshots"))
        .unwrap()
        .filter_map(|entry| {
            let file = entry.unwrap().file_name().into_string().ok()?;
            let name = file
                .strip_prefix("ftp_transcript__")?
                .strip_suffix(".snap")?;
            Some(name.to_string())
        })
        .collect();
    names.sort();
    names
}

/// The note's code blocks that hold `C:` or `S:` lines, each with the
/// transcripts (`ftp_...` in backquotes) the paragraph above it names.
fn example_blocks(note: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut paragraph = String::new();
    let mut lines = note.lines();
    while let Some(line) = lines.next() {
        // A fence may name a language (```abnf): its end is a bare fence.
        if line.starts_with("```") {
            let block: Vec<String> = lines
                .by_ref()
                .take_while(|l| *l != "```")
                .map(str::to_string)
                .collect();
            let names: Vec<String> = paragraph
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|quoted| quoted.starts_with("ftp_"))
                .map(str::to_string)
                .collect();
            let exchange = block
                .iter()
                .any(|l| l.starts_with("C: ") || l.starts_with("S: "));
            if exchange {
                blocks.push((names, block));
            }
            paragraph.clear();
        } else if line.trim().is_empty() {
            if !paragraph.is_empty() {
                paragraph.push('\n');
            }
        } else {
            if paragraph.ends_with('\n') {
                paragraph.clear();
            }
            paragraph.push_str(line);
            paragraph.push(' ');
        }
    }
    blocks
}

/// A snapshot's `C:` and `S:` lines, without its header and `#` notes.
fn exchange_lines(snapshot: &str) -> Vec<String> {
    let body = snapshot.splitn(3, "---\n").nth(2).expect("an insta header");
    body.lines()
        .filter(|l| l.starts_with("C: ") || l.starts_with("S: "))
        .map(str::to_string)
        .collect()
}

/// A block cut into exchanges: client lines and the server lines after
/// them. A blank line also ends an exchange.
fn exchanges(block: &[String]) -> Vec<Vec<String>> {
    let mut all: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in block {
        let from_client = line.starts_with("C: ");
        let ends = line.trim().is_empty()
            || (from_client && current.last().is_some_and(|l| l.starts_with("S: ")));
        if ends && !current.is_empty() {
            all.push(std::mem::take(&mut current));
        }
        if from_client || line.starts_with("S: ") {
            current.push(line.clone());
        }
    }
    if !current.is_empty() {
        all.push(current);
    }
    all
}

/// The size in an `OK size\n` reply line.
fn reply_size(line: &[u8]) -> usize {
    size_of(std::str::from_utf8(line).unwrap().trim_end()) as usize
}
