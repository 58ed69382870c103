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

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Every file below `dir` (links not followed): relative name → bytes
/// (a link's target for a link).
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in fs::read_dir(&at).expect("a readable directory").flatten() {
            let path = entry.path();
            let name = path
                .strip_prefix(dir)
                .expect("below dir")
                .to_string_lossy()
                .into_owned();
            let kind = entry.file_type().expect("a file type");
            if kind.is_dir() {
                stack.push(path.clone());
                files.insert(format!("{name}/"), Vec::new());
            } else if kind.is_symlink() {
                let target = fs::read_link(&path).expect("a link");
                files.insert(name, target.to_string_lossy().into_owned().into_bytes());
            } else {
                files.insert(name, fs::read(&path).expect("a readable file"));
            }
        }
    }
    files
}
