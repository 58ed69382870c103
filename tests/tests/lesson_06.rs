//! `cargo lesson 06` (UDP broadcast) runs to the end by itself, in time, and
//! shows what it promises.

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

#[test]
fn lesson_06_runs_to_completion() {
    let mut child = Command::new(tests::bin_path("lesson"))
        .arg("06")
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
            panic!("lesson 06 did not finish within 60 s");
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
        "lesson 06 failed: {status:?}\n{stderr}\n{output}"
    );
    for marker in [
        "=== Three receivers on one port ===",
        "[recv-3] from 127.0.0.1:",
        "news #3",
        "Address already in use",
        "Permission denied",
        "on-127.0.0.1 received nothing",
        "Read next: notes/06-udp-broadcast.md",
    ] {
        assert!(output.contains(marker), "missing {marker:?} in:\n{output}");
    }
}
