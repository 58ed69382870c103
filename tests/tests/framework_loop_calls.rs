//! `LoopHandle::call_soon_threadsafe`: code from another thread runs on
//! the event loop's thread, woken at once, in order; a panicking call
//! costs nothing else; a handle outliving its server says so.

use std::io::{self, BufRead, BufReader};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use framework::{Conn, ConnId, EpollTcpServer, Protocol};
use parking_lot::Mutex;
use tests::in_process::{DEADLINE, RunningLoop, connect};
use tests::procfs::wait_until;

/// Notes each connection's id; ignores what clients send.
struct Register(Arc<Mutex<Vec<ConnId>>>);

impl Protocol for Register {
    fn connected(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        self.0.lock().push(conn.id());
        Ok(())
    }

    fn data_received(&mut self, _: &mut Conn<'_>, _: &[u8]) -> io::Result<()> {
        Ok(())
    }
}

type Ids = Arc<Mutex<Vec<ConnId>>>;

fn server() -> (
    EpollTcpServer<Register, impl Fn() -> Register + Send + Sync + 'static>,
    Ids,
) {
    let ids: Ids = Arc::default();
    let for_factory = Arc::clone(&ids);
    let server =
        EpollTcpServer::bind("127.0.0.1:0", move || Register(Arc::clone(&for_factory))).unwrap();
    (server, ids)
}

/// Connects and waits until the loop has taken the connection in.
fn join(addr: std::net::SocketAddr, ids: &Ids) -> (BufReader<TcpStream>, ConnId) {
    let before = ids.lock().len();
    let stream = connect(addr);
    assert!(
        wait_until(DEADLINE, || ids.lock().len() > before),
        "the loop accepts the client"
    );
    let id = ids.lock()[before];
    (BufReader::new(stream), id)
}

fn read_line(reader: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line
}

#[test]
fn a_call_wakes_an_idle_loop_at_once_and_calls_run_in_order() {
    let (server, ids) = server();
    // A 10 s poll interval: only the eventfd can wake the loop sooner.
    let running = RunningLoop::start(server, Duration::from_secs(10));
    let (mut alice, alice_id) = join(running.addr(), &ids);
    let (mut bob, bob_id) = join(running.addr(), &ids);
    let handle = running.server.loop_handle();

    let start = Instant::now();
    assert!(handle.call_soon_threadsafe(move |conns| {
        assert!(conns.write_to(alice_id, b"one\n"));
        conns.write_to(bob_id, b"to bob\n");
    }));
    assert!(handle.call_soon_threadsafe(move |conns| {
        conns.write_to(alice_id, b"two\n");
    }));
    assert_eq!(read_line(&mut alice), "one\n");
    assert_eq!(read_line(&mut alice), "two\n");
    assert_eq!(read_line(&mut bob), "to bob\n");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "woken by the call, not by the 10 s poll interval: {:?}",
        start.elapsed()
    );

    // A panicking call is reported and the loop goes on; the next call runs.
    assert!(handle.call_soon_threadsafe(|_| panic!("a call that panics")));
    assert!(handle.call_soon_threadsafe(move |conns| {
        conns.close_other(bob_id);
    }));
    assert_eq!(read_line(&mut bob), "", "bob was closed by the call");
    assert!(
        wait_until(DEADLINE, || running.server.connection_count() == 1),
        "alice is still served"
    );
    running.stop();
    // The server is gone (dropped with the loop): the handle says so.
    assert!(
        !handle.call_soon_threadsafe(|_| unreachable!("no server to run it")),
        "a handle outliving its server refuses calls"
    );
}

#[test]
fn a_call_queued_while_the_loop_is_stopped_runs_on_its_next_turn() {
    let (server, ids) = server();
    let running = RunningLoop::start(server, Duration::from_millis(50));
    let (mut alice, alice_id) = join(running.addr(), &ids);
    let mut server = running.stop();
    let handle = server.loop_handle();
    handle.call_soon_threadsafe(move |conns| {
        assert_eq!(conns.output_len_of(alice_id), Some(0));
        conns.write_to(alice_id, b"after the pause\n");
    });
    // One turn (it waits at most 0.5 s for a socket) runs the call.
    server.set_timeout(Some(Duration::from_millis(500)));
    server.handle_request().unwrap();
    assert_eq!(read_line(&mut alice), "after the pause\n");
}

/// Hands each new connection's id and its loop's handle to a thread of
/// its own, which answers through the handle, as a pool of workers would.
struct Delegate(Ids);

impl Protocol for Delegate {
    fn connected(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        let (handle, id) = (conn.loop_handle(), conn.id());
        self.0.lock().push(id);
        std::thread::spawn(move || {
            handle.call_soon_threadsafe(move |conns| {
                conns.write_to(id, b"from a worker\n");
            });
        });
        Ok(())
    }

    fn data_received(&mut self, _: &mut Conn<'_>, _: &[u8]) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_connections_own_handle_reaches_its_loop_among_several() {
    let ids: Ids = Arc::default();
    let for_factory = Arc::clone(&ids);
    let mut server =
        EpollTcpServer::bind("127.0.0.1:0", move || Delegate(Arc::clone(&for_factory))).unwrap();
    server.set_loops(2).unwrap();
    let running = RunningLoop::start(server, Duration::from_millis(100));
    let mut clients: Vec<_> = (0..6)
        .map(|_| BufReader::new(connect(running.addr())))
        .collect();
    for (i, client) in clients.iter_mut().enumerate() {
        assert_eq!(read_line(client), "from a worker\n", "client {i}");
    }
    // The server's handle runs its calls on the first loop, which reaches
    // only its own connections: some, not all, so both loops serve.
    let reached = Arc::new(Mutex::new(None));
    let (for_call, all) = (Arc::clone(&reached), ids.lock().clone());
    assert_eq!(all.len(), 6);
    running
        .server
        .loop_handle()
        .call_soon_threadsafe(move |conns| {
            let n = all
                .iter()
                .filter(|&&id| conns.output_len_of(id).is_some())
                .count();
            *for_call.lock() = Some(n);
        });
    assert!(wait_until(DEADLINE, || reached.lock().is_some()));
    let first = reached.lock().unwrap();
    assert!(
        (1..6).contains(&first),
        "the first loop serves {first} of 6 connections"
    );
    running.stop();
}
