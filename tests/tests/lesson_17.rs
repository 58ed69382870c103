//! `lesson 17` runs to the end by itself, shows what it promises, and
//! leaves no process behind.

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tests::bin_path;

#[test]
fn lesson_17_runs_to_the_end() {
    let mut child = Command::new(bin_path("lesson"))
        .arg("17")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the lesson starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).unwrap();
        text
    });
    let end = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("lesson 17 did not finish within 15 s");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let output = reader.join().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "lesson 17 failed: {stderr}\n{output}");
    for marker in [
        "Lesson 17: the FTP-style file server",
        "[server] Serving the file library ",
        "=== list (L) ===",
        "[client] hello.txt",
        "[client] uploaded report.bin (100002 bytes)",
        "[lesson] the download is byte-exact: yes",
        "[client] cannot get \"missing.txt\": no such file",
        "[client] cannot put \"report.bin\": file already exists",
        "[client-A] uploaded a.bin (4194304 bytes)",
        "[client-B] uploaded b.bin (4194304 bytes)",
        "[wire] S: OK 13\\n",
        "[menu] =========== Command ===========",
        "Read next: notes/17-ftp-server.md",
        "code: examples/src/ftp/server.rs",
    ] {
        assert!(output.contains(marker), "missing {marker:?} in:\n{output}");
    }
    // The server it started is gone (killed and reaped by the lesson).
    let pid: i32 = output
        .lines()
        .find_map(|line| line.strip_prefix("[lesson] server pid "))
        .and_then(|pid| pid.trim().parse().ok())
        .expect("the lesson names the server's pid");
    let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok();
    assert!(!alive, "the server (pid {pid}) outlived the lesson");
}
