//! Bad input loses nothing: bad names, malformed requests, clients that
//! vanish mid-upload, two uploads of one name, a write error. After each,
//! the server still serves.

mod ftp_common;

use std::fs;
use std::net::Shutdown;
use std::os::unix::fs::symlink;
use std::process::Command;
use std::thread;
use std::time::Instant;

use nix::sys::signal::Signal;

use ftp_common::{
    DEADLINE, Raw, entries, library, no_panic_logged, pattern, start, start_with_file_size_limit,
};
use tests::procfs::{children_of, wait_until};
use tests::{ServerProcess, bin_path};

/// The server answers a fresh client normally, and no handler panicked
/// along the way (a panic is caught and the server goes on, so only its
/// stderr tells). Ends the server.
fn still_serves(server: ServerProcess, expected: &[&str]) {
    let mut raw = Raw::connect(&server.addr());
    assert_eq!(raw.list(), expected);
    assert_eq!(
        raw.ask(b"Q"),
        "",
        "Q gets no reply, the connection just closes"
    );
    no_panic_logged(server);
}

#[test]
fn every_bad_name_is_refused_and_nothing_outside_is_touched() {
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("library");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("ok.txt"), b"ok").unwrap();
    fs::write(outer.path().join("secret.txt"), b"outside").unwrap();
    fs::create_dir(dir.join("folder")).unwrap();
    symlink("../secret.txt", dir.join("escape")).unwrap();
    symlink("../created-by-upload", dir.join("dangling")).unwrap();
    let server = start("threading", &dir);
    let mut raw = Raw::connect(&server.addr());

    let long = "x".repeat(256);
    let bad: &[&str] = &[
        "",
        ".",
        "..",
        "../secret.txt",
        "a/b",
        "/etc/passwd",
        "a\\b",
        "..\\x",
        "a\0b",
        "a\x01b",
        "tab\there",
        "del\x7f",
        "esc\x1b[0m",
        "cr\r",
        ".hidden",
        &long,
    ];
    for name in bad {
        let got = raw.get(name).expect_err(name);
        assert!(got.starts_with("bad name: "), "G {name:?}: {got:?}");
        let put = raw.ask(format!("P 1 {name}").as_bytes());
        assert!(put.starts_with("bad name: "), "P {name:?}: {put:?}");
    }
    // 255 bytes is allowed (a 3-byte character 85 times).
    let longest = "\u{6587}".repeat(85);
    assert_eq!(raw.get(&longest), Err("no such file".to_string()));

    // Symlinks are never followed, wherever they point; folders are not files.
    assert_eq!(raw.get("escape"), Err("not a regular file".to_string()));
    assert_eq!(raw.get("folder"), Err("not a regular file".to_string()));
    assert_eq!(raw.get("dangling"), Err("not a regular file".to_string()));
    // An upload onto a (dangling) symlink's name is refused: the link is not followed.
    assert_eq!(
        raw.put("dangling", b"x"),
        Err("file already exists".to_string())
    );
    assert_eq!(
        raw.put("escape", b"x"),
        Err("file already exists".to_string())
    );

    assert_eq!(entries(outer.path()), ["library", "secret.txt"]);
    assert_eq!(
        fs::read(outer.path().join("secret.txt")).unwrap(),
        b"outside"
    );
    assert_eq!(entries(&dir), ["dangling", "escape", "folder", "ok.txt"]);
    still_serves(server, &["ok.txt"]);
}

#[test]
fn malformed_requests_get_a_reason_or_a_closed_connection() {
    for model in ["threading", "forking"] {
        malformed_requests_in(model);
    }
}

