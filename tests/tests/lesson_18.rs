//! `cargo lesson 18` (the chat room) runs to the end by itself, in time, and
//! shows what it promises.

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

#[test]
fn lesson_18_runs_to_completion() {
    let mut child = Command::new(tests::bin_path("lesson"))
        .arg("18")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the lesson starts");
    let mut stdout = child.stdout.take().expect("piped");
    let reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    // The lesson takes a few seconds; the deadline leaves room for a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("lesson 18 did not finish within 60 s");
        }
        thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr);
    let output = reader.join().expect("reader");
    assert!(
        status.success(),
        "lesson 18 failed: {status:?}\n{stderr}\n{output}"
    );
    for marker in [
        "=== The course's chat room over UDP ===",
        "[bob] alice: hello bob",
        "the name \"alice\" is taken",
        "[bob] admin: welcome, both of you",
        "[mallory <-] ERR not joined",
        "* mallory has left the chat (timed out)",
        "[dave <-] ERR message too long",
        "* sleeper has left the chat (not reading; disconnected)",
        "carol received all 300 messages",
        "Read next: notes/18-chat-room.md",
    ] {
        assert!(output.contains(marker), "missing {marker:?} in:\n{output}");
    }
}
