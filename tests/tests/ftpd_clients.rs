//! Real FTP clients against `ftpd`: Python's ftplib, curl and lftp, with
//! files from 0 bytes to 16 MiB compared byte for byte (1 GiB:
//! `ftpd_one_gibibyte.rs`), and 50 clients at once in each model.
//!
//! A client that is not installed is skipped with a message on stderr
//! (`.ci/run` installs curl and lftp; python3 is needed by other tests too).

mod ftpd_common;

use std::fs;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use ftpd_common::{
    Control, DEADLINE, entries, installed, no_panic_logged, pattern, run_program, start, tree,
};

/// The sizes every client moves: empty, tiny, around a page, around the
/// 1 MiB pipe and buffer, and 16 MiB.
const SIZES: &[usize] = &[0, 1, 1000, 4096, 65_537, (1 << 20) + 7, 16 << 20];

fn skip(program: &str) -> bool {
    if installed(program) {
        return false;
    }
    eprintln!("SKIPPED: {program} is not installed (bash .ci/run installs it)");
    true
}

fn check(output: &std::process::Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn python_ftplib_login_list_retr_stor_rest_rename_delete_mkd_rmd() {
    if skip("python3") {
        return;
    }
    let served = tree(&[]);
    for (i, &size) in SIZES.iter().enumerate() {
        fs::write(
            served.path().join(format!("size-{size}.bin")),
            pattern(i as u64, size),
        )
        .unwrap();
    }
    let work = tempfile::tempdir().unwrap();
    fs::create_dir(work.path().join("up")).unwrap();
    for (i, &size) in SIZES.iter().enumerate() {
        fs::write(
            work.path().join(format!("up/{size}.bin")),
            pattern(100 + i as u64, size),
        )
        .unwrap();
    }
    let server = start(served.path(), &["--writable"]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ftpd_common/ftplib_session.py");
    let port = server.port.to_string();
    let out = run_program(
        "python3",
        &[
            script.to_str().unwrap(),
            &port,
            work.path().to_str().unwrap(),
        ],
        work.path(),
        Duration::from_secs(60),
    )
    .unwrap();
    check(&out, "the ftplib script");
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(printed.contains("login 230 Login successful."), "{printed}");
    assert!(printed.contains("LIST 7 lines"), "{printed}");
    assert!(printed.contains("REST+STOR 1024000"), "{printed}");
    assert!(
        printed.contains("RNFR/RNTO 250 Rename successful."),
        "{printed}"
    );
    assert!(printed.contains("RMD 250 "), "{printed}");
    assert!(printed.contains("DELE again 550 "), "{printed}");
    assert!(printed.contains("QUIT 221 Goodbye."), "{printed}");
    for (i, &size) in SIZES.iter().enumerate() {
        let name = format!("size-{size}.bin");
        let got = fs::read(work.path().join("down").join(&name)).unwrap();
        assert!(
            got == pattern(i as u64, size),
            "RETR {name}: not the same bytes"
        );
        let stored = fs::read(served.path().join(format!("up/{size}.bin"))).unwrap();
        assert!(
            stored == pattern(100 + i as u64, size),
            "STOR {size}.bin: not the same bytes"
        );
    }
    let largest = pattern((SIZES.len() - 1) as u64, *SIZES.last().unwrap());
    let tail = fs::read(work.path().join("down/tail.bin")).unwrap();
    assert!(
        tail == largest[largest.len() - 1000..],
        "REST + RETR: wrong tail"
    );
    let expected = fs::read(work.path().join("resumed.expected")).unwrap();
    assert!(fs::read(served.path().join("renamed.bin")).unwrap() == expected);
    assert!(!served.path().join("doomed.bin").exists());
    // No temporary upload file left anywhere.
    assert!(entries(served.path()).iter().all(|n| !n.starts_with('.')));
    assert!(
        entries(&served.path().join("up"))
            .iter()
            .all(|n| !n.starts_with('.'))
    );
    no_panic_logged(server);
}

#[test]
fn curl_lists_downloads_uploads_and_resumes() {
    if skip("curl") {
        return;
    }
    let served = tree(&[]);
    let big = pattern(7, 16 << 20);
    fs::write(served.path().join("big.bin"), &big).unwrap();
    fs::write(served.path().join("empty.bin"), b"").unwrap();
    fs::create_dir(served.path().join("in")).unwrap();
    let server = start(served.path(), &["--writable"]);
    let url = format!("ftp://127.0.0.1:{}", server.port);
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let curl = |args: &[&str]| {
        let mut all = vec!["-sS", "--max-time", "30"];
        all.extend_from_slice(args);
        let out = run_program("curl", &all, w, DEADLINE * 2).unwrap();
        check(&out, &format!("curl {args:?}"));
        out.stdout
    };

    let listing = String::from_utf8(curl(&[&format!("{url}/")])).unwrap();
    // curl turns the listing's CRLFs into LFs (an ASCII transfer).
    let lines: Vec<&str> = listing.lines().map(|l| l.trim_end_matches('\r')).collect();
    assert!(lines.iter().any(|l| l.ends_with(" big.bin")), "{listing}");
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with('d') && l.trim_end_matches('\r').ends_with(" in")),
        "{listing}"
    );
    let names = String::from_utf8(curl(&["--list-only", &format!("{url}/")])).unwrap();
    assert_eq!(names.replace('\r', ""), "big.bin\nempty.bin\nin\n");

    curl(&["-o", "big.bin", &format!("{url}/big.bin")]);
    assert!(fs::read(w.join("big.bin")).unwrap() == big);
    curl(&["-o", "empty.bin", &format!("{url}/empty.bin")]);
    assert_eq!(fs::read(w.join("empty.bin")).unwrap(), b"");

    // Resume a download: the first 5 MB are here already.
    fs::write(w.join("part.bin"), &big[..5_000_000]).unwrap();
    curl(&["-C", "-", "-o", "part.bin", &format!("{url}/big.bin")]);
    assert!(
        fs::read(w.join("part.bin")).unwrap() == big,
        "resumed download differs"
    );

    // Upload into a folder, then resume an upload cut at 3 MB.
    let up = pattern(8, (8 << 20) + 3);
    fs::write(w.join("up.bin"), &up).unwrap();
    curl(&["-T", "up.bin", &format!("{url}/in/")]);
    assert!(fs::read(served.path().join("in/up.bin")).unwrap() == up);
    fs::write(served.path().join("in/cut.bin"), &up[..3_000_000]).unwrap();
    curl(&["-C", "-", "-T", "up.bin", &format!("{url}/in/cut.bin")]);
    assert!(
        fs::read(served.path().join("in/cut.bin")).unwrap() == up,
        "resumed upload differs"
    );
    no_panic_logged(server);
}

