//! What every soaked server has in common: its load generator's interface,
//! and the counts its clients keep.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

/// What one exchange (one connection, or a few for a chat group) was.
pub enum Outcome {
    /// A well-formed session whose every answer was right.
    Done,
    /// A fault was sent (its effects, if any can be seen, are checked
    /// later or by the well-formed sessions).
    Fault,
    /// A wrong answer, or none: what went wrong.
    Error(String),
}

/// A server and its load generator.
pub trait Target: Sync {
    /// The short name given to `--only`: `ftp`, `ftpd`...
    fn name(&self) -> &'static str;
    /// The program: `ftp-server`, `ftpd`...
    fn program(&self) -> &'static str;
    /// Its models (for `--model`), the default first; empty when it has
    /// only one and no `--model` flag.
    fn models(&self) -> &'static [&'static str];
    /// Puts the files it serves into `dir`.
    fn prepare(&self, dir: &Path) -> std::io::Result<()>;
    /// Its command-line arguments (without the model and the port).
    fn server_args(&self, dir: &Path) -> Vec<String>;
    /// Exchange number `n` with the server on `port`, serving `dir`: of every ten, six
    /// are well-formed sessions, four are faults; `n / 10` varies them.
    fn exchange(&self, port: u16, dir: &Path, n: u64) -> Outcome;
    /// After the run: what must hold in the served directory (no partial
    /// upload visible, no temporary file left).
    fn check_after(&self, _dir: &Path) -> Result<(), String> {
        Ok(())
    }
}

/// What the clients of one run counted.
#[derive(Default)]
pub struct Counts {
    /// Well-formed sessions whose answers were right.
    pub done: AtomicU64,
    /// Exchanges with a wrong answer or none.
    pub errors: AtomicU64,
    /// Faults sent.
    pub faults: AtomicU64,
    /// The first few errors, to show what went wrong.
    pub first_errors: Mutex<Vec<String>>,
}

impl Counts {
    /// Counts one outcome.
    pub fn note(&self, outcome: Outcome) {
        match outcome {
            Outcome::Done => self.done.fetch_add(1, Ordering::Relaxed),
            Outcome::Fault => self.faults.fetch_add(1, Ordering::Relaxed),
            Outcome::Error(what) => {
                let mut first = self.first_errors.lock();
                if first.len() < 5 {
                    first.push(what);
                }
                self.errors.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

/// The outcome of a well-formed session: `Done` or its error.
pub fn checked(result: Result<(), String>) -> Outcome {
    match result {
        Ok(()) => Outcome::Done,
        Err(what) => Outcome::Error(what),
    }
}

/// The outcome of a fault: its result is ignored (a fault may well end in
/// an error on the client's side), except for a wrong answer it checked.
pub fn fault(result: Result<Option<String>, std::io::Error>) -> Outcome {
    match result {
        Ok(Some(wrong)) => Outcome::Error(wrong),
        _ => Outcome::Fault,
    }
}
