//! The echo session as a transcript: exactly which bytes go each way.

use tests::{ServerProcess, Transcript};

#[test]
fn echo_session_transcript() {
    let server = ServerProcess::start("echo-server", &["--model", "threading", "0"]);
    let mut t = Transcript::connect(&server.addr()).expect("connect");
    t.note("each line comes back unchanged, newline included");
    t.send(b"hello\n").unwrap();
    t.recv_line().unwrap();
    t.send(b"two lines\nin one send\n").unwrap();
    t.recv_line().unwrap();
    t.recv_line().unwrap();
    t.note("bytes are echoed as bytes: CR, tab and non-UTF-8 too");
    t.send(b"tab\there\r\n").unwrap();
    t.recv_line().unwrap();
    t.send(&[0xff, 0x00, b'\n']).unwrap();
    t.recv_line().unwrap();
    t.note("a last line without newline is echoed when the client closes");
    t.send(b"no newline").unwrap();
    t.shutdown_write().unwrap();
    t.recv_to_end().unwrap();
    insta::assert_snapshot!(t.render());
}
