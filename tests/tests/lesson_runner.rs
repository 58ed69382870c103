//! The lesson runner: `lesson list`, unknown numbers, "2" for "02", and
//! Ctrl+C in the middle of a lesson stopping every program it started.

use std::time::Duration;

use regex::Regex;
use tests::{RunningLesson, run_lesson};

/// `lesson ARGS` → (exit code, stdout, stderr), within 15 s.
fn runner(args: &[&str]) -> (Option<i32>, String, String) {
    let run = run_lesson(args, Duration::from_secs(15));
    (run.status.code(), run.stdout, run.stderr)
}

/// The `NN  title` lines of a listing.
fn listed(stdout: &str) -> Vec<(String, String)> {
    let line = Regex::new(r"^  (\d\d)  (\S.*)$").unwrap();
    stdout
        .lines()
        .filter_map(|l| {
            line.captures(l)
                .map(|c| (c[1].to_string(), c[2].to_string()))
        })
        .collect()
}

#[test]
fn list_shows_twenty_lessons_with_titles() {
    let (code, stdout, _) = runner(&["list"]);
    assert_eq!(code, Some(0));
    let lessons = listed(&stdout);
    let numbers: Vec<String> = lessons.iter().map(|(n, _)| n.clone()).collect();
    let expected: Vec<String> = (1..=20).map(|n| format!("{n:02}")).collect();
    assert_eq!(numbers, expected, "{stdout}");
    assert!(lessons.iter().all(|(_, title)| title.len() > 5), "{stdout}");
    assert!(
        lessons.contains(&("04".into(), "sticky packets (粘包) and framing".into())),
        "{stdout}"
    );
    assert!(stdout.contains("cargo lesson NN"), "{stdout}");
    // No argument at all lists too, and so does asking for help.
    for args in [&[][..], &["help"], &["--help"]] {
        let (code, again, _) = runner(args);
        assert_eq!(code, Some(0), "{args:?}");
        assert_eq!(again, stdout, "{args:?}");
    }
}

#[test]
fn unknown_lessons_get_the_list_and_a_failure() {
    for wrong in ["99", "00", "abc", "1x"] {
        let (code, stdout, stderr) = runner(&[wrong]);
        assert_ne!(code, Some(0), "lesson {wrong} should fail");
        assert!(code.is_some(), "lesson {wrong} should exit, not be killed");
        assert!(stderr.contains("there is no lesson"), "{wrong}: {stderr}");
        assert_eq!(listed(&stdout).len(), 20, "{wrong}: {stdout}");
    }
}

#[test]
fn a_number_without_its_leading_zero_works() {
    let run = run_lesson(&["3"], Duration::from_secs(15));
    assert!(run.status.success(), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with("Lesson 03: UDP sockets"),
        "{}",
        run.stdout
    );
}

/// Ctrl+C while a lesson's server runs: the lesson stops it and exits 130.
/// Lesson 08 starts the echo server, then spends ~0.9 s in timeouts, which
/// is the window for the signal; should the lesson win the race and finish
/// first, the attempt is repeated.
#[test]
fn ctrl_c_stops_the_lesson_and_every_program_it_started() {
    for _attempt in 0..3 {
        let mut lesson = RunningLesson::start(&["08"]);
        let serving = lesson.wait_for_line("[server] Serving echo", Duration::from_secs(15));
        assert!(serving.is_some(), "lesson 08 never started its server");
        // The terminal sends SIGINT to the foreground process group: the
        // lesson's (it leads its session and group). Its programs are in
        // groups of their own, so only the lesson's handler can stop them.
        nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(lesson.pid() as i32),
            nix::sys::signal::Signal::SIGINT,
        )
        .expect("the lesson's group exists");
        let run = lesson.finish(Duration::from_secs(20));
        assert!(
            run.leftovers.is_empty(),
            "left behind after Ctrl+C: {:?}",
            run.leftovers
        );
        if run.status.success() {
            continue; // it finished before the signal landed; try again
        }
        assert_eq!(run.status.code(), Some(130), "{run:?}");
        assert!(
            run.stdout
                .contains("interrupted; every program it started has been stopped"),
            "{}",
            run.stdout
        );
        return;
    }
    panic!("lesson 08 finished before Ctrl+C three times in a row");
}
