//! The watch mode and the progress file, driven as a learner would drive
//! them, on a temporary copy of two exercises (`EXERCISES_DIR`), so the
//! learner's own files and progress are never touched. The copy's check
//! programs are built in a target directory of their own
//! (`EXERCISES_TARGET_DIR`, kept under target/ so later runs reuse it).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// The first check builds the copy's program, and, in a fresh clone, the
/// crate's dependencies in the test's own target directory.
const FIRST_BUILD: Duration = Duration::from_secs(240);
/// Any later step: an incremental build and a check.
const STEP: Duration = Duration::from_secs(90);

/// The runner in watch mode, its output read line by line on a thread.
struct Watching {
    child: Child,
    keys: ChildStdin,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Watching {
    /// Waits for a line containing `needle`, failing with all output so far.
    fn expect(&mut self, needle: &str, deadline: Duration) -> String {
        let end = Instant::now() + deadline;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {needle:?} within {deadline:?}; the watch mode printed:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    fn press(&mut self, key: &str) {
        self.keys
            .write_all(key.as_bytes())
            .expect("a key reaches the runner");
        self.keys.flush().expect("flushed");
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment that points the runner at the copy.
fn copy_env(command: &mut Command, copy: &Path) {
    let target = Path::new(env!("CARGO_BIN_EXE_exercise"))
        .ancestors()
        .nth(2)
        .expect("target/<profile>/exercise")
        .join("exercises-watch-test");
    command
        .env("EXERCISES_DIR", copy.join("src"))
        .env("EXERCISES_PROGRESS", copy.join("progress"))
        .env("EXERCISES_TARGET_DIR", target);
}

fn start_watch(copy: &Path) -> Watching {
    let mut command = Command::new(env!("CARGO_BIN_EXE_exercise"));
    command
        .arg("watch")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    copy_env(&mut command, copy);
    let mut child = command.spawn().expect("the runner starts");
    let keys = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let (tx, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Watching {
        child,
        keys,
        lines,
        seen: Vec::new(),
    }
}

/// Replaces `path` the way many editors save: a new file renamed over it.
fn save(path: &Path, text: &str) {
    let new = path.with_extension("rs.new");
    std::fs::write(&new, text).expect("the new version is written");
    std::fs::rename(&new, path).expect("and renamed over the old one");
}

#[test]
fn watch_mode_rechecks_on_save_moves_on_and_remembers() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let copy = std::env::temp_dir().join(format!("exercises-watch-{}", std::process::id()));
    std::fs::create_dir_all(copy.join("src")).expect("a temporary directory");
    for file in ["ex01_uppercase_echo.rs", "ex06_allow_list.rs"] {
        std::fs::copy(
            crate_dir.join("src").join(file),
            copy.join("src").join(file),
        )
        .expect("the shipped exercise is copied");
    }

    let mut watch = start_watch(&copy);
    // It starts with the first unfinished exercise, which fails as shipped.
    watch.expect("━━ exercise 01", STEP);
    watch.expect("Exercise 01 is not done yet", FIRST_BUILD);
    watch.expect("Watching", STEP);

    // n: the next unfinished exercise.
    watch.press("n");
    watch.expect("━━ exercise 06", STEP);
    watch.expect("Exercise 06 is not done yet", FIRST_BUILD);
    watch.expect("Watching", STEP);

    // h: its hint; l: the list, with the recorded states.
    watch.press("h");
    watch.expect("Hint for exercise 06", STEP);
    watch.press("l");
    let line = watch.expect("  06  ", STEP);
    assert!(line.contains("not yet"), "{line}");
    watch.expect(": 01, 06)", STEP);

    // Saving the solution re-runs the check, which passes; then it moves on
    // to the only exercise left unfinished, 01.
    let solution = std::fs::read_to_string(crate_dir.join("solutions/ex06_allow_list.rs"))
        .expect("the reference solution");
    save(&copy.join("src/ex06_allow_list.rs"), &solution);
    watch.expect("Exercise 06 is done", STEP);
    watch.expect("━━ exercise 01", STEP);
    watch.expect("Exercise 01 is not done yet", STEP);
    watch.expect("Watching", STEP);

    // The progress file holds 06, not 01.
    let progress = std::fs::read_to_string(copy.join("progress")).expect("a progress file");
    let done: Vec<&str> = progress.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(done, ["06"], "{progress}");

    // q quits at once, with success.
    watch.press("q");
    watch.expect("Bye", STEP);
    let end = Instant::now() + STEP;
    let status = loop {
        if let Some(status) = watch.child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(Instant::now() < end, "the runner did not exit after q");
        thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");

    // The progress lasts: a new runner lists 06 as done, 01 not.
    let mut list = Command::new(env!("CARGO_BIN_EXE_exercise"));
    list.arg("list");
    copy_env(&mut list, &copy);
    let output = list.output().expect("the list runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let state = |number: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("  {number}  ")))
            .unwrap_or_else(|| panic!("no line for {number} in:\n{text}"))
            .to_string()
    };
    assert!(
        state("06").contains("done") && !state("06").contains("not yet"),
        "{text}"
    );
    assert!(state("01").contains("not yet"), "{text}");
    assert!(text.contains("1 of "), "{text}");
    // --check runs the checks again and corrects a wrong record.
    std::fs::write(copy.join("progress"), "01\n").expect("a wrong record");
    let mut recheck = Command::new(env!("CARGO_BIN_EXE_exercise"));
    recheck.args(["list", "--check"]);
    copy_env(&mut recheck, &copy);
    let output = recheck.output().expect("the check of all runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let progress = std::fs::read_to_string(copy.join("progress")).expect("a progress file");
    let done: Vec<&str> = progress.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(done, ["06"], "{progress}\n{text}");
    // The learner's own files were never touched: the copy was.
    assert!(
        std::fs::read_to_string(crate_dir.join("src/ex06_allow_list.rs"))
            .expect("the shipped file")
            .contains("TODO")
    );
    std::fs::remove_dir_all(&copy).expect("the copy is removed");
}
