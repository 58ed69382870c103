//! The course's programs, built on the `framework` crate.
//!
//! Every server binary here follows one contract: its first line on stdout,
//! flushed as soon as it listens, is `Serving <what> on <host> port <port> ...`
//! (or `Serving <what> on <path> ...` for Unix sockets), and it accepts port
//! 0, so scripts and tests can start it on a free port and read the port back.
//! The shared pieces of that contract live here.

pub mod broadcast;
pub mod chat;
pub mod echo;
pub mod ftp;
pub mod http;
pub mod lesson_kit;
pub mod memory;
pub mod multiplex;
pub mod own_handler;
pub mod plain_echo;
pub mod proc_info;
pub mod raw_epoll_echo;
pub mod serving;
pub mod tls;
