//! The servers' per-connection state machines driven in memory (bytes in,
//! bytes out, no socket), with the properties their answers must have
//! whatever a client sends. One function per fuzz target, taking the
//! fuzzer's bytes; the property tests (`tests/tests/fuzz_*_machine.rs`)
//! and the AFL++ targets (`fuzz/src/bin/`) both call them, so a broken
//! property is a panic in either.

pub mod chat;
pub mod datagram;
pub mod ftp;
pub mod ftpd;
pub mod http;
mod script;

pub use script::Script;
