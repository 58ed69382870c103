//! The server's life cycle, in process: shutdown, handle_request,
//! verify_request, setup/handle/finish with handle_error, service_actions,
//! and the threading mix-in's bookkeeping. Sequential and threading servers
//! only (forking servers are tested from outside, in framework_forking.rs).

use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use framework::{
    Address, RequestError, RequestHandler, StreamRequest, TcpServer, ThreadingTcpServer,
};
use tests::in_process::{DEADLINE, Echo, Gate, Running, WaitAtGate, ask, connect, read_in, within};
use tests::procfs::wait_until;

#[test]
fn shutdown_before_serve_forever_does_not_deadlock() {
    let server = Arc::new(TcpServer::bind("127.0.0.1:0", || Echo).unwrap());
    let s = Arc::clone(&server);
    within(DEADLINE, move || s.shutdown());
    // As in Python, the request is kept: the next loop returns at once...
    let s = Arc::clone(&server);
    within(DEADLINE, move || s.serve_forever().unwrap());
    // ...and the one after that runs normally.
    let server = Arc::try_unwrap(server).ok().unwrap();
    let running = Running::start(server, Duration::from_millis(50));
    let mut client = connect(running.addr());
    assert_eq!(ask(&mut client, "after\n"), "after\n");
    drop(client);
    running.stop();
}

#[test]
fn shutdown_wakes_the_loop_at_once_not_after_poll_interval() {
    let running = Running::start(
        ThreadingTcpServer::bind("127.0.0.1:0", || Echo).unwrap(),
        Duration::from_secs(10),
    );
    // One request proves the loop is running and back in its wait.
    let mut client = connect(running.addr());
    assert_eq!(ask(&mut client, "x\n"), "x\n");
    drop(client);
    let started = Instant::now();
    running.stop();
    // Python would take up to the 10 s poll_interval (gh-88932).
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "shutdown took {:?}",
        started.elapsed()
    );
}

#[test]
fn twenty_start_shutdown_cycles_without_a_hang() {
    // CPython's test_shutdown: start the loop and shut it down at once.
    within(Duration::from_secs(30), || {
        for _ in 0..20 {
            let server = Arc::new(TcpServer::bind("127.0.0.1:0", || Echo).unwrap());
            let looping = Arc::clone(&server);
            let thread = thread::spawn(move || {
                looping.serve_forever_with_poll_interval(Duration::from_millis(10))
            });
            server.shutdown();
            thread.join().unwrap().unwrap();
            Arc::try_unwrap(server).ok().unwrap().server_close();
        }
    });
}

/// A handler of a sequential server runs on the loop's own thread: asking
/// for shutdown there must not wait for itself.
#[test]
fn shutdown_from_a_handler_of_a_sequential_server() {
    struct Stopper;
    impl RequestHandler<StreamRequest> for Stopper {
        fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
            request.server.shutdown();
            request.wfile.write_all(b"stopping\n")
        }
    }
    let server = TcpServer::bind("127.0.0.1:0", || Stopper).unwrap();
    let addr = server.server_address().inet().unwrap();
    let looping = thread::spawn(move || server.serve_forever());
    let mut client = connect(addr);
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap();
    assert_eq!(answer, "stopping\n");
    within(DEADLINE, move || looping.join().unwrap().unwrap());
}

