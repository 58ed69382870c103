//! The exercise runner, rustlings-style.
//!
//! ```text
//! cargo exercise 01      check exercise 01   (just exercise 01)
//! cargo exercises        list them all, done or not yet   (just exercises)
//! cargo hint 01          print the hint of exercise 01   (just hint 01)
//! ```
//!
//! Checking an exercise builds its own program (`src/bin/exNN.rs`, which
//! includes the learner's file) with cargo and runs it. One program per
//! exercise means a compile error in one file is reported as such and never
//! stops the others.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::thread;

use exercises::catalogue::{EXERCISES, Exercise, find};

/// How the check of one exercise ended.
enum Outcome {
    Done,
    NotYet,
    DoesNotCompile,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo exercise NN   check exercise NN (e.g. `cargo exercise 01`)\n\
         \x20      cargo exercises      list the exercises and their state\n\
         \x20      cargo hint NN        a hint for exercise NN"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["list"] => list(),
        ["hint", n] => match find(n) {
            Some(ex) => {
                println!(
                    "Hint for exercise {} ({}):\n\n{}",
                    ex.number, ex.title, ex.hint
                );
                println!("\nThe note of lesson {} explains the idea.", ex.lesson);
                ExitCode::SUCCESS
            }
            None => unknown(n),
        },
        [n] => match find(n) {
            Some(ex) => match check(ex) {
                Outcome::Done => ExitCode::SUCCESS,
                _ => ExitCode::FAILURE,
            },
            None => unknown(n),
        },
        _ => usage(),
    }
}

fn unknown(n: &str) -> ExitCode {
    eprintln!("there is no exercise {n:?}; `cargo exercises` lists them");
    ExitCode::from(2)
}

/// Lists every exercise with its state. Each check is built (one by one:
/// cargo builds one thing at a time anyway), then all run side by side.
fn list() -> ExitCode {
    println!("Exercises (check one with `cargo exercise NN`, a hint: `cargo hint NN`):\n");
    let built: Vec<bool> = EXERCISES.iter().map(|ex| build(ex, true)).collect();
    let runs: Vec<_> = EXERCISES
        .iter()
        .zip(built)
        .map(|(ex, built)| {
            thread::spawn(move || match built {
                false => Outcome::DoesNotCompile,
                true => run(ex, true),
            })
        })
        .collect();
    let mut done = 0;
    for (ex, run) in EXERCISES.iter().zip(runs) {
        let state = match run.join().unwrap_or(Outcome::NotYet) {
            Outcome::Done => {
                done += 1;
                "done"
            }
            Outcome::NotYet => "not yet",
            Outcome::DoesNotCompile => "not yet (does not compile)",
        };
        // Pad by display width: a CJK character takes two columns.
        let width: usize = ex
            .title
            .chars()
            .map(|c| if c > '\u{2e80}' { 2 } else { 1 })
            .sum();
        let pad = " ".repeat(46usize.saturating_sub(width));
        println!(
            "  {}  {}{pad}{:<28} exercises/src/{}",
            ex.number, ex.title, state, ex.file
        );
    }
    println!("\n{done} of {} done.", EXERCISES.len());
    ExitCode::SUCCESS
}

/// Builds and runs the check of one exercise.
fn check(ex: &Exercise) -> Outcome {
    if !build(ex, false) {
        return Outcome::DoesNotCompile;
    }
    run(ex, false)
}

/// Builds the exercise's check program; false when it does not compile.
fn build(ex: &Exercise, quiet: bool) -> bool {
    let bin = format!("ex{}", ex.number);
    if !quiet {
        println!(
            "Building exercise {} (exercises/src/{}) ...",
            ex.number, ex.file
        );
    }
    let mut build = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    build
        .args(["build", "--quiet", "--manifest-path"])
        .arg(manifest())
        .args(["--bin", &bin]);
    if let Some(profile) = profile() {
        build.args(["--profile", &profile]);
    }
    if quiet {
        build.stderr(Stdio::null());
    }
    match build.status() {
        Ok(status) if status.success() => true,
        Ok(_) => {
            if !quiet {
                println!(
                    "\n✗ Exercise {} does not compile: the compiler's messages above say where \
                     (in exercises/src/{}). Fix them, then run `cargo exercise {}` again.",
                    ex.number, ex.file, ex.number
                );
            }
            false
        }
        Err(err) => {
            eprintln!("could not run cargo: {err}");
            false
        }
    }
}

/// Runs the exercise's (already built) check program.
fn run(ex: &Exercise, quiet: bool) -> Outcome {
    let bin = format!("ex{}", ex.number);
    let mut run = Command::new(sibling(&bin));
    if quiet {
        run.stdout(Stdio::null()).stderr(Stdio::null());
    }
    match run.status() {
        Ok(status) if status.success() => Outcome::Done,
        Ok(_) => Outcome::NotYet,
        Err(err) => {
            eprintln!("could not run the check {bin}: {err}");
            Outcome::NotYet
        }
    }
}

/// This crate's manifest, so cargo works from any directory.
fn manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")
}

/// The directory of this executable: target/<profile>/.
fn exe_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the runner has a path");
    exe.parent().expect("inside target/<profile>").to_path_buf()
}

/// Build the checks with the runner's own profile, so they land beside it.
fn profile() -> Option<String> {
    match exe_dir().file_name()?.to_str()? {
        "debug" => None,
        other => Some(other.to_string()),
    }
}

fn sibling(name: &str) -> PathBuf {
    exe_dir().join(name)
}
