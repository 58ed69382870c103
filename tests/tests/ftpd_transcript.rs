//! Standard FTP (`ftpd`) as transcripts: every byte of the control
//! connection (`C:`/`S:`), and the data connections' bytes (`C(data):` /
//! `S(data):`). A whole session, then every refusal. Lesson 17's note
//! quotes them.

mod ftpd_common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::symlink;

use ftpd_common::{DEADLINE, start, tree};
use tests::Transcript;

/// Reads one reply, all its lines; returns its text.
fn reply(t: &mut Transcript) -> String {
    let mut all = String::new();
    let mut code: Option<String> = None;
    loop {
        let line = String::from_utf8(t.recv_line().unwrap()).unwrap();
        if line.is_empty() {
            return all;
        }
        all.push_str(&line);
        let last = match &code {
            None => {
                code = Some(line.get(..3).unwrap_or("").to_string());
                line.as_bytes().get(3) == Some(&b' ')
            }
            Some(c) => line.starts_with(c.as_str()) && line.as_bytes().get(3) == Some(&b' '),
        };
        if last {
            return all;
        }
    }
}

/// Sends a command line (CRLF added) and records the reply.
fn cmd(t: &mut Transcript, line: &str) -> String {
    t.send(format!("{line}\r\n").as_bytes()).unwrap();
    reply(t)
}

/// EPSV, with the data port filtered out; the data connection.
fn epsv(t: &mut Transcript, addr: &str) -> TcpStream {
    let r = cmd(t, "EPSV");
    let port = r
        .split("|||")
        .nth(1)
        .unwrap()
        .split('|')
        .next()
        .unwrap()
        .to_string();
    t.filter(&format!("|||{port}|"), "|||<DATA-PORT>|");
    let host = addr.rsplit_once(':').unwrap().0;
    let data = TcpStream::connect(format!("{host}:{port}")).unwrap();
    data.set_read_timeout(Some(DEADLINE)).unwrap();
    data
}

/// Reads the data connection to its end and records it.
fn read_data(t: &mut Transcript, mut data: TcpStream) {
    let mut bytes = Vec::new();
    data.read_to_end(&mut bytes).unwrap();
    if bytes.is_empty() {
        t.note("(the data connection closed, empty)");
    } else {
        t.record("S(data)", &bytes);
    }
}

