//! `ftp-client` as a person and a script use it: the menu driven through
//! its standard input, and the one-shot forms with their one-line errors.

mod ftp_common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use nix::sys::signal::Signal;

use ftp_common::{DEADLINE, entries, library, pattern, run_client, start};
use tests::bin_path;
use tests::in_process::within;
use tests::procfs::wait_until;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_menu_driven_through_stdin() {
    let dir = library(&[("hello.txt", b"hello\n"), ("my notes.txt", b"##")]);
    let server = start("threading", dir.path());
    let cwd = tempfile::tempdir().unwrap();
    fs::write(cwd.path().join("mine.txt"), b"uploaded by the menu\n").unwrap();
    let input = "list\nget hello.txt\nget my notes.txt\nput mine.txt\nput mine.txt\n\
                 get missing.txt\nget ../etc/passwd\nget\nbogus\nput /no/such/file\nhelp\nlist\nquit\n";
    let output = run_client(cwd.path(), &[&server.addr()], input, DEADLINE);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stderr), "");
    // Each prompt is followed by what the command printed; put a line break
    // after each prompt so that the snapshot reads as a conversation.
    let conversation = text(&output.stdout).replace("(command): ", "(command): ⏎\n");
    insta::assert_snapshot!(conversation);
    assert_eq!(fs::read(cwd.path().join("hello.txt")).unwrap(), b"hello\n");
    assert_eq!(fs::read(cwd.path().join("my notes.txt")).unwrap(), b"##");
    assert_eq!(
        fs::read(dir.path().join("mine.txt")).unwrap(),
        b"uploaded by the menu\n"
    );
    assert_eq!(
        entries(cwd.path()),
        ["hello.txt", "mine.txt", "my notes.txt"],
        "nothing else written, no temporary file left"
    );
}

#[test]
fn the_menu_ends_at_end_of_input() {
    let dir = library(&[]);
    let server = start("threading", dir.path());
    let cwd = tempfile::tempdir().unwrap();
    let output = run_client(cwd.path(), &[&server.addr()], "list\n", DEADLINE);
    assert!(output.status.success());
    let stdout = text(&output.stdout);
    assert!(stdout.contains("(the library is empty)"), "{stdout}");
    server
        .wait_for_line("L: OK, 0 files", Duration::from_secs(10))
        .expect("the server saw the list");
}

