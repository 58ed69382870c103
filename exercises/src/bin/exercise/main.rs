//! The exercise runner, rustlings-style.
//!
//! ```text
//! cargo watch-exercises   watch mode: the first unfinished exercise is checked each
//!                         time you save it; n/h/l/q: next, hint, list, quit
//!                         (also `cargo exercise` with no number; just watch)
//! cargo exercise 01       check exercise 01                     (just exercise 01)
//! cargo exercises         list them all, done or not yet        (just exercises)
//! cargo exercises --check check them all again, then list them
//! cargo hint 01           print the hint of exercise 01         (just hint 01)
//! ```
//!
//! Checking an exercise builds its own program (`src/bin/exNN.rs`, which
//! includes the learner's file) with cargo and runs it. One program per
//! exercise means a compile error in one file is reported as such and never
//! stops the others. Each check that passes (or fails) is recorded in the
//! progress file (`exercises::progress`), which `cargo exercises` shows.

mod watch;

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::thread;

use exercises::catalogue::{EXERCISES, Exercise, find};
use exercises::progress::{Progress, exercise_path, progress_path};

/// How the check of one exercise ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Outcome {
    Done,
    NotYet,
    DoesNotCompile,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo exercise NN          check exercise NN (e.g. `cargo exercise 01`)\n\
         \x20      cargo watch-exercises     watch mode (also `cargo exercise` alone)\n\
         \x20      cargo exercises           list the exercises and their state\n\
         \x20      cargo exercises --check   check them all again, then list them\n\
         \x20      cargo hint NN             a hint for exercise NN"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["watch"] => watch::watch(),
        ["list"] => list(false),
        ["list", "--check"] => list(true),
        ["hint", n] => match find(n) {
            Some(ex) => {
                print_hint(ex);
                ExitCode::SUCCESS
            }
            None => unknown(n),
        },
        [n] => match find(n) {
            Some(ex) => match check(ex, &mut Progress::load()) {
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

/// Prints the hint of `ex`.
fn print_hint(ex: &Exercise) {
    println!(
        "Hint for exercise {} ({}):\n\n{}",
        ex.number, ex.title, ex.hint
    );
    println!("\nThe note of lesson {} explains the idea.", ex.lesson);
}

/// Lists every exercise with its state: as recorded in the progress file,
/// or, with `recheck`, after running every check again (one build at a
/// time, as cargo builds one thing at a time anyway; the runs side by side).
fn list(recheck: bool) -> ExitCode {
    let mut progress = Progress::load();
    let mut not_compiling = Vec::new();
    if recheck {
        println!("Checking every exercise again ...");
        // Those whose file is there (a copy in EXERCISES_DIR may hold a few).
        let present: Vec<&'static Exercise> = EXERCISES
            .iter()
            .filter(|ex| exercise_path(ex).exists())
            .collect();
        let built: Vec<bool> = present.iter().map(|ex| build(ex, true)).collect();
        let runs: Vec<_> = present
            .iter()
            .copied()
            .zip(built)
            .map(|(ex, built)| {
                thread::spawn(move || match built {
                    false => Outcome::DoesNotCompile,
                    true => run(ex, true),
                })
            })
            .collect();
        for (ex, run) in present.into_iter().zip(runs) {
            let outcome = run.join().unwrap_or(Outcome::NotYet);
            if outcome == Outcome::DoesNotCompile {
                not_compiling.push(ex.number);
            }
            save(&mut progress, ex, outcome);
        }
    }
    print_list(&progress, &not_compiling);
    ExitCode::SUCCESS
}

/// Prints the table of exercises with their recorded state.
fn print_list(progress: &Progress, not_compiling: &[&str]) {
    println!(
        "Exercises (check one with `cargo exercise NN`, a hint: `cargo hint NN`, \
         watch mode: `cargo watch-exercises`):\n"
    );
    let mut done = 0;
    for ex in EXERCISES {
        let state = if progress.is_done(ex.number) {
            done += 1;
            "done"
        } else if not_compiling.contains(&ex.number) {
            "not yet (does not compile)"
        } else {
            "not yet"
        };
        // Pad by display width: a CJK character takes two columns.
        let width: usize = ex
            .title
            .chars()
            .map(|c| if c > '\u{2e80}' { 2 } else { 1 })
            .sum();
        let pad = " ".repeat(54usize.saturating_sub(width));
        println!(
            "  {}  {}{pad}{:<28} exercises/src/{}",
            ex.number, ex.title, state, ex.file
        );
    }
    println!(
        "\n{done} of {} done (as recorded in {} when each check last ran; \
         `cargo exercises --check` checks them all again).",
        EXERCISES.len(),
        progress_path().display()
    );
}

/// Records an outcome, telling the learner if the file cannot be written.
fn save(progress: &mut Progress, ex: &Exercise, outcome: Outcome) {
    if let Err(err) = progress.record(ex.number, outcome == Outcome::Done) {
        eprintln!(
            "(could not record the progress in {}: {err})",
            progress_path().display()
        );
    }
}

/// Builds and runs the check of one exercise, and records the outcome.
fn check(ex: &Exercise, progress: &mut Progress) -> Outcome {
    let outcome = if build(ex, false) {
        run(ex, false)
    } else {
        Outcome::DoesNotCompile
    };
    save(progress, ex, outcome);
    outcome
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
    if let Some(target) = own_target_dir() {
        build.arg("--target-dir").arg(target);
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
    let mut run = Command::new(check_program(&bin));
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
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")
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

/// `EXERCISES_TARGET_DIR`: a target directory of the checks' own. The
/// watch mode's test builds checks of a copy of the exercises there, so
/// that the workspace's own check programs are left as they are.
fn own_target_dir() -> Option<PathBuf> {
    std::env::var_os("EXERCISES_TARGET_DIR").map(PathBuf::from)
}

/// Where the built check program `name` is.
fn check_program(name: &str) -> PathBuf {
    match own_target_dir() {
        Some(target) => {
            let profile = exe_dir()
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| "debug".into());
            target.join(profile).join(name)
        }
        None => exe_dir().join(name),
    }
}