#[test]
fn lftp_mirrors_a_tree_both_ways() {
    if skip("lftp") {
        return;
    }
    let local = tree(&[
        ("a.txt", b"alpha"),
        ("empty.txt", b""),
        ("deep/er/still/z.bin", &pattern(9, 300_000)),
        ("deep/b c.txt", b"a name with a space"),
        ("\u{7c98}\u{5305}.txt", b"utf-8 name"),
    ]);
    fs::create_dir(local.path().join("empty-folder")).unwrap();
    let served = tree(&[]);
    let server = start(served.path(), &["--writable"]);
    let back = tempfile::tempdir().unwrap();
    let script = format!(
        "set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 10; \
         set ftp:ssl-allow no; open -u anonymous,test ftp://127.0.0.1:{}; \
         mirror -R {} copy; mirror copy {}",
        server.port,
        local.path().display(),
        back.path().join("copy").display()
    );
    let out = run_program(
        "lftp",
        &["-c", &script],
        back.path(),
        Duration::from_secs(60),
    )
    .unwrap();
    check(&out, "lftp mirror");
    same_tree(local.path(), &served.path().join("copy"));
    same_tree(local.path(), &back.path().join("copy"));
    no_panic_logged(server);
}

/// Same names, same kinds, same bytes, all the way down.
fn same_tree(a: &Path, b: &Path) {
    assert_eq!(
        entries(a),
        entries(b),
        "{} and {}",
        a.display(),
        b.display()
    );
    for name in entries(a) {
        let (x, y) = (a.join(&name), b.join(&name));
        if x.is_dir() {
            assert!(y.is_dir(), "{} is not a folder", y.display());
            same_tree(&x, &y);
        } else {
            assert!(
                fs::read(&x).unwrap() == fs::read(&y).unwrap(),
                "{} differs",
                y.display()
            );
        }
    }
}

fn fifty_at_once(model: &str) {
    let shared = pattern(50, 200_000);
    let served = tree(&[("shared.bin", &shared)]);
    let server = start(
        served.path(),
        &["--writable", "--model", model, "--max-children", "64"],
    );
    let barrier = Arc::new(Barrier::new(50));
    let addr = server.addr();
    let clients: Vec<_> = (0..50u64)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            let addr = addr.clone();
            let shared = shared.clone();
            thread::spawn(move || {
                let mut c = Control::connect(&addr);
                c.login();
                // All 50 sessions are open before any transfer starts.
                barrier.wait();
                c.cmd("TYPE I");
                let mine = pattern(1000 + i, 100_000 + i as usize);
                c.upload(&format!("STOR client-{i}.bin"), &mine).unwrap();
                assert!(c.download("RETR shared.bin").unwrap() == shared);
                assert!(c.download(&format!("RETR client-{i}.bin")).unwrap() == mine);
                let names = c.download("NLST").unwrap();
                assert!(
                    String::from_utf8(names)
                        .unwrap()
                        .contains(&format!("client-{i}.bin\r\n"))
                );
                assert!(c.cmd("QUIT").starts_with("221"));
            })
        })
        .collect();
    for client in clients {
        client.join().expect("a client failed");
    }
    assert_eq!(entries(served.path()).len(), 51);
    no_panic_logged(server);
}

#[test]
fn fifty_clients_at_once_threading() {
    fifty_at_once("threading");
}

#[test]
fn fifty_clients_at_once_forking() {
    fifty_at_once("forking");
}

#[test]
fn fifty_clients_at_once_poll() {
    fifty_at_once("poll");
}
