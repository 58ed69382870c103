//! What the control connection does while a transfer runs, in whichever
//! model `FTPD_MODEL` names: RFC 959's order of replies (`150`, the
//! transfer's `226`, then the replies to commands sent meanwhile), ABOR
//! while the server waits for the data connection or receives a file,
//! and QUIT during a download.

mod ftpd_common;

use std::io::{Read, Write};

use ftpd_common::{Control, entries, no_panic_logged, pattern, start, tree};

#[test]
fn commands_sent_during_a_transfer_are_answered_after_its_last_reply() {
    let dir = tree(&[]);
    let body = pattern(7, 8 << 20);
    std::fs::write(dir.path().join("big.bin"), &body).unwrap();
    let server = start(dir.path(), &[]);
    let mut c = Control::connect(&server.addr());
    c.login();
    c.cmd("TYPE I");
    let mut data = Control::data(c.epsv());
    // Three commands at once, before reading anything.
    c.send("RETR big.bin");
    c.send("NOOP");
    c.send("PWD");
    assert!(c.reply().starts_with("150"));
    let mut got = Vec::new();
    data.read_to_end(&mut got).unwrap();
    assert!(got == body, "the file came back different");
    assert_eq!(c.reply(), "226 Transfer complete.");
    assert_eq!(c.reply(), "200 NOOP ok.");
    assert_eq!(c.reply(), "257 \"/\" is the current directory.");
    no_panic_logged(server);
}

#[test]
fn abor_while_the_server_waits_for_the_data_connection() {
    let dir = tree(&[("a.txt", b"a")]);
    // The data timeout is far longer than a reply may take (DEADLINE):
    // only the ABOR can end the wait in time.
    let server = start(dir.path(), &["--data-timeout", "120"]);
    let mut c = Control::connect(&server.addr());
    c.login();
    c.epsv(); // and never connect
    c.send("RETR a.txt");
    c.send("ABOR");
    let r = c.reply();
    assert!(r.starts_with("426"), "{r}");
    assert_eq!(c.reply(), "226 ABOR successful.");
    assert!(c.cmd("NOOP").starts_with("200"));
    no_panic_logged(server);
}

#[test]
fn abor_stops_an_upload_and_stores_nothing() {
    let dir = tree(&[]);
    let server = start(dir.path(), &["--writable"]);
    let mut c = Control::connect(&server.addr());
    c.login();
    c.cmd("TYPE I");
    let mut data = c.transfer("STOR half.bin").unwrap();
    data.write_all(&pattern(8, 1 << 20)).unwrap();
    // The data connection stays open: only the ABOR says "stop".
    c.send("ABOR");
    let r = c.reply();
    assert!(r.starts_with("426"), "{r}");
    assert_eq!(c.reply(), "226 ABOR successful.");
    drop(data);
    assert!(c.cmd("NOOP").starts_with("200"));
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    no_panic_logged(server);
}

#[test]
fn quit_during_a_download_waits_for_its_end() {
    let dir = tree(&[]);
    let body = pattern(9, 4 << 20);
    std::fs::write(dir.path().join("f.bin"), &body).unwrap();
    let server = start(dir.path(), &[]);
    let mut c = Control::connect(&server.addr());
    c.login();
    c.cmd("TYPE I");
    let mut data = c.transfer("RETR f.bin").unwrap();
    c.send("QUIT");
    let mut got = Vec::new();
    data.read_to_end(&mut got).unwrap();
    assert!(got == body, "the file came back different");
    assert_eq!(c.reply(), "226 Transfer complete.");
    assert_eq!(c.reply(), "221 Goodbye.");
    assert_eq!(c.reply(), "", "the connection stays open after QUIT");
    no_panic_logged(server);
}