#[test]
fn ftpd_whole_session() {
    let dir = tree(&[
        ("hello.txt", b"hello, world\n"),
        ("folder/inside.txt", b"in"),
        (".secret", b"hidden"),
    ]);
    symlink("/etc", dir.path().join("outside")).unwrap();
    let server = start(dir.path(), &["--writable"]);
    let addr = server.addr();
    let mut t = Transcript::connect(&addr).unwrap();
    // A folder's size depends on the file system: not part of the promise.
    let folder_size = std::fs::metadata(dir.path().join("folder")).unwrap().len();
    t.filter(
        &format!("{folder_size:>12} Jan 02  2020 folder"),
        "<FOLDER-SIZE> Jan 02  2020 folder",
    );
    t.note("the greeting, then the login: anonymous, any password");
    reply(&mut t);
    cmd(&mut t, "USER anonymous");
    cmd(&mut t, "PASS me@example.org");
    t.note("what the server is and can do (FEAT: a multi-line reply)");
    cmd(&mut t, "SYST");
    cmd(&mut t, "FEAT");
    cmd(&mut t, "OPTS UTF8 ON");
    cmd(&mut t, "PWD");
    t.note("a listing: EPSV gives a port, the client connects to it, LIST;");
    t.note("the listing comes on the data connection, whose end ends it;");
    t.note("hidden files and symlinks are not listed");
    let data = epsv(&mut t, &addr);
    cmd(&mut t, "LIST");
    read_data(&mut t, data);
    reply(&mut t);
    t.note("moving around");
    cmd(&mut t, "CWD folder");
    cmd(&mut t, "PWD");
    cmd(&mut t, "CDUP");
    t.note("about a file, on the control connection");
    cmd(&mut t, "SIZE hello.txt");
    cmd(&mut t, "MDTM hello.txt");
    cmd(&mut t, "MLST hello.txt");
    t.note("a download with PASV (IPv4 address and port as six numbers)");
    cmd(&mut t, "TYPE I");
    let r = cmd(&mut t, "PASV");
    let six = r
        .split('(')
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap()
        .to_string();
    let n: Vec<u16> = six.split(',').map(|x| x.parse().unwrap()).collect();
    t.filter(&six, "127,0,0,1,<P1>,<P2>");
    let mut data = TcpStream::connect(("127.0.0.1", n[4] * 256 + n[5])).unwrap();
    data.set_read_timeout(Some(DEADLINE)).unwrap();
    cmd(&mut t, "RETR hello.txt");
    let mut bytes: Vec<u8> = Vec::new();
    data.read_to_end(&mut bytes).unwrap();
    t.record("S(data)", &bytes);
    reply(&mut t);
    t.note("a resumed download: REST 7, then RETR sends from byte 7");
    let data = epsv(&mut t, &addr);
    cmd(&mut t, "REST 7");
    cmd(&mut t, "RETR hello.txt");
    read_data(&mut t, data);
    reply(&mut t);
    t.note("an upload: the bytes on the data connection, whose end ends the file");
    let mut data = epsv(&mut t, &addr);
    cmd(&mut t, "STOR new.txt");
    data.write_all(b"12345\r\n##\n").unwrap();
    t.record("C(data)", b"12345\r\n##\n");
    drop(data);
    t.note("(the client closed the data connection)");
    reply(&mut t);
    t.note("APPE adds to the end; STOU picks a free name");
    let mut data = epsv(&mut t, &addr);
    cmd(&mut t, "APPE new.txt");
    data.write_all(b"!!").unwrap();
    t.record("C(data)", b"!!");
    drop(data);
    reply(&mut t);
    let mut data = epsv(&mut t, &addr);
    cmd(&mut t, "STOU");
    data.write_all(b"u").unwrap();
    t.record("C(data)", b"u");
    drop(data);
    reply(&mut t);
    cmd(&mut t, "SIZE new.txt");
    t.note("renaming, folders, deleting");
    cmd(&mut t, "RNFR new.txt");
    cmd(&mut t, "RNTO renamed.txt");
    cmd(&mut t, "MKD made");
    cmd(&mut t, "RMD made");
    cmd(&mut t, "DELE renamed.txt");
    cmd(&mut t, "DELE file");
    t.note("names only (NLST), and the machine listing (MLSD) of a folder");
    let data = epsv(&mut t, &addr);
    cmd(&mut t, "NLST");
    read_data(&mut t, data);
    reply(&mut t);
    let data = epsv(&mut t, &addr);
    cmd(&mut t, "MLSD folder");
    read_data(&mut t, data);
    reply(&mut t);
    t.note("status, help, keep-alive, nothing to abort, goodbye");
    cmd(&mut t, "STAT");
    cmd(&mut t, "STAT folder");
    cmd(&mut t, "HELP");
    cmd(&mut t, "NOOP");
    cmd(&mut t, "MODE S");
    cmd(&mut t, "STRU F");
    cmd(&mut t, "TYPE A");
    cmd(&mut t, "ABOR");
    cmd(&mut t, "QUIT");
    t.recv_to_end().unwrap();
    insta::assert_snapshot!(t.render());
}

