//! The plain server: each request is handled to the end before the next one
//! is accepted (the course's "loop server", 循环服务器).

use std::io;
use std::os::fd::RawFd;

use super::{Job, MixIn};

/// Handles requests one at a time, in the thread that runs the loop.
#[derive(Debug, Default, Clone, Copy)]
pub struct Sequential;

impl MixIn for Sequential {
    fn process_request(&self, job: Job, _close_in_child: &[RawFd]) -> io::Result<()> {
        job();
        Ok(())
    }
}
