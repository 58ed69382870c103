//! `cargo lesson 18` (the chat room) runs to the end by itself, in time, shows
//! what it promises, and leaves no process behind.

use std::time::Duration;

#[test]
fn lesson_18_runs_to_completion() {
    // The lesson takes a few seconds; the deadline leaves room for a loaded machine.
    let run = tests::run_lesson(&["18"], Duration::from_secs(60));
    let output = &run.stdout;
    assert!(
        run.status.success(),
        "lesson 18 failed: {:?}\n{}\n{output}",
        run.status,
        run.stderr
    );
    assert!(
        run.leftovers.is_empty(),
        "lesson 18 left processes behind: {:?}",
        run.leftovers
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