#[test]
fn handle_request_times_out_and_calls_handle_timeout() {
    let timeouts = Arc::new(AtomicUsize::new(0));
    let mut server = TcpServer::bind("127.0.0.1:0", || Echo).unwrap();
    let counter = Arc::clone(&timeouts);
    server.set_handle_timeout(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    server.set_timeout(Some(Duration::from_millis(100)));
    assert_eq!(server.timeout(), Some(Duration::from_millis(100)));
    let addr = server.server_address().inet().unwrap();
    let server = within(DEADLINE, move || {
        let started = Instant::now();
        server.handle_request().unwrap();
        assert!(started.elapsed() >= Duration::from_millis(100));
        server
    });
    assert_eq!(timeouts.load(Ordering::SeqCst), 1);
    // With a client waiting, handle_request serves it and does not time out.
    let mut client = connect(addr);
    client.write_all(b"one\n").unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    within(DEADLINE, move || server.handle_request().unwrap());
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap();
    assert_eq!(answer, "one\n");
    assert_eq!(timeouts.load(Ordering::SeqCst), 1);
}

#[test]
fn verify_request_refusal_closes_without_running_the_handler() {
    let handled = Arc::new(AtomicUsize::new(0));
    let refuse = Arc::new(AtomicBool::new(true));
    let seen = Arc::new(Mutex::new(Vec::<Address>::new()));
    let count = Arc::clone(&handled);
    let mut server = ThreadingTcpServer::bind("127.0.0.1:0", move || {
        count.fetch_add(1, Ordering::SeqCst);
        Echo
    })
    .unwrap();
    let (r, s) = (Arc::clone(&refuse), Arc::clone(&seen));
    server.set_verify_request(move |client| {
        s.lock().unwrap().push(client.clone());
        !r.load(Ordering::SeqCst)
    });
    let running = Running::start(server, Duration::from_millis(50));
    let mut refused = connect(running.addr());
    let refused_addr = refused.local_addr().unwrap();
    let mut rest = Vec::new();
    match refused.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty()),
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset),
    }
    assert_eq!(
        handled.load(Ordering::SeqCst),
        0,
        "no handler for a refused client"
    );
    assert_eq!(seen.lock().unwrap()[0], Address::Inet(refused_addr));
    refuse.store(false, Ordering::SeqCst);
    let mut allowed = connect(running.addr());
    assert_eq!(ask(&mut allowed, "in\n"), "in\n");
    assert_eq!(handled.load(Ordering::SeqCst), 1);
    drop(allowed);
    running.stop();
}

/// What each handler of the life-cycle test does.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Fine,
    SetupFails,
    HandleFails,
    HandlePanics,
    FinishFails,
}

struct Logged {
    mode: Mode,
    log: Arc<Mutex<Vec<String>>>,
}

impl Logged {
    fn note(&self, what: &str) {
        self.log
            .lock()
            .unwrap()
            .push(format!("{:?}: {what}", self.mode));
    }
}

impl RequestHandler<StreamRequest> for Logged {
    fn setup(&mut self, _: &mut StreamRequest) -> io::Result<()> {
        self.note("setup");
        match self.mode {
            Mode::SetupFails => Err(io::Error::other("setup failed")),
            _ => Ok(()),
        }
    }

    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        self.note("handle");
        match self.mode {
            Mode::HandleFails => Err(io::Error::other("handle failed")),
            Mode::HandlePanics => panic!("handle panicked"),
            _ => request.wfile.write_all(b"ok\n"),
        }
    }

    fn finish(&mut self, _: &mut StreamRequest) -> io::Result<()> {
        self.note("finish");
        match self.mode {
            Mode::FinishFails => Err(io::Error::other("finish failed")),
            _ => Ok(()),
        }
    }
}

/// finish runs when handle fails or panics, not when setup fails; every
/// failure goes to handle_error with the client's address; the server goes on.
#[test]
fn setup_handle_finish_and_handle_error() {
    let modes = [
        Mode::Fine,
        Mode::SetupFails,
        Mode::HandleFails,
        Mode::HandlePanics,
        Mode::FinishFails,
        Mode::Fine,
    ];
    let queue = Arc::new(Mutex::new(modes.iter().copied().collect::<VecDeque<_>>()));
    let log = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(Vec::<(Address, String)>::new()));
    let (q, l) = (Arc::clone(&queue), Arc::clone(&log));
    let mut server = TcpServer::bind("127.0.0.1:0", move || Logged {
        mode: q.lock().unwrap().pop_front().unwrap(),
        log: Arc::clone(&l),
    })
    .unwrap();
    let e = Arc::clone(&errors);
    server.set_handle_error(move |client, error: &RequestError| {
        e.lock().unwrap().push((client.clone(), error.to_string()));
    });
    let running = Running::start(server, Duration::from_millis(50));
    let mut clients = Vec::new();
    for _ in modes {
        // Sequential: each request is over once the server has closed it.
        let mut client = connect(running.addr());
        let mut answer = String::new();
        client.read_to_string(&mut answer).unwrap();
        clients.push((client.local_addr().unwrap(), answer));
    }
    running.stop();
    let log = log.lock().unwrap().clone();
    let expected: Vec<String> = [
        "Fine: setup",
        "Fine: handle",
        "Fine: finish",
        "SetupFails: setup",
        "HandleFails: setup",
        "HandleFails: handle",
        "HandleFails: finish",
        "HandlePanics: setup",
        "HandlePanics: handle",
        "HandlePanics: finish",
        "FinishFails: setup",
        "FinishFails: handle",
        "FinishFails: finish",
        "Fine: setup",
        "Fine: handle",
        "Fine: finish",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(log, expected);
    let errors = errors.lock().unwrap();
    let messages: Vec<&str> = errors.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(errors.len(), 4, "{messages:?}");
    assert!(messages[0].contains("setup failed"));
    assert!(messages[1].contains("handle failed"));
    assert!(messages[2].contains("the handler panicked: handle panicked"));
    assert!(messages[3].contains("finish failed"));
    // Each report names the client it was about.
    let failing_clients: Vec<Address> = [1, 2, 3, 4].map(|i| Address::Inet(clients[i].0)).to_vec();
    let reported: Vec<Address> = errors.iter().map(|(a, _)| a.clone()).collect();
    assert_eq!(reported, failing_clients);
    assert_eq!(clients[0].1, "ok\n");
    assert_eq!(clients[5].1, "ok\n", "the server went on");
}

