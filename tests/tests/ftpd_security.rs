//! `ftpd`'s security promises, beyond the transcripts: a passive port
//! taken by someone else, broken and aborted uploads, data timeouts,
//! `..` in writing commands, and the connection limits when every
//! session is a process of its own.

mod ftpd_common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use ftpd_common::{Control, DEADLINE, entries, no_panic_logged, pattern, start, tree};

#[test]
fn a_passive_port_taken_by_another_address_gets_nothing() {
    let dir = tree(&[("secret.txt", b"for the client only")]);
    let server = start(dir.path(), &[]);
    let mut c = Control::connect(&server.addr());
    c.login();
    let addr = c.epsv();
    // The thief connects first, from another loopback address.
    let thief = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    thief
        .bind(&"127.0.0.2:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    thief.connect(&addr.into()).unwrap();
    let mut thief: TcpStream = thief.into();
    thief.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut data = Control::data(addr);
    let r = c.cmd("RETR secret.txt");
    assert!(r.starts_with("150"), "{r}");
    let mut got = Vec::new();
    data.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"for the client only");
    assert!(c.reply().starts_with("226"));
    // The thief's connection was closed without a byte.
    let mut stolen = Vec::new();
    let n = thief.read_to_end(&mut stolen).unwrap_or(0);
    assert_eq!(n, 0, "the thief got {stolen:?}");
    assert!(
        server
            .wait_for_line(
                "refused 1 data connection(s) from other addresses",
                DEADLINE
            )
            .is_some()
    );
    no_panic_logged(server);
}

#[test]
fn a_broken_upload_leaves_nothing_visible() {
    let dir = tree(&[("old.txt", b"the old version")]);
    let server = start(dir.path(), &["--writable"]);
    let mut c = Control::connect(&server.addr());
    c.login();
    c.cmd("TYPE I");

    // 1. The data connection is reset in the middle (SO_LINGER 0).
    let data = c.transfer("STOR new.bin").unwrap();
    (&data).write_all(&pattern(1, 300_000)).unwrap();
    socket2::SockRef::from(&data)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(data);
    let r = c.reply();
    assert!(r.starts_with("426"), "{r}");

    // 2. A replacement of old.txt, reset: the old version stays, whole.
    let data = c.transfer("STOR old.txt").unwrap();
    (&data).write_all(b"half of the new").unwrap();
    socket2::SockRef::from(&data)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(data);
    assert!(c.reply().starts_with("426"));
    assert_eq!(
        std::fs::read(dir.path().join("old.txt")).unwrap(),
        b"the old version"
    );

    // 3. ABOR in the middle of an upload.
    let data = c.transfer("STOR aborted.bin").unwrap();
    (&data).write_all(&pattern(2, 3 << 20)).unwrap();
    c.send("ABOR");
    let r = c.reply();
    assert!(r.starts_with("426"), "{r}");
    assert!(c.reply().starts_with("226"));
    drop(data);

    // 4. The client dies mid-upload: its control connection closes first
    //    (the lower descriptor), then the data connection ends "normally".
    let data = c.transfer("STOR vanished.bin").unwrap();
    (&data).write_all(&pattern(3, 100_000)).unwrap();
    drop(c);
    drop(data);

    // Then a new session works, and none of the four is visible, nor a
    // temporary file.
    let mut c = Control::connect(&server.addr());
    c.login();
    let names = c.download("NLST").unwrap();
    assert_eq!(String::from_utf8(names).unwrap(), "old.txt\r\n");
    assert!(
        tests::procfs::wait_until(DEADLINE, || entries(dir.path()) == ["old.txt"]),
        "{:?}",
        entries(dir.path())
    );
    no_panic_logged(server);
}