#[test]
fn ftpd_refusals_before_login_and_of_syntax() {
    let dir = tree(&[("hello.txt", b"hello, world\n")]);
    let server = start(dir.path(), &[]);
    let mut t = Transcript::connect(&server.addr()).unwrap();
    reply(&mut t);
    t.note("before login: 530, except the commands that need no login");
    cmd(&mut t, "LIST");
    cmd(&mut t, "RETR hello.txt");
    cmd(&mut t, "CWD /");
    cmd(&mut t, "PASS nobody-asked");
    cmd(&mut t, "USER root");
    cmd(&mut t, "ACCT x");
    t.note("unknown (500) and not implemented (502) commands");
    cmd(&mut t, "XYZZ");
    cmd(&mut t, "HELLOWORLD");
    cmd(&mut t, "");
    cmd(&mut t, "AUTH TLS");
    cmd(&mut t, "SITE CHMOD 777 hello.txt");
    t.send(b"CWD caf\xe9\r\n").unwrap();
    reply(&mut t);
    cmd(&mut t, "USER anonymous");
    cmd(&mut t, "PASS x");
    t.note("parameters that are not supported or missing");
    cmd(&mut t, "TYPE E");
    cmd(&mut t, "MODE B");
    cmd(&mut t, "STRU R");
    cmd(&mut t, "OPTS MODE Z");
    cmd(&mut t, "CWD");
    cmd(&mut t, "RETR");
    cmd(&mut t, "REST abc");
    cmd(&mut t, "REST -1");
    cmd(&mut t, "EPSV 2");
    t.note("a transfer without a data connection set up first");
    cmd(&mut t, "LIST");
    cmd(&mut t, "RETR hello.txt");
    t.note("a restart point past the end of the file");
    cmd(&mut t, "REST 100");
    cmd(&mut t, "RETR hello.txt");
    t.note("a server started without --writable refuses every writing command");
    for line in [
        "STOR new.txt",
        "APPE hello.txt",
        "STOU",
        "DELE hello.txt",
        "MKD folder",
        "RMD folder",
        "RNFR hello.txt",
        "RNTO other.txt",
    ] {
        cmd(&mut t, line);
    }
    t.note("a command line longer than 1024 bytes: 500, and the connection closes");
    let long = format!("RETR {}\r\n", "x".repeat(1100));
    t.send_summarized(long.as_bytes(), "RETR and 1100 bytes, CRLF")
        .unwrap();
    reply(&mut t);
    t.recv_to_end().unwrap();
    insta::assert_snapshot!(t.render());
}

#[test]
fn ftpd_refusals_of_paths_outside_the_root() {
    let dir = tree(&[
        ("hello.txt", b"hello, world\n"),
        ("folder/inside.txt", b"in"),
        (".secret", b"hidden"),
    ]);
    symlink("/etc", dir.path().join("outside")).unwrap();
    symlink("/etc/hostname", dir.path().join("link.txt")).unwrap();
    let server = start(dir.path(), &["--writable"]);
    let addr = server.addr();
    let mut t = Transcript::connect(&addr).unwrap();
    reply(&mut t);
    cmd(&mut t, "USER anonymous");
    cmd(&mut t, "PASS x");
    t.note("`..` stops at the root, as under chroot: these stay inside");
    cmd(&mut t, "CWD ../../../..");
    cmd(&mut t, "PWD");
    cmd(&mut t, "RETR ../../../../etc/passwd");
    cmd(&mut t, "SIZE /../hello.txt");
    t.note("symlinks are never followed, wherever they point");
    cmd(&mut t, "CWD outside");
    cmd(&mut t, "CWD /outside/");
    cmd(&mut t, "RETR outside/passwd");
    cmd(&mut t, "RETR link.txt");
    cmd(&mut t, "SIZE link.txt");
    cmd(&mut t, "STOR outside/planted");
    cmd(&mut t, "MKD outside/made");
    cmd(&mut t, "RNFR hello.txt");
    cmd(&mut t, "RNTO outside/moved.txt");
    cmd(&mut t, "RNFR link.txt");
    cmd(&mut t, "DELE link.txt");
    t.note("hidden names (the server's temporary uploads are hidden) and bad names");
    cmd(&mut t, "RETR .secret");
    cmd(&mut t, "STOR .upload-abc");
    cmd(&mut t, "MKD .git");
    cmd(&mut t, "CWD folder\\..");
    t.note("no RNTO without RNFR; a folder cannot move into itself");
    cmd(&mut t, "RNTO x");
    cmd(&mut t, "RNFR folder");
    cmd(&mut t, "RNTO folder/sub");
    t.note("what is not a file, or not a folder, or not empty");
    cmd(&mut t, "RETR folder");
    cmd(&mut t, "SIZE folder");
    cmd(&mut t, "DELE folder");
    cmd(&mut t, "RMD folder");
    cmd(&mut t, "RMD /");
    cmd(&mut t, "CWD hello.txt");
    cmd(&mut t, "MKD folder");
    cmd(&mut t, "STOR folder");
    cmd(&mut t, "STOR missing/x.txt");
    cmd(&mut t, "MLSD hello.txt");
    cmd(&mut t, "QUIT");
    t.recv_to_end().unwrap();
    insta::assert_snapshot!(t.render());
    // Nothing was created anywhere.
    assert!(!std::path::Path::new("/etc/planted").exists());
    assert_eq!(
        ftpd_common::entries(dir.path()),
        [".secret", "folder", "hello.txt", "link.txt", "outside"]
    );
}

