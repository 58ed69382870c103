//! Lesson 17: the FTP-style file server, the course's main project.
//!
//! A real `ftp-server` serves a temporary library; scripted `ftp-client`s
//! list, upload, download, make mistakes and work at the same time; and a
//! bare socket shows the bytes on the wire: every request and reply is one
//! line, and every body is preceded by its size, so nothing can stick
//! together (粘包) and no byte value is special.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use examples::lesson_kit::{Program, heading, read_next, say};

use crate::LessonResult;

/// How long any one step may take before the lesson gives up.
const STEP: Duration = Duration::from_secs(10);

/// Runs the lesson.
pub fn run() -> LessonResult {
    let scratch = tempfile::tempdir()?;
    let library = scratch.path().join("library");
    let local = scratch.path().join("client");
    fs::create_dir(&library)?;
    fs::create_dir(&local)?;
    fs::write(library.join("hello.txt"), "hello, world\n")?;
    fs::write(library.join("old marker.txt"), "##")?;
    fs::write(library.join("粘包.txt"), "two sends, one recv\n")?;
    fs::write(library.join(".hidden"), "not listed")?;

    heading("the server");
    say("ftp-server serves a library directory; here a temporary one with three files");
    say("(and a hidden one, which is never listed or served).");
    let server = Program::server(
        "server",
        "ftp-server",
        &["--directory", text(&library)?, "--model", "threading", "0"],
    )?;
    say(&format!("server pid {}", server.pid()));
    let addr = format!("127.0.0.1:{}", server.port);

    heading("list (L)");
    client("client", &[&addr, "list"], "old marker.txt")?;

    heading("put (P) and get (G), byte-exact");
    let upload = local.join("report.bin");
    let content: Vec<u8> = (0..=255u8).cycle().take(100_000).chain(*b"##").collect();
    fs::write(&upload, &content)?;
    say("report.bin: 100002 bytes, every byte value, ending in the course's old `##` marker");
    client("client", &[&addr, "put", text(&upload)?], "uploaded")?;
    let back = local.join("report copy.bin");
    client(
        "client",
        &[&addr, "get", "report.bin", "-o", text(&back)?],
        "downloaded",
    )?;
    let same = fs::read(&back)? == content;
    say(&format!(
        "the download is byte-exact: {}",
        if same { "yes" } else { "NO" }
    ));
    if !same {
        return Err("the downloaded file differs from the uploaded one".into());
    }

    heading("mistakes get a reason, one line, and a non-zero exit");
    client("client", &[&addr, "get", "missing.txt"], "no such file")?;
    client(
        "client",
        &[&addr, "put", text(&upload)?],
        "file already exists",
    )?;
    client("client", &[&addr, "get", "../etc/passwd"], "bad name")?;

    heading("two clients at once");
    let (a, b) = (local.join("a.bin"), local.join("b.bin"));
    fs::write(&a, vec![b'a'; 4 << 20])?;
    fs::write(&b, vec![b'b'; 4 << 20])?;
    say("two uploads of 4 MiB start together; the threading server gives each its own thread");
    let mut first = Program::start("client-A", "ftp-client", &[&addr, "put", text(&a)?])?;
    let mut second = Program::start("client-B", "ftp-client", &[&addr, "put", text(&b)?])?;
    for program in [&mut first, &mut second] {
        program
            .wait_for("uploaded", STEP)
            .ok_or("a concurrent upload did not finish")?;
        program.wait_exit(STEP);
    }
    client("client", &[&addr, "list"], "report.bin")?;

    heading("the bytes on the wire");
    say("a bare TCP connection, to see the framing: request lines, `OK size`, exact bodies");
    wire(&addr)?;

    heading("the menu");
    say("without a command, ftp-client prints the course's menu and prompt");
    let mut menu = Program::start("menu", "ftp-client", &[&addr])?;
    menu.type_line("list")?;
    menu.type_line("quit")?;
    menu.wait_for("bye", STEP)
        .ok_or("the menu client did not quit")?;
    menu.wait_exit(STEP);

    heading("stopping");
    server.interrupt();
    say("the server stopped on Ctrl+C; the temporary library is removed");

    read_next(
        "notes/17-ftp-server.md (and the wire protocol: notes/ftp-protocol.md)",
        &[
            "examples/src/ftp/protocol.rs   requests, replies, bounded lines, names",
            "examples/src/ftp/server.rs     the handler: one session per connection",
            "examples/src/ftp/library.rs    listing, safe opening, uploads renamed when whole",
            "examples/src/ftp/transfer.rs   sendfile and splice",
            "examples/src/ftp/client.rs     the menu and the one-shot forms",
        ],
    );
    Ok(())
}

/// Runs one `ftp-client` to the end, waiting for a line containing `expect`.
fn client(label: &str, args: &[&str], expect: &str) -> LessonResult {
    let mut program = Program::start(label, "ftp-client", args)?;
    program
        .wait_for(expect, STEP)
        .ok_or_else(|| format!("ftp-client {args:?} did not print {expect:?}"))?;
    program
        .wait_exit(STEP)
        .ok_or("ftp-client did not exit by itself")?;
    Ok(())
}

/// `L` and `G hello.txt` over a bare socket, each byte shown.
fn wire(addr: &str) -> LessonResult {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(STEP))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    for request in ["L\n", "G hello.txt\n"] {
        println!("[wire] C: {}", request.escape_debug());
        writer.write_all(request.as_bytes())?;
        let mut reply = String::new();
        reader.read_line(&mut reply)?;
        println!("[wire] S: {}", reply.escape_debug());
        let size: u64 = reply
            .trim_end()
            .strip_prefix("OK ")
            .and_then(|s| s.parse().ok())
            .ok_or("expected OK and a size")?;
        let mut body = Vec::new();
        (&mut reader).take(size).read_to_end(&mut body)?;
        println!(
            "[wire] S: ({size} bytes) {}",
            String::from_utf8_lossy(&body).escape_debug()
        );
    }
    println!("[wire] C: Q\\n");
    writer.write_all(b"Q\n")?;
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest)?;
    println!("[wire] S: (the server closes the connection)");
    Ok(())
}

/// A path as `&str` (the temporary paths here are always UTF-8).
fn text(path: &Path) -> Result<&str, String> {
    path.to_str()
        .ok_or_else(|| format!("not a UTF-8 path: {}", path.display()))
}