#[test]
fn one_shot_forms() {
    let dir = library(&[("a.txt", b"A"), ("b c.txt", b"BC")]);
    let server = start("threading", dir.path());
    let addr = server.addr();
    let cwd = tempfile::tempdir().unwrap();

    let listed = run_client(cwd.path(), &[&addr, "list"], "", DEADLINE);
    assert!(listed.status.success());
    assert_eq!(text(&listed.stdout), "a.txt\nb c.txt\n");

    let got = run_client(cwd.path(), &[&addr, "get", "b c.txt"], "", DEADLINE);
    assert!(got.status.success());
    assert_eq!(
        text(&got.stdout),
        "downloaded b c.txt to b c.txt (2 bytes)\n"
    );
    assert_eq!(fs::read(cwd.path().join("b c.txt")).unwrap(), b"BC");

    fs::create_dir(cwd.path().join("sub")).unwrap();
    let got = run_client(
        cwd.path(),
        &[&addr, "get", "a.txt", "-o", "sub/x.txt"],
        "",
        DEADLINE,
    );
    assert!(got.status.success(), "{}", text(&got.stderr));
    assert_eq!(fs::read(cwd.path().join("sub/x.txt")).unwrap(), b"A");

    // A transfer over 1 MiB with stdout not a terminal: no progress bar.
    fs::write(cwd.path().join("big.bin"), pattern(4, 3 << 20)).unwrap();
    let put = run_client(cwd.path(), &[&addr, "put", "big.bin"], "", DEADLINE);
    assert!(put.status.success());
    assert_eq!(text(&put.stdout), "uploaded big.bin (3145728 bytes)\n");
    assert_eq!(text(&put.stderr), "");
    let got = run_client(
        cwd.path(),
        &[&addr, "get", "big.bin", "-o", "big2.bin"],
        "",
        DEADLINE,
    );
    assert_eq!(
        text(&got.stdout),
        "downloaded big.bin to big2.bin (3145728 bytes)\n"
    );
    assert_eq!(text(&got.stderr), "");
    assert!(fs::read(cwd.path().join("big2.bin")).unwrap() == pattern(4, 3 << 20));

    // Errors: one line on stderr, exit status 1, nothing written. A local
    // file whose name holds a newline must not reach the wire: "P 3 x\nL\n"
    // would store "x" and run the rest of the name as a request.
    fs::write(cwd.path().join("x\nL"), b"abc").unwrap();
    let library_before = entries(dir.path());
    let before = entries(cwd.path());
    for (args, message) in [
        (
            vec!["get", "missing.txt"],
            "cannot get \"missing.txt\": no such file\n",
        ),
        (
            vec!["put", "big.bin"],
            "cannot put \"big.bin\": file already exists\n",
        ),
        (
            vec!["put", "nothing-here.txt"],
            "cannot put \"nothing-here.txt\": cannot read nothing-here.txt: no such file or directory\n",
        ),
        (
            vec!["get", "../x"],
            "cannot get \"../x\": bad name: a name cannot contain / or \\\n",
        ),
        (
            vec!["put", "x\nL"],
            "cannot put \"x\\nL\": bad name: a name cannot contain control characters\n",
        ),
    ] {
        let mut all = vec![addr.as_str()];
        all.extend(args.iter().copied());
        let output = run_client(cwd.path(), &all, "", DEADLINE);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_eq!(text(&output.stderr), message, "{args:?}");
        assert_eq!(text(&output.stdout), "", "{args:?}");
    }
    assert_eq!(entries(cwd.path()), before);
    assert_eq!(entries(dir.path()), library_before);
}

#[test]
fn a_server_that_is_down_is_one_line_and_exit_1() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let cwd = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{port}");
    for args in [vec![addr.as_str(), "list"], vec![addr.as_str()]] {
        let output = run_client(cwd.path(), &args, "", DEADLINE);
        assert_eq!(output.status.code(), Some(1));
        assert_eq!(
            text(&output.stderr),
            format!("cannot connect to 127.0.0.1:{port}: connection refused\n")
        );
    }
}

/// A fake server that promises `OK 100000` and sends only part of it.
/// Ctrl+C (or SIGTERM) in the middle of a download: the hidden temporary
/// file goes too (a signal skips destructors, so the client deletes it
/// first), and the client still dies of that signal, so that a shell
/// running a script of downloads stops there.
#[test]
fn a_signal_mid_download_leaves_nothing() {
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        // A server that announces 100000 bytes, sends 10, and waits.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (done, finished) = std::sync::mpsc::channel::<()>();
        let server = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let mut stream = stream;
            stream.write_all(b"OK 100000\n0123456789").unwrap();
            let _ = finished.recv_timeout(DEADLINE);
        });
        let cwd = tempfile::tempdir().unwrap();
        let mut client = Command::new(bin_path("ftp-client"))
            .args([addr.as_str(), "get", "data.bin"])
            .current_dir(cwd.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The temporary file exists once the download has begun (the
        // signal thread starts before the client even connects).
        assert!(
            wait_until(DEADLINE, || !entries(cwd.path()).is_empty()),
            "the download never started"
        );
        let pid = nix::unistd::Pid::from_raw(client.id() as i32);
        nix::sys::signal::kill(pid, signal).unwrap();
        assert!(
            wait_until(DEADLINE, || client.try_wait().unwrap().is_some()),
            "ftp-client did not stop on {signal}"
        );
        let status = client.wait().unwrap();
        assert_eq!(status.signal(), Some(signal as i32), "{status:?}");
        assert_eq!(entries(cwd.path()), Vec::<String>::new(), "{signal}");
        done.send(()).unwrap();
        server.join().unwrap();
    }
}

