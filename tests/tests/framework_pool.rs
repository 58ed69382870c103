//! `ThreadPoolMixIn`: a fixed number of workers, a bounded queue, and what
//! happens when the queue is full (the request is refused: closed at once,
//! reported to `handle_error`).

use std::io::Read;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use framework::{Address, RequestError, ThreadPoolTcpServer};
use parking_lot::Mutex;
use tests::in_process::{DEADLINE, Echo, Gate, Running, WaitAtGate, ask, connect, read_in};
use tests::procfs::wait_until;

const POLL: Duration = Duration::from_millis(50);

/// A pool server whose handlers wait at `gate`, with `workers` workers and
/// room for `queue` waiting requests; `handle_error` reports go to the log.
fn gated_pool(
    workers: usize,
    queue: usize,
    gate: &Gate,
) -> (
    ThreadPoolTcpServer<impl Fn() -> WaitAtGate + Send + Sync + 'static>,
    Arc<Mutex<Vec<String>>>,
) {
    let gate = gate.clone();
    let mut server =
        ThreadPoolTcpServer::bind("127.0.0.1:0", move || WaitAtGate(gate.clone())).expect("bind");
    server.mixin_mut().workers = workers;
    server.mixin_mut().queue_size = queue;
    let errors = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&errors);
    server.set_handle_error(move |_: &Address, error: &RequestError| {
        log.lock().push(error.to_string());
    });
    (server, errors)
}

#[test]
fn a_fixed_number_of_workers_serves_many_clients() {
    let mut server = ThreadPoolTcpServer::bind("127.0.0.1:0", || Echo).unwrap();
    server.mixin_mut().workers = 3;
    let running = Running::start(server, POLL);
    for i in 0..50 {
        let mut client = connect(running.addr());
        assert_eq!(ask(&mut client, &format!("{i}\n")), format!("{i}\n"));
    }
    assert_eq!(running.server.mixin().started_workers(), 3);
    running.stop();
}

#[test]
fn beyond_the_workers_clients_wait_in_the_queue_then_are_served() {
    let gate = Gate::default();
    let (server, errors) = gated_pool(2, 8, &gate);
    let running = Running::start(server, POLL);
    let mut clients: Vec<TcpStream> = (0..5).map(|_| connect(running.addr())).collect();
    // Two run (they said "in"), three wait for a worker.
    read_in(&mut clients[0]);
    read_in(&mut clients[1]);
    assert!(
        wait_until(DEADLINE, || running.server.mixin().queued() == 3),
        "queued: {}",
        running.server.mixin().queued()
    );
    assert_eq!(running.server.mixin().busy_workers(), 2);
    gate.open();
    for client in &mut clients[2..] {
        read_in(client);
    }
    assert!(errors.lock().is_empty(), "{:?}", errors.lock());
    running.stop();
}

#[test]
fn a_full_queue_refuses_the_next_client_at_once_and_reports_it() {
    let gate = Gate::default();
    let (server, errors) = gated_pool(1, 1, &gate);
    let running = Running::start(server, POLL);
    let mut working = connect(running.addr());
    read_in(&mut working);
    let mut waiting = connect(running.addr());
    assert!(wait_until(DEADLINE, || running.server.mixin().queued() == 1));
    // One worker busy, one request queued: the third is refused.
    let mut refused = connect(running.addr());
    let mut answer = Vec::new();
    refused.read_to_end(&mut answer).unwrap();
    assert!(answer.is_empty(), "closed without an answer: {answer:?}");
    assert!(
        wait_until(DEADLINE, || errors.lock().len() == 1),
        "reported to handle_error"
    );
    assert!(
        errors.lock()[0].contains("request queue full"),
        "{:?}",
        errors.lock()
    );
    // The two accepted ones are served in full.
    gate.open();
    read_in(&mut waiting);
    running.stop();
}

#[test]
fn server_close_waits_for_the_running_and_the_queued_requests() {
    let gate = Gate::default();
    let (server, _) = gated_pool(1, 4, &gate);
    let running = Running::start(server, POLL);
    let mut working = connect(running.addr());
    read_in(&mut working);
    let mut waiting = connect(running.addr());
    assert!(wait_until(DEADLINE, || running.server.mixin().queued() == 1));
    let server = running.stop();
    let (closed, done) = mpsc::channel();
    std::thread::spawn(move || {
        server.server_close();
        let _ = closed.send(());
    });
    // A request is still running: server_close must not have returned.
    assert!(done.recv_timeout(Duration::from_millis(200)).is_err());
    gate.open();
    done.recv_timeout(DEADLINE)
        .expect("server_close returns once both requests are done");
    read_in(&mut waiting);
}