#[test]
fn service_actions_run_on_every_pass_even_when_idle() {
    let passes = Arc::new(AtomicUsize::new(0));
    let mut server = TcpServer::bind("127.0.0.1:0", || Echo).unwrap();
    let counter = Arc::clone(&passes);
    server.set_service_actions(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let running = Running::start(server, Duration::from_millis(10));
    assert!(wait_until(DEADLINE, || passes.load(Ordering::SeqCst) >= 5));
    running.stop();
}

/// The threading mix-in counts live handler threads only: the count drops
/// as they end (Python's old leak kept every thread until server_close).
#[test]
fn threading_tracks_only_live_threads() {
    let gate = Gate::default();
    let g = gate.clone();
    let server = ThreadingTcpServer::bind("127.0.0.1:0", move || WaitAtGate(g.clone())).unwrap();
    let running = Running::start(server, Duration::from_millis(50));
    let mut held: Vec<TcpStream> = (0..3).map(|_| connect(running.addr())).collect();
    for stream in &mut held {
        read_in(stream);
    }
    assert_eq!(running.server.mixin().active_threads(), 3);
    gate.open();
    assert!(wait_until(DEADLINE, || running
        .server
        .mixin()
        .active_threads()
        == 0));
    // The three threads now wait a while for more work instead of exiting.
    assert!(wait_until(DEADLINE, || running
        .server
        .mixin()
        .idle_threads()
        == 3));
    // Python's old leak (bpo-37193): every thread stayed tracked until
    // server_close. The figure: 10,000 requests.
    for _ in 0..10_000 {
        let mut client = connect(running.addr());
        read_in(&mut client);
    }
    assert!(
        wait_until(DEADLINE, || running.server.mixin().active_threads() == 0),
        "{} threads still tracked after 10,000 finished requests",
        running.server.mixin().active_threads()
    );
    // One request after another reuses the waiting threads: without that,
    // each request would leave a thread of its own waiting.
    let idle = running.server.mixin().idle_threads();
    assert!(
        idle < 100,
        "{idle} idle threads after 10,000 requests in a row"
    );
    running.stop();
}

#[test]
fn threading_server_close_waits_for_handlers_with_block_on_close() {
    let gate = Gate::default();
    let finished = Arc::new(AtomicBool::new(false));
    let (g, f) = (gate.clone(), Arc::clone(&finished));
    struct SlowThenFlag(WaitAtGate, Arc<AtomicBool>);
    impl RequestHandler<StreamRequest> for SlowThenFlag {
        fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
            self.0.handle(request)?;
            thread::sleep(Duration::from_millis(200));
            self.1.store(true, Ordering::SeqCst);
            Ok(())
        }
    }
    let server = ThreadingTcpServer::bind("127.0.0.1:0", move || {
        SlowThenFlag(WaitAtGate(g.clone()), Arc::clone(&f))
    })
    .unwrap();
    assert!(server.mixin().block_on_close);
    let running = Running::start(server, Duration::from_millis(50));
    let mut client = connect(running.addr());
    read_in(&mut client);
    let server = running.stop();
    gate.open();
    within(DEADLINE, move || server.server_close());
    assert!(
        finished.load(Ordering::SeqCst),
        "server_close returned before the handler ended"
    );
}

#[test]
fn threading_server_close_does_not_wait_for_daemon_threads() {
    let gate = Gate::default();
    let g = gate.clone();
    let mut server =
        ThreadingTcpServer::bind("127.0.0.1:0", move || WaitAtGate(g.clone())).unwrap();
    server.mixin_mut().daemon_threads = true;
    let running = Running::start(server, Duration::from_millis(50));
    let mut client = connect(running.addr());
    read_in(&mut client);
    let server = running.stop();
    // The handler is still blocked on the gate, and close returns anyway.
    within(DEADLINE, move || server.server_close());
    gate.open();
}
