//! The course's exercises, checked the way rustlings checks its own.
//!
//! Each exercise is a file under `exercises/src/` (`ex01_uppercase_echo.rs`, ...)
//! with a `TODO`. `cargo exercise 01` (or `just exercise 01`) builds that file
//! into its check program (`src/bin/ex01.rs`), which runs the learner's code
//! on a real server on `127.0.0.1:0`, talks to it as a client and says which
//! steps still fail. `cargo watch-exercises` does that for the first
//! unfinished exercise each time its file is saved, then moves on (keys
//! n/h/l/q). `cargo exercises` lists them all as done / not yet, from the
//! progress file (`progress`), and `cargo hint 01` prints a hint. Reference solutions are in
//! `exercises/solutions/`, built into the `solutions` program, and a test
//! (`tests/dev_check.rs`) proves that every shipped exercise fails its check
//! and every solution passes it.
//!
//! Each exercise is its own binary, so a compile error in one exercise never
//! stops another from being checked.

pub mod catalogue;
pub mod checks;
pub mod kit;
pub mod progress;
