//! How requests run: one after another, in threads (one each, or a fixed
//! pool), or in forked processes.
//!
//! In Python the choice is a class mixed in before the server class
//! (`class ThreadingTCPServer(ThreadingMixIn, TCPServer)`). In Rust it is
//! the server's second type parameter: `Server<TcpTransport, ThreadingMixIn, F>`.
//! Each mix-in overrides the same hooks Python's do: `process_request`,
//! `service_actions` and `server_close`.

mod forking;
mod pool;
mod sequential;
mod threading;

pub use forking::ForkingMixIn;
pub use pool::ThreadPoolMixIn;
pub use sequential::Sequential;
pub use threading::ThreadingMixIn;

use std::io;
use std::os::fd::RawFd;

/// One request's whole work: run the handler, report errors, close the
/// request. Returns `true` when the handler succeeded.
pub type Job = Box<dyn FnOnce() -> bool + Send + 'static>;

/// A concurrency model for a server.
pub trait MixIn: Send + Sync + 'static {
    /// Python's `process_request`: run `job` now, in a thread, or in a child.
    /// `close_in_child` lists descriptors a forked child must close (the
    /// listening socket, the wake-up pipe). An error means the job never ran
    /// (it has been dropped, which closed the request).
    fn process_request(&self, job: Job, close_in_child: &[RawFd]) -> io::Result<()>;

    /// Called once per pass of `serve_forever` and after each `handle_request`
    /// (Python's `service_actions`; the forking mix-in reaps children here).
    fn service_actions(&self) {}

    /// Called when the server closes: wait for running requests if asked to.
    fn server_close(&self) {}
}
