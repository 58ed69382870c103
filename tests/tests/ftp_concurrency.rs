//! Many clients at once: 50 clients each upload and download their own
//! 1 MiB file at the same time, on a threading and on a forking server.

mod ftp_common;

use std::sync::{Arc, Barrier};
use std::thread;

use ftp_common::{Raw, entries, library, pattern, start};

const CLIENTS: usize = 50;
const SIZE: usize = 1 << 20;

fn fifty_clients_at_once(model: &str) {
    let dir = library(&[]);
    let server = start(model, dir.path());
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
    assert_eq!(entries(dir.path()), expected, "every file, no temp file");
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