#[test]
fn an_upload_whose_control_connection_is_reset_is_not_stored() {
    // Found by `cargo soak --only ftpd`: a client whose control connection
    // ended with a reset (a crash, a lost network) and whose data
    // connection then ended with a FIN had its partial upload stored
    // under the name it asked for, as if whole.
    let dir = tree(&[]);
    let server = start(dir.path(), &["--writable"]);
    let mut c = Control::connect(&server.addr());
    c.login();
    c.cmd("TYPE I");
    let data = c.transfer("STOR reset.bin").unwrap();
    (&data).write_all(&pattern(4, 100_000)).unwrap();
    // On loopback the reset reaches the server before the data's FIN.
    c.reset();
    drop(data);
    // The temporary file (there since the 150) goes when the server is
    // done: deleted, or renamed to reset.bin in one step.
    let uploading = || {
        entries(dir.path())
            .iter()
            .any(|n| n.starts_with(".upload-"))
    };
    assert!(tests::procfs::wait_until(DEADLINE, || !uploading()));
    assert_eq!(entries(dir.path()), Vec::<String>::new());
    // A new session works and lists nothing.
    let mut c = Control::connect(&server.addr());
    c.login();
    assert_eq!(c.download("NLST").unwrap(), b"");
    no_panic_logged(server);
}

#[test]
fn abor_stops_a_download() {
    let dir = tree(&[]);
    std::fs::write(dir.path().join("big.bin"), pattern(4, 64 << 20)).unwrap();
    let server = start(dir.path(), &[]);
    let mut c = Control::connect(&server.addr());
    c.login();
    c.cmd("TYPE I");
    let mut data = c.transfer("RETR big.bin").unwrap();
    let mut first = vec![0u8; 1 << 20];
    data.read_exact(&mut first).unwrap();
    c.send("ABOR");
    // The rest is not read: the server notices ABOR between two MiB.
    let r = c.reply();
    assert!(r.starts_with("426"), "{r}");
    assert!(c.reply().starts_with("226"));
    let mut rest = Vec::new();
    let _ = data.read_to_end(&mut rest);
    assert!(rest.len() < 60 << 20, "the whole file came: {}", rest.len());
    assert!(c.cmd("NOOP").starts_with("200"));
    no_panic_logged(server);
}

#[test]
fn a_data_connection_that_never_comes_times_out() {
    let dir = tree(&[("a.txt", b"a")]);
    let server = start(dir.path(), &["--data-timeout", "1"]);
    let mut c = Control::connect(&server.addr());
    c.login();
    c.epsv();
    let r = c.cmd("RETR a.txt");
    assert_eq!(
        r,
        "425 Failed to establish connection: none came within 1 s."
    );
    // Active mode to a port where nobody listens: refused at once.
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = unused.local_addr().unwrap().port();
    drop(unused);
    let r = c.cmd(&format!("EPRT |1|127.0.0.1|{port}|"));
    assert!(r.starts_with("200"), "{r}");
    let r = c.cmd("RETR a.txt");
    assert!(r.starts_with("425"), "{r}");
    assert!(c.cmd("NOOP").starts_with("200"));
}

#[test]
fn active_mode_to_the_clients_own_port_works() {
    let dir = tree(&[("a.txt", b"active bytes")]);
    let server = start(dir.path(), &[]);
    let mut c = Control::connect(&server.addr());
    c.login();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let r = c.cmd(&format!("PORT 127,0,0,1,{},{}", port >> 8, port & 0xff));
    assert!(r.starts_with("200"), "{r}");
    c.send("RETR a.txt");
    let (mut data, from) = listener.accept().unwrap();
    assert_eq!(from.ip().to_string(), "127.0.0.1");
    let mut got = Vec::new();
    data.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"active bytes");
    assert!(c.reply().starts_with("150"));
    assert!(c.reply().starts_with("226"));
}

#[test]
fn dot_dot_in_writing_commands_stays_inside() {
    let base = tree(&[]);
    let served = base.path().join("served");
    std::fs::create_dir(&served).unwrap();
    let server = start(&served, &["--writable"]);
    let mut c = Control::connect(&server.addr());
    c.login();
    assert!(c.upload("STOR ../../escaped.txt", b"x").is_ok());
    assert!(c.cmd("MKD ../made").starts_with("257"));
    assert!(c.cmd("RNFR ../../escaped.txt").starts_with("350"));
    assert!(c.cmd("RNTO ../made/../../moved.txt").starts_with("250"));
    assert!(c.cmd("CWD ../../..").starts_with("250"));
    assert_eq!(c.cmd("PWD"), "257 \"/\" is the current directory.");
    // Everything landed inside the served directory, nothing next to it.
    assert_eq!(entries(&served), ["made", "moved.txt"]);
    assert_eq!(entries(base.path()), ["served"]);
}

