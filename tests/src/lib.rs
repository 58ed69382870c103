//! Helpers shared by the integration tests: start a project binary as its
//! own process and wait for its `Serving ... port N` line, watch it through
//! `/proc`, run a server inside the test process with deadlines, record
//! protocol transcripts for `insta` snapshots, and run a lesson in its own
//! session and check that it leaves no process behind; drive the servers'
//! per-connection state machines in memory for the fuzz targets.

pub mod http;
pub mod in_process;
pub mod lesson_run;
pub mod live_heap;
pub mod machines;
pub mod process;
pub mod procfs;
pub mod transcript;

pub use lesson_run::{LessonRun, RunningLesson, run_lesson};
pub use process::{ServerProcess, bin_path};
pub use transcript::Transcript;