#[test]
fn ftpd_bounce_refusals() {
    let dir = tree(&[("hello.txt", b"hello, world\n")]);
    let server = start(dir.path(), &[]);
    let mut t = Transcript::connect(&server.addr()).unwrap();
    reply(&mut t);
    cmd(&mut t, "USER anonymous");
    cmd(&mut t, "PASS x");
    t.note("PORT and EPRT to any address but the client's own are refused (FTP bounce)");
    cmd(&mut t, "PORT 127,0,0,2,195,80");
    cmd(&mut t, "PORT 10,0,0,1,0,25");
    cmd(&mut t, "EPRT |1|192.0.2.7|8080|");
    cmd(&mut t, "EPRT |2|::1|8080|");
    t.note("and to a privileged port of the client itself");
    cmd(&mut t, "PORT 127,0,0,1,0,25");
    cmd(&mut t, "EPRT |1|127.0.0.1|22|");
    t.note("malformed");
    cmd(&mut t, "PORT 127,0,0,1,300,1");
    cmd(&mut t, "PORT 127,0,0,1");
    cmd(&mut t, "EPRT |3|x|1|");
    cmd(&mut t, "EPRT |1|::1|5000|");
    cmd(&mut t, "EPRT nonsense");
    t.note("after the refusals there is no data connection to use");
    cmd(&mut t, "RETR hello.txt");
    t.note("EPSV ALL: from now on only EPSV");
    cmd(&mut t, "EPSV ALL");
    cmd(&mut t, "PASV");
    cmd(&mut t, "PORT 127,0,0,1,195,80");
    cmd(&mut t, "QUIT");
    t.recv_to_end().unwrap();
    insta::assert_snapshot!(t.render());
}

#[test]
fn ftpd_login_failures_are_slow_counted_and_end_the_session() {
    let dir = tree(&[]);
    let server = start(
        dir.path(),
        &[
            "--user",
            "alice:s3cret",
            "--login-delay-ms",
            "300",
            "--max-login-failures",
            "2",
        ],
    );
    let mut t = Transcript::connect(&server.addr()).unwrap();
    reply(&mut t);
    t.note("with --user, anonymous logins are refused (after the delay, like any failure)");
    cmd(&mut t, "USER anonymous");
    let started = std::time::Instant::now();
    cmd(&mut t, "PASS x");
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    t.note("the second failure ends the session");
    cmd(&mut t, "USER alice");
    cmd(&mut t, "PASS wrong");
    t.recv_to_end().unwrap();
    t.note("a new connection: the right password");
    let mut t2 = Transcript::connect(&server.addr()).unwrap();
    reply(&mut t2);
    cmd(&mut t2, "USER alice");
    cmd(&mut t2, "PASS s3cret");
    cmd(&mut t2, "USER bob");
    cmd(&mut t2, "QUIT");
    t2.recv_to_end().unwrap();
    insta::assert_snapshot!(format!("{}{}", t.render(), t2.render()));
}

#[test]
fn ftpd_limits_and_idle_timeout() {
    let dir = tree(&[]);
    let server = start(
        dir.path(),
        &["--max-per-address", "1", "--idle-timeout", "1"],
    );
    let mut first = Transcript::connect(&server.addr()).unwrap();
    first.note("the first session from 127.0.0.1");
    reply(&mut first);
    let mut second = Transcript::connect(&server.addr()).unwrap();
    second.note("a second one at the same time, over --max-per-address 1");
    reply(&mut second);
    second.recv_to_end().unwrap();
    first.note("the first one says nothing for --idle-timeout (1 s)");
    reply(&mut first);
    first.recv_to_end().unwrap();
    let mut third = Transcript::connect(&server.addr()).unwrap();
    third.note("its place is free again");
    reply(&mut third);
    cmd(&mut third, "QUIT");
    third.recv_to_end().unwrap();
    insta::assert_snapshot!(format!(
        "{}{}{}",
        first.render(),
        second.render(),
        third.render()
    ));
}

