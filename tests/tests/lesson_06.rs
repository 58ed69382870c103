//! `cargo lesson 06` (UDP broadcast) runs to the end by itself, in time, shows
//! what it promises, and leaves no process behind.

use std::time::Duration;

#[test]
fn lesson_06_runs_to_completion() {
    // The lesson takes a few seconds; the deadline leaves room for a loaded machine.
    let run = tests::run_lesson(&["06"], Duration::from_secs(60));
    let output = &run.stdout;
    assert!(
        run.status.success(),
        "lesson 06 failed: {:?}\n{}\n{output}",
        run.status,
        run.stderr
    );
    assert!(
        run.leftovers.is_empty(),
        "lesson 06 left processes behind: {:?}",
        run.leftovers
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