fn malformed_requests_in(model: &str) {
    let dir = library(&[("a.txt", b"a")]);
    let server = start(model, dir.path());
    // A bystander, half-way through an upload while all of the below
    // happens on other connections.
    let mut bystander = Raw::connect(&server.addr());
    assert_eq!(bystander.ask(b"P 6 by.txt"), "OK");
    bystander.send(b"abc");

    // Whole lines that make no sense: a reason each, and the session goes on.
    let mut raw = Raw::connect(&server.addr());
    for (request, reason) in [
        (&b"X"[..], "unknown request \"X\""),
        (b"", "unknown request \"\""),
        (b"list", "unknown request \"list\""),
        (b"l", "unknown request \"l\""),
        (b"G", "bad request: G needs a name"),
        (b"Q now", "bad request: Q takes no argument"),
        (b"P -5 a", "bad size \"-5\""),
        (b"P 1e9 a", "bad size \"1e9\""),
        (b"P  a", "bad size \"\""),
        (
            b"P 99999999999999999999999999 a",
            "bad size \"99999999999999999999\"",
        ),
        (b"G \xff\xfe", "bad request: not UTF-8"),
    ] {
        assert_eq!(
            raw.ask(request),
            reason,
            "{:?}",
            String::from_utf8_lossy(request)
        );
    }
    assert_eq!(
        raw.get("a.txt"),
        Ok(b"a".to_vec()),
        "the session is still in step"
    );
    // A size larger than any disk is refused before anything is allocated.
    let huge = raw.ask(b"P 18446744073709551615 huge.bin");
    assert!(huge.starts_with("not enough space: "), "{huge}");

    // A line that never ends: a reason, then the server hangs up.
    let mut raw = Raw::connect(&server.addr());
    raw.send(&vec![b'L'; 100_000]);
    assert_eq!(raw.reply(), "bad request: line longer than 1024 bytes");

    // A truncated request, then the end: the server just closes.
    let mut raw = Raw::connect(&server.addr());
    raw.send(b"G a.t");
    raw.stream.shutdown(Shutdown::Write).unwrap();
    assert!(raw.closed_by_server());

    // A truncated upload: fewer bytes than announced, then the end.
    let mut raw = Raw::connect(&server.addr());
    assert_eq!(raw.ask(b"P 10 short.txt"), "OK");
    raw.send(b"12345");
    raw.stream.shutdown(Shutdown::Write).unwrap();
    assert!(raw.closed_by_server());
    server
        .wait_for_line("the client left with 5 of 10 bytes unsent", DEADLINE)
        .expect("the server logs the truncated upload");
    assert_eq!(
        entries(dir.path())
            .iter()
            .filter(|name| !name.starts_with(".upload-"))
            .collect::<Vec<_>>(),
        ["a.txt"],
        "{model}: no file from the truncated upload"
    );

    // The bystander was not disturbed: its upload completes, whole.
    bystander.send(b"def");
    assert_eq!(bystander.reply(), "OK", "{model}: the bystander's upload");
    assert_eq!(fs::read(dir.path().join("by.txt")).unwrap(), b"abcdef");
    assert_eq!(bystander.get("a.txt"), Ok(b"a".to_vec()));
    assert_eq!(
        entries(dir.path()),
        ["a.txt", "by.txt"],
        "{model}: no temporary file left"
    );
    still_serves(server, &["a.txt", "by.txt"]);
}

#[test]
fn a_client_that_dies_mid_upload_leaves_nothing_behind() {
    for model in ["threading", "forking"] {
        let dir = library(&[("a.txt", b"a")]);
        let server = start(model, dir.path());
        let data = pattern(7, 1 << 20);

        let mut uploader = Raw::connect(&server.addr());
        assert_eq!(uploader.ask(b"P 1048576 half.bin"), "OK");
        uploader.send(&data[..512 * 1024]);

        // While it is half done: a hidden temporary file exists, and no
        // listing and no request can see it.
        let mut other = Raw::connect(&server.addr());
        let temp = entries(dir.path())
            .into_iter()
            .find(|name| name.starts_with(".upload-"))
            .expect("the upload goes to a hidden temporary file in the library");
        assert_eq!(
            other.list(),
            ["a.txt"],
            "{model}: no half file in the listing"
        );
        assert_eq!(other.get("half.bin"), Err("no such file".to_string()));
        assert!(other.get(&temp).unwrap_err().starts_with("bad name"));

        // The client dies: with a reset, as when a process is killed with
        // data unread, or with a plain close. Both end the same way.
        if model == "threading" {
            socket2::SockRef::from(&uploader.stream)
                .set_linger(Some(std::time::Duration::ZERO))
                .unwrap();
        }
        drop(uploader);
        server
            .wait_for_line("session ended", DEADLINE)
            .expect("the server notices the client is gone");
        assert_eq!(
            entries(dir.path()),
            ["a.txt"],
            "{model}: no file, no temp file"
        );

        // The name is free again; the server still serves.
        assert_eq!(other.put("half.bin", &data), Ok(()));
        assert_eq!(other.get("half.bin"), Ok(data));
        still_serves(server, &["a.txt", "half.bin"]);
    }
}

