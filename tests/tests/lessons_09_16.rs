//! Lessons 09–16 run to completion, print what they promise, and leave no
//! process behind.
//!
//! Each lesson runs as its own process in a new session (`setsid`), so
//! every process it starts — servers, clients, forked children, orphans —
//! carries the lesson's session id, and `/proc` tells whether any of them
//! outlived it. The forking happens inside the lesson's processes, never
//! in this (multi-threaded) test harness.

use std::time::Duration;

use regex::Regex;
use tests::{RunningLesson, run_lesson};

/// A lesson must finish well within this, even on a busy CI machine.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs lesson `number` to completion in its own session; returns its
/// output (stdout, then stderr) after checking that it succeeded, left no
/// process behind (zombies included) and named its note.
fn run(number: &str) -> String {
    let run = run_lesson(&[number], DEADLINE);
    let output = format!("{}\n{}", run.stdout, run.stderr);
    assert!(
        run.status.success(),
        "lesson {number} failed ({}):\n{output}",
        run.status
    );
    assert!(
        run.leftovers.is_empty() && run.zombies.is_empty(),
        "lesson {number} left processes behind: {:?} {:?}",
        run.leftovers,
        run.zombies
    );
    assert!(
        output.contains(&format!("notes/{number}-")),
        "lesson {number} points to its note:\n{output}"
    );
    output
}

/// Asserts that `needles` appear in `text` in this order.
fn assert_in_order(text: &str, needles: &[&str]) {
    let mut from = 0;
    for needle in needles {
        match text[from..].find(needle) {
            Some(at) => from += at + needle.len(),
            None => panic!("{needle:?} missing (or out of order) after byte {from} in:\n{text}"),
        }
    }
}

fn capture<'t>(text: &'t str, pattern: &str) -> regex::Captures<'t> {
    Regex::new(pattern)
        .expect("a valid pattern")
        .captures(text)
        .unwrap_or_else(|| panic!("no match for {pattern:?} in:\n{text}"))
}

#[test]
fn lesson_09_serves_with_select_poll_and_epoll_and_writes_the_file() {
    let out = run("09");
    for api in ["select", "poll", "epoll"] {
        assert!(out.contains(&format!("Serving echo over TCP, {api} on 127.0.0.1 port ")));
        assert_in_order(
            &out,
            &[
                &format!("{api}: listening socket ready -> accepted"),
                &format!("{api}: fd"),
                &format!("echoed \"A says hello to {api}\""),
                &format!("[client A] got   \"A says hello to {api}\""),
                &format!("echoed \"B says hello to {api}\""),
            ],
        );
    }
    // The file, as the lesson printed it after the server stopped: every
    // line from both clients and the terminal, in arrival order.
    assert_in_order(
        &out,
        &[
            "now holds:",
            "[file] [127.0.0.1:",
            "] first line from client A",
            "[file] [terminal] typed at the terminal",
            "] client B joins in",
            "] client A again",
            "[file] [terminal] last words from the terminal",
            "] client B after the terminal closed",
        ],
    );
    let file_lines = out.lines().filter(|l| l.starts_with("[file] ")).count();
    assert_eq!(file_lines, 6, "six lines in the file:\n{out}");
}

#[test]
fn lesson_10_shows_unix_sockets_and_their_files() {
    let out = run("10");
    assert_in_order(
        &out,
        &[
            "Serving echo over Unix stream, threading on ",
            "file type s (socket)",
            "[client] got   \"hello over a Unix socket\"",
            "socket file exists = false",
            "[raw client] got   \"SHOUT THIS BACK\"",
            "socket file exists = true",
            "binding the same path again fails: Address already in use",
            "after remove_file, bind works again",
        ],
    );
}

