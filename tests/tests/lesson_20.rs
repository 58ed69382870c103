//! Lesson 20 runs to completion: its traces show each model's path from
//! serve_forever to handle, and it leaves no process behind.

use std::time::Duration;

/// Runs `lesson 20` with a deadline, checks that nothing of its session
/// outlived it, and returns its exit status and output.
fn run_lesson() -> (std::process::ExitStatus, String) {
    let run = tests::run_lesson(&["20"], Duration::from_secs(30));
    assert!(
        run.leftovers.is_empty(),
        "lesson 20 left processes behind: {:?}",
        run.leftovers
    );
    (run.status, format!("{}\n{}", run.stdout, run.stderr))
}

/// The number after `pid ` in a line.
fn pid_after(line: &str, marker: &str) -> Option<u32> {
    let rest = &line[line.find(marker)? + marker.len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[test]
fn lesson_20_traces_every_model_and_cleans_up() {
    let (status, output) = run_lesson();
    assert!(status.success(), "lesson 20 failed ({status}):\n{output}");
    for marker in [
        "Serving traced requests over TCP, sequential",
        "Serving traced requests over TCP, ThreadingMixIn",
        "Serving traced requests over TCP, ForkingMixIn",
        "Serving traced requests over UDP, sequential",
        "serve_forever: loop starts",
        "accept() -> a request from 127.0.0.1:",
        "recvfrom() -> a request from 127.0.0.1:",
        "verify_request(127.0.0.1:",
        "process_request: ThreadingMixIn decides",
        "setup   for 127.0.0.1:",
        "handle  read \"hello\\n\", answers \"HELLO\\n\"",
        "finish  (",
        "the job starts (thread request, pid ",
        "a CHILD process of ",
        "service_actions, back in the loop: 0 child process(es)",
        "serve_forever returned",
        "the client got the datagram \"HELLO\"",
        "A mix-in of your own",
        "Read next: notes/20-own-handler.md",
    ] {
        assert!(
            output.contains(marker),
            "no {marker:?} in the lesson's output:\n{output}"
        );
    }
    // The forked child's pid differs from its server's, and its parent is that server.
    let child_line = output
        .lines()
        .find(|l| l.contains("the job starts") && l.contains("CHILD"))
        .expect("a job in a child");
    let child = pid_after(child_line, "pid ").expect("the child's pid");
    let parent = pid_after(child_line, "CHILD process of ").expect("the server's pid");
    assert_ne!(child, parent, "{child_line}");
    let server_line = format!("server pid {parent}");
    assert!(
        output.contains(&server_line),
        "the forking server was pid {parent}:\n{output}"
    );

    // Nothing left behind: every server and the forked child are gone.
    let mut pids: Vec<u32> = output
        .lines()
        .filter_map(|l| pid_after(l, "[lesson] server pid "))
        .collect();
    assert_eq!(pids.len(), 4, "four servers:\n{output}");
    pids.push(child);
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "process {pid} is still there after the lesson ended"
        );
    }
}