#[test]
fn a_killed_client_process_leaves_nothing_behind() {
    // A real ftp-client uploading 32 MiB. As soon as the upload has begun
    // (its hidden temporary file exists), the server is paused with SIGSTOP,
    // so the client is stuck mid-upload with full socket buffers; it is
    // killed with SIGKILL, and the server resumed.
    let dir = library(&[]);
    let server = start("threading", dir.path());
    let local = tempfile::tempdir().unwrap();
    let big = local.path().join("big.bin");
    fs::write(&big, pattern(3, 32 << 20)).unwrap();
    let mut client = Command::new(bin_path("ftp-client"))
        .arg(server.addr())
        .arg("put")
        .arg(&big)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        wait_until(DEADLINE, || entries(dir.path())
            .iter()
            .any(|n| n.starts_with(".upload-"))),
        "the upload never started"
    );
    server.signal(Signal::SIGSTOP);
    client.kill().unwrap();
    client.wait().unwrap();
    server.signal(Signal::SIGCONT);

    // The server drains what the client had sent, then finds it gone. (In
    // the unlikely case the whole upload got through before the pause, it
    // is stored whole instead; never anything in between.)
    let end = Instant::now() + DEADLINE;
    let outcome = loop {
        let left = end.saturating_duration_since(Instant::now());
        let line = server
            .stdout_lines
            .recv_timeout(left)
            .expect("the upload ends");
        if line.contains("session ended") || line.contains("stored") {
            break line;
        }
    };
    if outcome.contains("session ended") {
        // "... bytes unsent" after a FIN, or "connection reset by peer"
        // when the kernel answers for the dead process with a reset.
        assert_eq!(
            entries(dir.path()),
            Vec::<String>::new(),
            "no file, no temp file"
        );
        still_serves(server, &[]);
    } else {
        assert_eq!(entries(dir.path()), ["big.bin"]);
        assert!(fs::read(dir.path().join("big.bin")).unwrap() == fs::read(&big).unwrap());
        still_serves(server, &["big.bin"]);
    }
}

#[test]
fn the_same_name_uploaded_twice_at_once_ends_with_one_whole_file() {
    for model in ["threading", "forking"] {
        let dir = library(&[]);
        let server = start(model, dir.path());
        let one = pattern(1, 300_000);
        let two = pattern(2, 300_000);
        let mut a = Raw::connect(&server.addr());
        let mut b = Raw::connect(&server.addr());
        // Both are told to go ahead: the name was free when each asked.
        assert_eq!(a.ask(b"P 300000 same.bin"), "OK");
        assert_eq!(b.ask(b"P 300000 same.bin"), "OK");
        let sender = {
            let mut stream = b.stream.try_clone().unwrap();
            let two = two.clone();
            thread::spawn(move || std::io::Write::write_all(&mut stream, &two).unwrap())
        };
        a.send(&one);
        sender.join().unwrap();
        let replies = [a.reply(), b.reply()];
        let winners: Vec<_> = replies.iter().filter(|r| *r == "OK").collect();
        assert_eq!(
            winners.len(),
            1,
            "{model}: exactly one upload wins: {replies:?}"
        );
        assert!(
            replies.contains(&"file already exists".to_string()),
            "{replies:?}"
        );
        let stored = fs::read(dir.path().join("same.bin")).unwrap();
        let expected = if replies[0] == "OK" { &one } else { &two };
        assert!(stored == *expected, "{model}: the winner's file, whole");
        assert_eq!(
            entries(dir.path()),
            ["same.bin"],
            "{model}: no temp file left"
        );
        still_serves(server, &["same.bin"]);
    }
}

#[test]
fn a_write_error_during_upload_is_reported_and_leaves_no_temp_file() {
    // A file-size limit of 1 MiB on the server process makes the second
    // MiB of an upload fail to write (EFBIG), as a full disk would (ENOSPC).
    for model in ["threading", "forking"] {
        let dir = library(&[]);
        let server = start_with_file_size_limit(model, dir.path(), 1 << 20);
        let mut raw = Raw::connect(&server.addr());
        let result = raw.put("big.bin", &pattern(5, 2 << 20));
        assert_eq!(result, Err("upload failed: file too large".to_string()));
        assert_eq!(
            entries(dir.path()),
            Vec::<String>::new(),
            "{model}: no temp file left"
        );
        // The session is still in step, and a small upload works.
        assert_eq!(raw.put("small.bin", b"fits"), Ok(()));
        assert_eq!(raw.list(), ["small.bin"]);
        drop(raw);
        still_serves(server, &["small.bin"]);
    }
}