fn short_server() -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request = String::new();
        reader.read_line(&mut request).unwrap();
        assert_eq!(request, "G data.bin\n");
        let mut stream = stream;
        stream.write_all(b"OK 100000\n").unwrap();
        stream.write_all(&[b'x'; 5000]).unwrap();
        // Dropping the stream closes the connection mid-body.
    });
    (addr, handle)
}

#[test]
fn a_failed_download_leaves_no_partial_file() {
    let cwd = tempfile::tempdir().unwrap();
    // No file at the target before: none after.
    let (addr, server) = short_server();
    let output = run_client(cwd.path(), &[&addr, "get", "data.bin"], "", DEADLINE);
    within(DEADLINE, move || server.join().unwrap());
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        "cannot get \"data.bin\": the server closed the connection after 5000 of 100000 bytes\n"
    );
    assert_eq!(
        entries(cwd.path()),
        Vec::<String>::new(),
        "no partial, no temp file"
    );

    // An older file at the target: left as it was.
    fs::write(cwd.path().join("data.bin"), b"old").unwrap();
    let (addr, server) = short_server();
    let output = run_client(cwd.path(), &[&addr, "get", "data.bin"], "", DEADLINE);
    within(DEADLINE, move || server.join().unwrap());
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(fs::read(cwd.path().join("data.bin")).unwrap(), b"old");
    assert_eq!(entries(cwd.path()), ["data.bin"]);
}

#[test]
fn a_progress_bar_only_on_a_terminal() {
    let content = pattern(6, 3 << 20);
    let edge = pattern(7, 1 << 20);
    let dir = library(&[
        ("big.bin", &content),
        ("small.bin", b"small"),
        ("edge.bin", &edge),
    ]);
    let server = start("threading", dir.path());
    let cwd = tempfile::tempdir().unwrap();
    let upload = pattern(8, 2 << 20);
    fs::write(cwd.path().join("up.bin"), &upload).unwrap();
    // stdout is a pseudo-terminal here, as in a person's shell.
    let on_terminal = |args: &[&str]| -> String {
        let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
        let mut child = Command::new(bin_path("ftp-client"))
            .arg(server.addr())
            .args(args)
            .current_dir(cwd.path())
            .stdin(Stdio::null())
            .stdout(Stdio::from(pty.slave))
            .stderr(Stdio::null())
            .spawn()
            .expect("ftp-client starts");
        let mut master = fs::File::from(pty.master);
        let reader = thread::spawn(move || {
            let mut seen = Vec::new();
            // Ends with EIO once the client, the last holder of the
            // terminal's other end, has exited.
            let _ = std::io::Read::read_to_end(&mut master, &mut seen);
            String::from_utf8_lossy(&seen).into_owned()
        });
        assert!(
            wait_until(DEADLINE, || child.try_wait().unwrap().is_some()),
            "ftp-client did not finish"
        );
        reader.join().unwrap()
    };
    let big = on_terminal(&["get", "big.bin"]);
    assert!(
        big.contains("3.00 MiB"),
        "a bar with the total size: {big:?}"
    );
    assert!(big.contains("downloaded big.bin"), "{big:?}");
    let small = on_terminal(&["get", "small.bin"]);
    assert!(!small.contains("B/"), "no bar for 5 bytes: {small:?}");
    assert!(small.contains("downloaded small.bin"), "{small:?}");
    // "Over 1 MiB": exactly 1 MiB gets no bar.
    let exactly = on_terminal(&["get", "edge.bin"]);
    assert!(!exactly.contains("B/"), "no bar for 1 MiB: {exactly:?}");
    assert!(exactly.contains("downloaded edge.bin"), "{exactly:?}");
    // Uploads get one too.
    let up = on_terminal(&["put", "up.bin"]);
    assert!(up.contains("2.00 MiB"), "a bar for the upload: {up:?}");
    assert!(up.contains("uploaded up.bin"), "{up:?}");
    assert!(fs::read(cwd.path().join("big.bin")).unwrap() == content);
    assert!(fs::read(dir.path().join("up.bin")).unwrap() == upload);
}
