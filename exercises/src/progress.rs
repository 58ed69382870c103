//! Where the learner's files are, and which exercises are done.
//!
//! Progress is kept in a small text file, `exercises/.progress` (git
//! ignores it), one exercise number per line, written each time a check
//! passes. It is not part of any exercise file: updating the course (`git
//! pull`) never touches it, and it never touches your code.
//!
//! Two environment variables move things elsewhere, which the watch mode's
//! test uses to work on a copy: `EXERCISES_DIR` (the directory of the
//! exercise files, default `exercises/src`) and `EXERCISES_PROGRESS` (the
//! progress file).

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use crate::catalogue::Exercise;

/// The directory of this crate (`exercises/`).
fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding the exercise files the learner edits.
pub fn exercises_dir() -> PathBuf {
    std::env::var_os("EXERCISES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir().join("src"))
}

/// The learner's file of exercise `ex`.
pub fn exercise_path(ex: &Exercise) -> PathBuf {
    exercises_dir().join(ex.file)
}

/// The file that remembers which exercises are done.
pub fn progress_path() -> PathBuf {
    std::env::var_os("EXERCISES_PROGRESS")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir().join(".progress"))
}

/// The numbers of the exercises done, as stored.
#[derive(Debug, Default)]
pub struct Progress {
    done: BTreeSet<String>,
    path: PathBuf,
}

impl Progress {
    /// Reads the progress file; a missing file means nothing is done yet.
    pub fn load() -> Progress {
        Progress::load_from(progress_path())
    }

    /// Reads a progress file at `path`.
    pub fn load_from(path: PathBuf) -> Progress {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let done = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_string)
            .collect();
        Progress { done, path }
    }

    /// Whether exercise `number` passed its check.
    pub fn is_done(&self, number: &str) -> bool {
        self.done.contains(number)
    }

    /// Records the outcome of a check of `number`, and saves the file.
    pub fn record(&mut self, number: &str, done: bool) -> io::Result<()> {
        let changed = if done {
            self.done.insert(number.to_string())
        } else {
            self.done.remove(number)
        };
        if changed { self.save() } else { Ok(()) }
    }

    /// Writes the file whole under another name, then renames it: an
    /// interrupted write never leaves a half file.
    fn save(&self) -> io::Result<()> {
        let mut text = String::from(
            "# Exercises whose check passed (written by `cargo exercise`; not part of the course's files).\n",
        );
        for number in &self.done {
            text.push_str(number);
            text.push('\n');
        }
        let temporary = self.path.with_extension("tmp");
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_survives_a_reload_and_forgets_what_fails_again() {
        let dir = std::env::temp_dir().join(format!("progress-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let path = dir.join("progress");
        let mut progress = Progress::load_from(path.clone());
        assert!(!progress.is_done("03"), "a missing file means nothing done");
        progress.record("03", true).expect("saved");
        progress.record("12", true).expect("saved");
        let mut again = Progress::load_from(path.clone());
        assert!(again.is_done("03") && again.is_done("12"));
        assert!(!again.is_done("04"));
        again.record("03", false).expect("saved");
        let last = Progress::load_from(path);
        assert!(!last.is_done("03") && last.is_done("12"));
        std::fs::remove_dir_all(&dir).expect("cleaned up");
    }
}