/// A real full disk (ENOSPC): the library is a 2 MiB tmpfs, mounted in a
/// mount namespace of the server's own (`unshare`, as an unprivileged user
/// too where user namespaces are allowed). Two uploads of 1.5 MB each are
/// both let in (each fits the free space when asked for); the second to
/// send runs out of space half-way.
#[test]
fn a_full_disk_during_upload_is_reported_and_leaves_no_temp_file() {
    let script =
        r#"mount -t tmpfs -o size=2m tmpfs "$0" && exec "$1" --model "$2" --directory "$0" 0"#;
    // Can this machine make the namespaces and mount there?
    let probe = tempfile::tempdir().unwrap();
    let allowed = Command::new("unshare")
        .args(["-Urm", "sh", "-c", script])
        .arg(probe.path())
        .args(["true", "x"])
        .status()
        .is_ok_and(|status| status.success());
    if !allowed {
        // The same code path is tested with a file-size limit above.
        eprintln!("skipped: this machine does not allow a tmpfs mount under `unshare -Urm`");
        return;
    }
    for model in ["threading", "forking"] {
        let dir = library(&[]);
        let mut command = Command::new("unshare");
        command
            .args(["-Urm", "sh", "-c", script])
            .arg(dir.path())
            .arg(bin_path("ftp-server"))
            .arg(model);
        let server = ServerProcess::start_command_reading_stderr(&mut command);
        // The library as the server sees it: inside its own mount namespace.
        let inside = std::path::PathBuf::from(format!("/proc/{}/root", server.pid()))
            .join(dir.path().strip_prefix("/").unwrap());

        let data = pattern(9, 1_500_000);
        let mut first = Raw::connect(&server.addr());
        let mut second = Raw::connect(&server.addr());
        assert_eq!(first.ask(b"P 1500000 first.bin"), "OK");
        assert_eq!(second.ask(b"P 1500000 second.bin"), "OK");
        first.send(&data);
        assert_eq!(first.reply(), "OK");
        second.send(&data);
        assert_eq!(second.reply(), "upload failed: no space left on device");
        assert_eq!(
            entries(&inside),
            ["first.bin"],
            "{model}: no temporary file left"
        );
        assert!(fs::read(inside.join("first.bin")).unwrap() == data);
        // The session is still in step, and what fits still goes in.
        assert_eq!(second.put("small.bin", b"fits"), Ok(()));
        assert_eq!(second.list(), ["first.bin", "small.bin"]);
        drop((first, second));
        still_serves(server, &["first.bin", "small.bin"]);
    }
}

#[test]
fn a_silent_or_stuck_client_is_dropped_after_the_timeout() {
    let dir = library(&[("a.txt", b"a")]);
    let path = dir.path().to_str().unwrap();
    let server = ServerProcess::start_reading_stderr(
        "ftp-server",
        &["--timeout", "1", "--directory", path, "0"],
    );
    // One says nothing at all; one stops in the middle of an upload.
    let mut silent = Raw::connect(&server.addr());
    let mut stuck = Raw::connect(&server.addr());
    assert_eq!(stuck.ask(b"P 1000 stuck.bin"), "OK");
    stuck.send(&[b'x'; 500]);
    let started = Instant::now();
    assert!(
        silent.closed_by_server(),
        "the silent client is disconnected"
    );
    assert!(
        stuck.closed_by_server(),
        "the stuck uploader is disconnected"
    );
    // The server's timeout is 1 s: both are cut off long before the deadline.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    server
        .wait_for_line(
            "session ended: timed out: the client did not send or read for 1s",
            DEADLINE,
        )
        .expect("the log says why the session ended");
    assert_eq!(
        entries(dir.path()),
        ["a.txt"],
        "the stuck upload left nothing"
    );
    still_serves(server, &["a.txt"]);
}

#[test]
fn stale_temporary_files_of_a_killed_server_are_removed_at_start() {
    let dir = library(&[("a.txt", b"a")]);
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    fs::File::create(dir.path().join(".upload-stale1"))
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    fs::write(dir.path().join(".upload-fresh1"), b"maybe another server's").unwrap();
    fs::File::create(dir.path().join(".other"))
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    let server = start("threading", dir.path());
    assert_eq!(entries(dir.path()), [".other", ".upload-fresh1", "a.txt"]);
    still_serves(server, &["a.txt"]);
}

#[test]
fn ctrl_c_stops_the_server_even_with_clients_connected() {
    for model in ["threading", "forking"] {
        let dir = library(&[("a.txt", b"a")]);
        let mut server = start(model, dir.path());
        let mut idle = Raw::connect(&server.addr());
        assert_eq!(
            idle.list(),
            ["a.txt"],
            "{model}: the client is being served"
        );
        // The process group gets Ctrl+C from a terminal; here the server and
        // its children get SIGINT one by one, as a terminal would send it.
        server.signal(Signal::SIGINT);
        if model == "forking" {
            // Children keep the default SIGINT action: they stop at once.
            for child in children_of(server.pid()) {
                let pid = nix::unistd::Pid::from_raw(child.pid as i32);
                let _ = nix::sys::signal::kill(pid, Signal::SIGINT);
            }
        }
        let status = server.wait_exit(DEADLINE);
        assert!(
            status.is_some(),
            "{model}: the server did not stop on SIGINT"
        );
        assert!(idle.closed_by_server(), "{model}: the client sees the end");
    }
}
