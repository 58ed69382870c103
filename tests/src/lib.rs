//! Helpers shared by the integration tests: start a project binary as its
//! own process and wait for its `Serving ... port N` line, watch it through
//! `/proc`, run a server inside the test process with deadlines, and record
//! protocol transcripts for `insta` snapshots.

pub mod in_process;
pub mod process;
pub mod procfs;
pub mod transcript;

pub use process::{ServerProcess, bin_path};
pub use transcript::Transcript;