#[test]
fn ftpd_data_connection_refusals() {
    let dir = tree(&[("hello.txt", b"hello, world\n")]);
    std::fs::write(
        dir.path().join("big.bin"),
        ftpd_common::pattern(1, 64 << 20),
    )
    .unwrap();
    let server = ftpd_common::start_with_file_size_limit(
        dir.path(),
        &[
            "--writable",
            "--data-timeout",
            "1",
            "--max-connections",
            "2",
        ],
        1 << 20,
    );
    let addr = server.addr();
    let mut t = Transcript::connect(&addr).unwrap();
    reply(&mut t);
    cmd(&mut t, "USER anonymous");
    cmd(&mut t, "PASS x");
    cmd(&mut t, "TYPE I");
    t.note("a data connection that never comes: 425 after --data-timeout (1 s)");
    let r = cmd(&mut t, "EPSV");
    let port = r
        .split("|||")
        .nth(1)
        .unwrap()
        .split('|')
        .next()
        .unwrap()
        .to_string();
    t.filter(&format!("|||{port}|"), "|||<DATA-PORT>|");
    cmd(&mut t, "RETR hello.txt");

    t.note("an upload the server cannot write (here over its file size limit,");
    t.note("as on a full disk): 452, and nothing is stored");
    let mut data = epsv(&mut t, &addr);
    cmd(&mut t, "STOR big-upload.bin");
    let _ = data.write_all(&vec![b'x'; 2 << 20]);
    t.note("(the client sent up to 2 MiB; the server stopped reading after 1 MiB)");
    drop(data);
    reply(&mut t);

    t.note("a data connection reset in the middle of an upload: 426, nothing stored");
    let data = epsv(&mut t, &addr);
    cmd(&mut t, "STOR reset.bin");
    (&data).write_all(b"the first half").unwrap();
    t.record("C(data)", b"the first half");
    socket2::SockRef::from(&data)
        .set_linger(Some(std::time::Duration::ZERO))
        .unwrap();
    drop(data);
    t.note("(the client reset the data connection)");
    reply(&mut t);

    t.note("ABOR during a download: 426 for the transfer, then 226 for the ABOR");
    let mut data = epsv(&mut t, &addr);
    cmd(&mut t, "RETR big.bin");
    let mut first = vec![0u8; 1 << 20];
    data.read_exact(&mut first).unwrap();
    t.note("(the client read 1 MiB of it, then sent ABOR)");
    t.send(b"ABOR\r\n").unwrap();
    reply(&mut t);
    reply(&mut t);
    drop(data);

    t.note("--max-connections 2: a second session is welcome, a third is not");
    let mut second = Transcript::connect(&addr).unwrap();
    let greeting = String::from_utf8(second.recv_line().unwrap()).unwrap();
    assert!(greeting.starts_with("220"), "{greeting}");
    let mut third = Transcript::connect(&addr).unwrap();
    let refusal = third.recv_line().unwrap();
    t.record("S(third session)", &refusal);
    third.recv_to_end().unwrap();
    t.note("(and the third connection was closed)");
    cmd(&mut t, "QUIT");
    t.recv_to_end().unwrap();
    insta::assert_snapshot!(t.render());
    assert_eq!(
        ftpd_common::entries(dir.path()),
        ["big.bin", "hello.txt"],
        "nothing of the failed uploads is left"
    );
}