#[test]
fn limits_hold_across_forked_sessions() {
    let dir = tree(&[]);
    let server = start(
        dir.path(),
        &[
            "--model",
            "forking",
            "--max-connections",
            "2",
            "--max-per-address",
            "0",
        ],
    );
    let first = Control::connect(&server.addr());
    let second = Control::connect(&server.addr());
    assert!(first.greeting.starts_with("220"));
    assert!(second.greeting.starts_with("220"));
    let third = Control::connect(&server.addr());
    assert_eq!(
        third.greeting,
        "421 There are too many connected users, please try later."
    );
    drop(first);
    // The first child gives its place back as it ends.
    let ok = tests::procfs::wait_until(DEADLINE, || {
        Control::connect(&server.addr()).greeting.starts_with("220")
    });
    assert!(ok, "a place never came free");
    drop(second);
    no_panic_logged(server);
}

#[test]
fn a_passive_port_serves_again_while_its_last_connection_is_in_time_wait() {
    // The server closes a data connection first (its end is the end of
    // the file), so the passive port then sits in TIME_WAIT for a minute.
    // It must be bound again meanwhile (SO_REUSEADDR, which std's
    // TcpListener::bind sets), or a range of N ports would serve only N
    // transfers a minute; `cargo soak --only ftpd` relies on it. A
    // one-port range shows it at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let range = format!("{port}-{port}");
    let dir = tree(&[("a.txt", b"the same file, twice")]);
    let server = start(dir.path(), &["--passive-ports", &range]);
    let mut c = Control::connect(&server.addr());
    c.login();
    for round in 0..3 {
        let got = c.download("RETR a.txt");
        assert_eq!(
            got.as_deref(),
            Ok(&b"the same file, twice"[..]),
            "transfer {round}"
        );
    }
    no_panic_logged(server);
}

#[test]
fn passive_ports_stay_in_the_range() {
    let dir = tree(&[("a.txt", b"a")]);
    let server = start(dir.path(), &["--passive-ports", "47100-47119"]);
    let mut c = Control::connect(&server.addr());
    c.login();
    for _ in 0..5 {
        let addr = c.epsv();
        assert!((47100..=47119).contains(&addr.port()), "{addr}");
        let r = c.cmd("PASV");
        let numbers: Vec<u16> = r
            .split('(')
            .nth(1)
            .and_then(|s| s.split(')').next())
            .unwrap_or_else(|| panic!("{r}"))
            .split(',')
            .map(|n| n.parse().unwrap())
            .collect();
        let port = numbers[4] * 256 + numbers[5];
        assert!((47100..=47119).contains(&port), "{r}");
    }
    // And the last one is usable.
    let mut data = TcpStream::connect(("127.0.0.1", {
        let r = c.cmd("EPSV");
        r.split("|||")
            .nth(1)
            .unwrap()
            .split('|')
            .next()
            .unwrap()
            .parse::<u16>()
            .unwrap()
    }))
    .unwrap();
    assert!(c.cmd("RETR a.txt").starts_with("150"));
    let mut got = Vec::new();
    data.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"a");
    assert!(c.reply().starts_with("226"));
}

#[test]
fn over_ipv6_epsv_and_eprt_work_and_pasv_says_why_not() {
    let dir = tree(&[("a.txt", b"over IPv6")]);
    let server = start(dir.path(), &["--bind", "::1"]);
    let addr = format!("[::1]:{}", server.port);
    let mut c = Control::connect(&addr);
    c.login();
    assert_eq!(c.cmd("PASV"), "425 PASV is IPv4 only: use EPSV.");
    assert_eq!(c.download("RETR a.txt").unwrap(), b"over IPv6");
    // Active mode to the client's own IPv6 address; an IPv4 one is another address.
    let listener = std::net::TcpListener::bind("[::1]:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let r = c.cmd(&format!("EPRT |1|127.0.0.1|{port}|"));
    assert!(r.starts_with("501") && r.contains("bounce"), "{r}");
    let r = c.cmd(&format!("EPRT |2|::1|{port}|"));
    assert!(r.starts_with("200"), "{r}");
    c.send("RETR a.txt");
    let (mut data, _) = listener.accept().unwrap();
    let mut got = Vec::new();
    data.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"over IPv6");
    assert!(c.reply().starts_with("150"));
    assert!(c.reply().starts_with("226"));
}
