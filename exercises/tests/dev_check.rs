//! rustlings' `dev check`, as a test: every exercise AS SHIPPED fails its
//! check (so there is something to do), and every reference solution passes
//! it (so the check can be passed, and the solutions do not rot).
//!
//! Both run through the real check programs: `exNN` (the check compiled with
//! the learner's file, `src/exNN_*.rs`) and `solutions NN` (the same check
//! with `solutions/exNN_*.rs`). They run side by side, each with a deadline.
//!
//! If you are a learner and have solved exercises, the "shipped" half fails
//! for those: that is expected (it checks the files as the course ships
//! them); `cargo exercises` is the command that tracks your progress.

mod common;

use std::sync::Mutex;
use std::thread;

use common::run_check;

use exercises::catalogue::{EXERCISES, Exercise};

/// The path of a check program of this crate.
fn bin(name: &str) -> String {
    // CARGO_BIN_EXE_<name> must be spelled out at compile time.
    match name {
        "ex01" => env!("CARGO_BIN_EXE_ex01"),
        "ex02" => env!("CARGO_BIN_EXE_ex02"),
        "ex03" => env!("CARGO_BIN_EXE_ex03"),
        "ex04" => env!("CARGO_BIN_EXE_ex04"),
        "ex05" => env!("CARGO_BIN_EXE_ex05"),
        "ex06" => env!("CARGO_BIN_EXE_ex06"),
        "ex07" => env!("CARGO_BIN_EXE_ex07"),
        "ex08" => env!("CARGO_BIN_EXE_ex08"),
        "ex09" => env!("CARGO_BIN_EXE_ex09"),
        "ex10" => env!("CARGO_BIN_EXE_ex10"),
        "ex11" => env!("CARGO_BIN_EXE_ex11"),
        "ex12" => env!("CARGO_BIN_EXE_ex12"),
        "ex13" => env!("CARGO_BIN_EXE_ex13"),
        "ex14" => env!("CARGO_BIN_EXE_ex14"),
        "ex15" => env!("CARGO_BIN_EXE_ex15"),
        "ex16" => env!("CARGO_BIN_EXE_ex16"),
        "ex17" => env!("CARGO_BIN_EXE_ex17"),
        "solutions" => env!("CARGO_BIN_EXE_solutions"),
        other => panic!("no check program {other}: add it to bin() in tests/dev_check.rs"),
    }
    .to_string()
}

/// How many check programs run at once: each starts servers and clients
/// with deadlines of a few seconds, which a crowded 2-core machine could miss.
const AT_ONCE: usize = 6;

#[test]
fn shipped_exercises_fail_and_solutions_pass() {
    let jobs: Vec<(&Exercise, &str)> = EXERCISES
        .iter()
        .flat_map(|ex| [(ex, "shipped"), (ex, "solution")])
        .collect();
    let queue = Mutex::new(jobs.into_iter());
    let finished = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..AT_ONCE {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().expect("the queue").next();
                    let Some((ex, variant)) = next else { break };
                    let (code, output) = match variant {
                        "shipped" => run_check(&bin(&format!("ex{}", ex.number)), &[]),
                        _ => run_check(&bin("solutions"), &[ex.number]),
                    };
                    finished
                        .lock()
                        .expect("the results")
                        .push((ex, variant, code, output));
                }
            });
        }
    });
    let mut runs = finished.into_inner().expect("the results");
    runs.sort_by_key(|(ex, variant, _, _)| (ex.number, *variant));
    let mut problems = Vec::new();
    for (ex, variant, code, output) in runs {
        let fine = match variant {
            // Exit code 1 is "a step failed"; a crash or a timeout is not the
            // kind of failure a learner should start from.
            "shipped" => {
                code == Some(1) && output.contains("is not done yet") && output.contains("  ✗ ")
            }
            _ => code == Some(0) && output.contains("is done: all") && !output.contains("  ✗ "),
        };
        if !fine {
            problems.push(format!(
                "exercise {} ({variant}): exit code {code:?}, expected {}\n{output}",
                ex.number,
                if variant == "shipped" {
                    "1 (its check fails)"
                } else {
                    "0 (its check passes)"
                }
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn every_exercise_has_its_files_and_a_hint() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for ex in EXERCISES {
        let exercise = std::fs::read_to_string(root.join("src").join(ex.file))
            .unwrap_or_else(|e| panic!("exercise {}: src/{}: {e}", ex.number, ex.file));
        assert!(
            exercise.contains("TODO"),
            "exercise {} has no TODO",
            ex.number
        );
        assert!(
            root.join("solutions").join(ex.file).exists(),
            "exercise {} has no solution",
            ex.number
        );
        let wrapper = std::fs::read_to_string(root.join(format!("src/bin/ex{}.rs", ex.number)))
            .unwrap_or_else(|e| panic!("exercise {}: its check program: {e}", ex.number));
        assert!(
            wrapper.contains(ex.file),
            "src/bin/ex{}.rs does not include {}",
            ex.number,
            ex.file
        );
        assert!(
            ex.hint.len() > 40,
            "exercise {} has no real hint",
            ex.number
        );
    }
}