/// PASV, with the address and port filtered out; the data connection.
fn pasv(t: &mut Transcript) -> TcpStream {
    let r = cmd(t, "PASV");
    let six = r
        .split('(')
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no address in {r}"))
        .to_string();
    let n: Vec<u16> = six.split(',').map(|x| x.parse().unwrap()).collect();
    t.filter(&six, "127,0,0,1,<P1>,<P2>");
    let data = TcpStream::connect(("127.0.0.1", n[4] * 256 + n[5])).unwrap();
    data.set_read_timeout(Some(DEADLINE)).unwrap();
    data.set_write_timeout(Some(DEADLINE)).unwrap();
    data
}

/// PASV, then `line` (RETR or a listing): the data connection's bytes,
/// recorded (or, when long, counted), then the final reply.
fn pasv_download(t: &mut Transcript, line: &str) -> Vec<u8> {
    let mut data = pasv(t);
    let r = cmd(t, line);
    assert!(r.starts_with("150"), "{line}: {r}");
    let mut bytes = Vec::new();
    data.read_to_end(&mut bytes).unwrap();
    match bytes.len() {
        0 => t.note("(the data connection closed, empty)"),
        1..=512 => t.record("S(data)", &bytes),
        n => t.note(&format!("(the data connection carried {n} bytes)")),
    }
    let r = reply(t);
    assert!(r.starts_with("226"), "{line}: {r}");
    bytes
}

/// PASV, then `line` (STOR), the bytes sent (recorded, or counted), the
/// data connection closed, then the final reply.
fn pasv_upload(t: &mut Transcript, line: &str, bytes: &[u8]) {
    let mut data = pasv(t);
    let r = cmd(t, line);
    assert!(r.starts_with("150"), "{line}: {r}");
    data.write_all(bytes).unwrap();
    match bytes.len() {
        0 => {}
        1..=512 => t.record("C(data)", bytes),
        n => t.note(&format!(
            "(the client sent {n} bytes on the data connection)"
        )),
    }
    drop(data);
    let r = reply(t);
    assert!(r.starts_with("226"), "{line}: {r}");
}

