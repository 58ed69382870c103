//! Many clients at once: 50 clients each upload and download their own
//! 1 MiB file at the same time, on a threading and on a forking server.

mod ftp_common;

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use ftp_common::{Raw, entries, library, no_panic_logged, pattern, start};
use tests::ServerProcess;
use tests::procfs::{children_of, wait_until};

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
    no_panic_logged(server);
}

#[test]
fn fifty_clients_at_once_threading() {
    fifty_clients_at_once("threading");
}

#[test]
fn fifty_clients_at_once_forking() {
    fifty_clients_at_once("forking");
}

/// The forking server's default cap of 40 children (Python's
/// `max_children`): 45 clients connected at once. 40 are served and stay;
/// the other five, their requests sent, are answered as soon as five of the
/// first leave.
#[test]
fn forty_children_at_most_and_the_others_wait_their_turn() {
    let dir = library(&[("a.txt", b"a")]);
    let path = dir.path().to_str().unwrap();
    let server = ServerProcess::start_reading_stderr(
        "ftp-server",
        &["--model", "forking", "--directory", path, "0"],
    );
    let addr = server.addr();
    let live_children = || {
        children_of(server.pid())
            .iter()
            .filter(|child| !child.is_zombie())
            .count()
    };
    let mut served: Vec<Raw> = (0..40)
        .map(|_| {
            let mut raw = Raw::connect(&addr);
            assert_eq!(raw.list(), ["a.txt"]);
            raw
        })
        .collect();
    assert_eq!(live_children(), 40, "a child for each client being served");
    let mut waiting: Vec<Raw> = (0..5)
        .map(|_| {
            let mut raw = Raw::connect(&addr);
            raw.send(b"L\n");
            raw
        })
        .collect();
    // Given time to fork for them, a server without the cap would have.
    assert!(
        !wait_until(Duration::from_millis(500), || live_children() > 40),
        "never more than the cap"
    );
    for mut leaving in served.drain(..5) {
        assert_eq!(leaving.ask(b"Q"), "");
    }
    for raw in &mut waiting {
        assert_eq!(raw.reply(), "OK 6");
        assert_eq!(raw.body(6), b"a.txt\n");
    }
    drop(served);
    drop(waiting);
    no_panic_logged(server);
}