#[test]
fn lesson_11_shows_a_zombie_reaped_and_an_orphan_adopted() {
    let out = run("11");
    // fork: the child's parent is the process that forked it.
    let fork = capture(
        &out,
        r"parent \(pid (\d+)\): getpid\(\) = \d+.*\n(?s:.*)child  \(pid \d+\): fork\(\) returned 0 here; getpid\(\) = \d+, getppid\(\) = (\d+)",
    );
    assert_eq!(fork[1], fork[2]);
    assert!(out.contains("my value is still 1"));
    // Priority: the child's nice value read back from /proc, with ps's N.
    let nice = capture(&out, r"child (\d+): nice 10, STAT [RS]N");
    assert!(
        out.contains(&format!("waitpid({}) -> Exited", &nice[1])),
        "{out}"
    );
    // The zombie: state Z in the process table, then reaped and gone.
    let zombie = capture(&out, r"zombie: pid (\d+) state Z");
    let pid = &zombie[1];
    assert!(
        out.contains(&format!("  {pid}  ")),
        "the table row of {pid}"
    );
    assert_in_order(
        &out,
        &[
            &format!("zombie: pid {pid} state Z"),
            &format!("waitpid({pid}) -> reaped, exit status 7"),
            &format!("reaped: /proc/{pid} is gone from the process table"),
        ],
    );
    // wait/waitpid.
    assert_in_order(
        &out,
        &[
            "WNOHANG) -> StillAlive",
            "wait() -> Exited(",
            ", 2) (whichever",
            "wait() -> Exited(",
            ", 3) (whichever",
            "blocked until -> Exited(",
            "wait() -> ECHILD",
        ],
    );
    // The orphan: a new parent, different from the one that exited.
    let orphan = capture(&out, r"orphan: parent before = (\d+), parent after = (\d+)");
    assert_ne!(orphan[1], orphan[2], "the orphan's parent changed");
    let adopter = capture(
        &out,
        r"demo   \(pid (\d+)\): prctl\(PR_SET_CHILD_SUBREAPER\)",
    );
    assert_eq!(orphan[2], adopter[1], "adopted by the subreaper");
    assert!(out.contains("I reaped the adopted orphan"));
    // The double fork. The parent's report and the grandchild's run in two
    // processes at once, so only their order against the fork and the final
    // reaping is fixed, not against each other.
    for middle in ["immediately: no zombie", "already exited; adopted by"] {
        assert_in_order(
            &out,
            &[
                "forked the grandchild",
                middle,
                "collected the grandchild: Exited(",
            ],
        );
    }
}

#[test]
fn lesson_12_passes_data_through_pipe_queue_shared_memory_and_pool() {
    let out = run("12");
    assert!(out.contains("read from the pipe: \"hello parent, this is pid "));
    assert_in_order(
        &out,
        &["sent \"ping\"", "got \"ping\", answering", "got \"pong\""],
    );
    assert_eq!(out.matches("queue.get() -> \"producer").count(), 9);
    assert!(out.contains("all 9 messages arrived whole, in FIFO order"));
    for producer in 1..=3 {
        // FIFO per producer: item 1 before 2 before 3.
        let p = format!("producer {producer} (pid ");
        assert_in_order(&out, &[&p, "item 1", &p, "item 2", &p, "item 3"]);
    }
    assert!(out.contains("shared counter (atomic add) = 400000 of 400000"));
    assert!(out.contains("ordinary variable = 0"));
    assert!(
        out.contains("pool.map(square, 1..=8) = [1, 4, 9, 16, 25, 36, 49, 64]; all workers reaped")
    );
    assert_eq!(out.matches(": square(").count(), 8);
    assert!(out.contains("shared memory 共享内存") && out.contains("first in, first out"));
}

#[test]
fn lesson_13_signals_and_the_driver_and_conductor() {
    let out = run("13");
    assert_in_order(
        &out,
        &[
            "caught SIGUSR1: my handler ran",
            "caught SIGTERM",
            "waitpid -> Exited(",
            "waitpid -> Signaled(",
            "SIGUSR1, false): the default action killed it",
            "SIGTERM, false): SIGINT was ignored",
            "sigaction(SIGKILL, SIG_IGN) -> Err(EINVAL)",
        ],
    );
    assert!(out.contains("alarm(1) -> Some(5)"));
    let alarm = capture(&out, r"SIGALRM arrived after (\d+\.\d+) s");
    let secs: f64 = alarm[1].parse().expect("a number");
    assert!(secs >= 0.95, "alarm(1) cannot ring early: {secs}");
    assert_eq!(out.matches("  reaped Exited(").count(), 3);
    assert!(out.contains("never a zombie, gone"));
    // The bus: every key press leads to the right reaction, in order.
    assert_in_order(
        &out,
        &[
            "conductor (pid",
            "driver (pid",
            "presses Ctrl+C",
            "SIGINT (Ctrl+C) -> SIGUSR1 to the driver",
            "SIGUSR1 -> 老司机开车了",
            "presses Ctrl+\\",
            "SIGQUIT (Ctrl+\\) -> SIGUSR2 to the driver",
            "SIGUSR2 -> 车速有点快，系好安全带",
            "presses Ctrl+Z",
            "SIGTSTP (Ctrl+Z) -> we have arrived",
            "SIGUSR1 -> 到站了请下车",
            "the conductor got off (Exited(",
            "now the driver gets off",
        ],
    );
}

#[test]
fn lesson_14_event_lock_semaphore_and_deadlock() {
    let out = run("14");
    assert_eq!(out.matches("released after").count(), 3);
    assert!(out.contains("e.wait(0.1) returns false"));
    assert!(out.contains("with a Mutex:   400000 of 400000"));
    for who in ["threads", "processes"] {
        let most = capture(
            &out,
            &format!(r"{who}: at most (\d+) inside at once \(limit 2\)"),
        );
        let most: u32 = most[1].parse().expect("a number");
        assert!(
            (1..=2).contains(&most),
            "{who}: the semaphore let {most} in"
        );
    }
    assert_eq!(out.matches("DEADLOCK, giving up").count(), 2);
    assert_in_order(
        &out,
        &[
            "deadlock detected",
            "took A then B 1000 times",
            "took A then B 1000 times",
            "lock ordering: no deadlock",
        ],
    );
}

