//! `lesson 17` runs to the end by itself, shows what it promises, and
//! leaves no process behind.

use std::time::Duration;

use tests::run_lesson;

#[test]
fn lesson_17_runs_to_the_end() {
    let run = run_lesson(&["17"], Duration::from_secs(15));
    let output = &run.stdout;
    assert!(
        run.status.success(),
        "lesson 17 failed: {}\n{output}",
        run.stderr
    );
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
    assert!(
        run.leftovers.is_empty(),
        "lesson 17 left processes behind: {:?}",
        run.leftovers
    );
}