/// The modification time of a file, in seconds since 1970.
fn modified(path: &std::path::Path) -> u64 {
    std::fs::metadata(path)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// What FileZilla 3.63 sent, command for command, as recorded through a
/// logging proxy by `scripts/filezilla-check.sh` and by hand (2026-12-06):
/// its browsing connection, its transfer connection (uploads with
/// "preserve timestamps" on, so MFMT after STOR; downloads; resumes; a
/// folder upload), and the browsing connection again (rename, delete,
/// make and remove a folder). FileZilla is not in CI: this replay is
/// what keeps ftpd working for it.
#[test]
fn ftpd_filezilla_session() {
    let big = ftpd_common::pattern(7, 5 * 1024 * 1024);
    let text = "ünïcödé text\n".as_bytes();
    let dir = tree(&[
        ("big.bin", &big[..]),
        ("café menu ☕.txt", text),
        ("hello.txt", b"hello from ftpd\n"),
        ("sub/inner.txt", b"inside\n"),
    ]);
    std::fs::create_dir(dir.path().join("名前 with spaces")).unwrap();
    ftpd_common::date_everything(dir.path());
    let server = start(dir.path(), &["--writable"]);
    let addr = server.addr();

    let mut t = Transcript::connect(&addr).unwrap();
    t.note("FileZilla's first connection (ftp://... on its command line): it tries TLS,");
    t.note("takes the 502s as 'no TLS here' (and warns its user), logs in, asks");
    t.note("what the server can do, and lists / with MLSD because FEAT says MLST");
    reply(&mut t);
    cmd(&mut t, "AUTH TLS");
    cmd(&mut t, "AUTH SSL");
    cmd(&mut t, "USER anonymous");
    cmd(&mut t, "PASS anonymous@example.com");
    cmd(&mut t, "SYST");
    cmd(&mut t, "FEAT");
    cmd(&mut t, "OPTS UTF8 ON");
    cmd(&mut t, "CWD /");
    cmd(&mut t, "PWD");
    cmd(&mut t, "TYPE I");
    pasv_download(&mut t, "MLSD");
    t.note("a double-click on the folder sub, then on ..");
    cmd(&mut t, "CWD sub");
    cmd(&mut t, "PWD");
    pasv_download(&mut t, "MLSD");
    cmd(&mut t, "CDUP");
    cmd(&mut t, "PWD");

    let mut u = Transcript::connect(&addr).unwrap();
    u.note("FileZilla's second connection, for transfers (SYST and FEAT are remembered)");
    reply(&mut u);
    cmd(&mut u, "USER anonymous");
    cmd(&mut u, "PASS anonymous@example.com");
    cmd(&mut u, "OPTS UTF8 ON");
    u.note("an upload (double-click in the local list); with 'preserve timestamps'");
    u.note("on and MFMT in FEAT, FileZilla then dates the copy as the original");
    cmd(&mut u, "CWD /");
    cmd(&mut u, "PWD");
    cmd(&mut u, "TYPE I");
    let upload = ftpd_common::pattern(8, 3_000_000);
    pasv_upload(&mut u, "STOR up load ü.bin", &upload);
    cmd(&mut u, "MFMT 20191231235959 up load ü.bin");
    let stored = dir.path().join("up load ü.bin");
    assert!(
        std::fs::read(&stored).unwrap() == upload,
        "the upload differs"
    );
    // 2019-12-31 23:59:59 UTC
    assert_eq!(modified(&stored), 1_577_836_799);
    pasv_download(&mut u, "MLSD");
    u.note("a download, then a text file (FileZilla picks TYPE A by its extension)");
    let got = pasv_download(&mut u, "RETR big.bin");
    assert!(got == big, "big.bin arrived different");
    cmd(&mut u, "TYPE A");
    let got = pasv_download(&mut u, "RETR café menu ☕.txt");
    assert_eq!(got, text);
    u.note("resuming a download cut at 1 MiB ('Resume' in FileZilla's dialog)");
    cmd(&mut u, "TYPE I");
    let mut data = pasv(&mut u);
    cmd(&mut u, "REST 1048576");
    cmd(&mut u, "RETR big.bin");
    let mut rest = Vec::new();
    data.read_to_end(&mut rest).unwrap();
    u.note(&format!(
        "(the data connection carried {} bytes)",
        rest.len()
    ));
    reply(&mut u);
    assert!(rest[..] == big[1024 * 1024..], "the resumed part differs");
    u.note("uploading a folder: the CWD fails, so FileZilla makes it and enters it");
    cmd(&mut u, "CWD /tree ✓");
    cmd(&mut u, "CWD /");
    cmd(&mut u, "MKD tree ✓");
    cmd(&mut u, "CWD /tree ✓");
    cmd(&mut u, "PWD");
    let part = ftpd_common::pattern(9, 100_000);
    pasv_upload(&mut u, "STOR a.bin", &part[..40_000]);
    cmd(&mut u, "MFMT 20191231235959 a.bin");
    pasv_upload(&mut u, "STOR empty.txt", b"");
    cmd(&mut u, "MFMT 20191231235959 empty.txt");
    u.note("resuming an upload ('Resume': REST at the server's size, then STOR;");
    u.note("FileZilla sends REST 0 before its next listing)");
    let mut data = pasv(&mut u);
    cmd(&mut u, "REST 40000");
    cmd(&mut u, "STOR a.bin");
    data.write_all(&part[40_000..]).unwrap();
    u.note("(the client sent the other 60000 bytes on the data connection)");
    drop(data);
    reply(&mut u);
    cmd(&mut u, "MFMT 20191231235959 a.bin");
    let mut data = pasv(&mut u);
    cmd(&mut u, "REST 0");
    cmd(&mut u, "MLSD");
    let mut listing = Vec::new();
    data.read_to_end(&mut listing).unwrap();
    u.record("S(data)", &listing);
    reply(&mut u);
    let resumed = std::fs::read(dir.path().join("tree ✓/a.bin")).unwrap();
    assert!(resumed == part, "the resumed upload differs");
    cmd(&mut u, "QUIT");
    u.recv_to_end().unwrap();

    t.note("back on the first connection: rename (F2), delete, a new folder");
    cmd(&mut t, "RNFR hello.txt");
    cmd(&mut t, "RNTO hello renamed é.txt");
    cmd(&mut t, "DELE up load ü.bin");
    cmd(&mut t, "MKD made by fz ✓");
    cmd(&mut t, "CWD made by fz ✓");
    cmd(&mut t, "PWD");
    pasv_download(&mut t, "MLSD");
    t.note("deleting folders: FileZilla empties them first (what it knows from its");
    t.note("listings), from the folder's parent");
    cmd(&mut t, "CWD /");
    cmd(&mut t, "RMD made by fz ✓");
    cmd(&mut t, "CWD /tree ✓");
    cmd(&mut t, "DELE a.bin");
    cmd(&mut t, "DELE empty.txt");
    cmd(&mut t, "CWD /");
    cmd(&mut t, "RMD tree ✓");
    t.note("(the test dates everything again, so that the listing stays the same)");
    ftpd_common::date_everything(dir.path());
    pasv_download(&mut t, "MLSD");
    cmd(&mut t, "QUIT");
    t.recv_to_end().unwrap();

    insta::assert_snapshot!(format!(
        "{}# ---- the second connection, which ran in the middle of the first ----\n{}",
        t.render(),
        u.render()
    ));
    // And on disk: what FileZilla would see next time.
    assert_eq!(
        ftpd_common::entries(dir.path()),
        [
            "big.bin",
            "café menu ☕.txt",
            "hello renamed é.txt",
            "sub",
            "名前 with spaces"
        ]
    );
}

/// MFMT (FileZilla's 'preserve timestamps' on uploads): the date it sets,
/// and every refusal.
#[test]
fn ftpd_mfmt_sets_dates_and_refuses() {
    let dir = tree(&[
        ("hello.txt", b"hello, world\n"),
        ("folder/inside.txt", b"in"),
        (".secret", b"hidden"),
    ]);
    symlink("/etc/hostname", dir.path().join("link.txt")).unwrap();
    let server = start(dir.path(), &["--writable"]);
    let mut t = Transcript::connect(&server.addr()).unwrap();
    reply(&mut t);
    t.note("before login: 530");
    cmd(&mut t, "MFMT 20200101000000 hello.txt");
    cmd(&mut t, "USER anonymous");
    cmd(&mut t, "PASS x");
    t.note("a date in UTC (a fraction of a second is dropped), then MDTM reads it back");
    cmd(&mut t, "MFMT 19991231235959.5 hello.txt");
    cmd(&mut t, "MDTM hello.txt");
    t.note("no date, no name, not a date (no 30th of February), no such file");
    cmd(&mut t, "MFMT");
    cmd(&mut t, "MFMT 20200101000000");
    cmd(&mut t, "MFMT 2020 hello.txt");
    cmd(&mut t, "MFMT 20200230000000 hello.txt");
    cmd(&mut t, "MFMT 20200101000000 missing.txt");
    t.note("not a file, outside the root, a symlink, a hidden name");
    cmd(&mut t, "MFMT 20200101000000 folder");
    cmd(&mut t, "MFMT 20200101000000 ../../../etc/hostname");
    cmd(&mut t, "MFMT 20200101000000 link.txt");
    cmd(&mut t, "MFMT 20200101000000 .secret");
    cmd(&mut t, "QUIT");
    t.recv_to_end().unwrap();
    // 1999-12-31 23:59:59 UTC; the refused ones changed nothing.
    assert_eq!(modified(&dir.path().join("hello.txt")), 946_684_799);
    let fixed = ftpd_common::fixed_time()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(modified(&dir.path().join("folder")), fixed);
    assert_eq!(modified(&dir.path().join(".secret")), fixed);

    let read_only = start(dir.path(), &[]);
    let mut r = Transcript::connect(&read_only.addr()).unwrap();
    r.note("a server started without --writable refuses it");
    reply(&mut r);
    cmd(&mut r, "USER anonymous");
    cmd(&mut r, "PASS x");
    cmd(&mut r, "MFMT 20200101000000 hello.txt");
    cmd(&mut r, "QUIT");
    r.recv_to_end().unwrap();
    assert_eq!(modified(&dir.path().join("hello.txt")), 946_684_799);
    insta::assert_snapshot!(format!("{}{}", t.render(), r.render()));
}