#[test]
fn lesson_15_prints_the_timing_table_beside_the_course() {
    let out = run("15");
    for (row, course) in [
        ("sequential", r"8\.96 s\s+3\.91 s"),
        ("threads", r"9\.48 s\s+3\.85 s"),
        ("processes", r"4\.48 s\s+2\.18 s"),
    ] {
        capture(
            &out,
            &format!(
                r"(?m)^\s+{row}\s+\| {course}\s+\| \d+\.\d\d s \(x\d+\.\d\)\s+\d+\.\d\d s \(x\d+\.\d\)\s+\d+\.\d\d s \(x\d+\.\d\)$"
            ),
        );
    }
    assert!(out.contains("全局解释器锁"));
    assert_in_order(
        &out,
        &[
            "join() waited for it",
            "[ticker] tick 1",
            "returning without joining",
            "daemon-demo exited (exit status: 0)",
        ],
    );
}

#[test]
fn lesson_16_compares_the_server_models() {
    let out = run("16");
    for model in ["sequential", "threading", "forking", "pool", "poll"] {
        capture(
            &out,
            &format!(
                r"(?m)^  {model}\s+\d+\.\d\d s\s+\d+\.\d\d s\s+\d+ threads?, \d+ child process"
            ),
        );
    }
    // The loop server serves one client at a time: four clients that each
    // hold it for 0.2 s cannot all be done in less than 0.8 s.
    let sequential = capture(
        &out,
        r"sequential: last first-reply after (\d+\.\d+) s, all done after (\d+\.\d+) s",
    );
    let first: f64 = sequential[1].parse().expect("a number");
    let done: f64 = sequential[2].parse().expect("a number");
    assert!(first >= 0.55, "the 4th client waited for 3 others: {first}");
    assert!(done >= 0.75, "four clients in turn: {done}");
    assert!(out.contains("Serving echo over TCP, forking on"));
    // 1,000 idle clients: threads, children, memory, answers, per model.
    let idle = |model: &str| -> Vec<usize> {
        let row = capture(
            &out,
            &format!(r"(?m)^  {model}\s+(\d+)\s+(\d+)\s+\d+\.\d MiB\s+(\d+)/1000$"),
        );
        (1..=3).map(|i| row[i].parse().unwrap()).collect()
    };
    let [threads, children, answered] = idle("poll")[..] else {
        panic!()
    };
    assert!(
        threads <= 3 && children == 0,
        "one loop thread (+ Ctrl+C's)"
    );
    assert_eq!(answered, 1000, "the event loop answers every idle client");
    let [threads, _, answered] = idle("threading")[..] else {
        panic!()
    };
    assert!(threads >= 1000, "a thread per client: {threads}");
    assert_eq!(answered, 1000);
    let [_, children, answered] = idle("forking")[..] else {
        panic!()
    };
    assert_eq!((children, answered), (1000, 1000), "a child per client");
    assert_eq!(idle("sequential")[2], 1, "one client at a time");
    let pool = idle("pool");
    assert!(
        pool[2] > 0 && pool[2] < 100,
        "only the workers' clients: {pool:?}"
    );
}

/// Ctrl+C (SIGINT to the lesson's process group, as a terminal sends it)
/// stops a lesson and every program it started.
#[test]
fn interrupted_lessons_leave_nothing_running() {
    for (number, marker) in [
        ("16", "[threading] Serving echo over TCP"),
        ("13", "[bus] conductor"),
        ("11", "[process-demo] parent"),
    ] {
        let mut lesson = RunningLesson::start(&[number]);
        let session = lesson.pid() as i32;
        // Interrupt in the middle of the lesson, when `marker` shows.
        if lesson.wait_for_line(marker, DEADLINE).is_none() {
            let early = lesson.finish(Duration::ZERO);
            panic!(
                "lesson {number} never printed {marker:?}:\n{}",
                early.stdout
            );
        }
        nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(session),
            nix::sys::signal::Signal::SIGINT,
        )
        .expect("the lesson runs");
        let run = lesson.finish(DEADLINE);
        assert!(
            !run.status.success(),
            "lesson {number} was interrupted:\n{}",
            run.stdout
        );
        // Nothing may keep running. (Programs killed at the last moment may
        // remain as zombies until init reaps them; they run no more.)
        assert!(
            run.leftovers.is_empty(),
            "interrupted lesson {number} left processes behind: {:?}",
            run.leftovers
        );
    }
}
