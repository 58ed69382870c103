//! Many clients at once: 50 clients each upload and download their own
//! 1 MiB file at the same time, on a threading and on a forking server.

mod ftp_common;

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::thread;

use ftp_common::{Raw, entries, library, pattern, start};
use tests::ServerProcess;

const CLIENTS: usize = 50;
const SIZE: usize = 1 << 20;

fn fifty_clients_at_once(model: &str) {
    let dir = library(&[]);
    fifty_clients_on(start(model, dir.path()), dir.path());
}

/// 50 clients start together on `server`, which serves `dir`.
fn fifty_clients_on(server: ServerProcess, dir: &Path) {
    let addr = server.addr();
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            let addr = addr.clone();
            thread::spawn(move || {
                let data = pattern(i as u64 + 100, SIZE);
                let name = format!("client {i:02}.bin");
                barrier.wait();
                let mut raw = Raw::connect(&addr);
                assert_eq!(raw.put(&name, &data), Ok(()), "{name}");
                let back = raw.get(&name).expect("download");
                assert!(back == data, "{name}: the download differs from the upload");
                assert_eq!(raw.ask(b"Q"), "");
            })
        })
        .collect();
    for client in clients {
        client.join().expect("a client failed");
    }
    let expected: Vec<String> = (0..CLIENTS).map(|i| format!("client {i:02}.bin")).collect();
    assert_eq!(entries(dir), expected, "every file, no temp file");
    assert_eq!(Raw::connect(&addr).list(), expected);
}

#[test]
fn fifty_clients_at_once_threading() {
    fifty_clients_at_once("threading");
}

#[test]
fn fifty_clients_at_once_forking() {
    fifty_clients_at_once("forking");
}

/// The same, with the default cap of 40 children (Python's `max_children`):
/// whenever more than 40 are connected, the others wait for a child to
/// end. All 50 are served.
#[test]
fn fifty_clients_with_the_default_cap_of_forty_children() {
    let dir = library(&[]);
    let path = dir.path().to_str().unwrap();
    let server = ServerProcess::start_reading_stderr(
        "ftp-server",
        &["--model", "forking", "--directory", path, "0"],
    );
    fifty_clients_on(server, dir.path());
}
