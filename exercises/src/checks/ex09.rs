//! Check of exercise 09: the bounded pool, as the mix-in of a real server.

use std::collections::HashSet;
use std::io::{self, BufRead, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, ThreadId};
use std::time::Duration;

use framework::{Bind, MixIn, RequestHandler, Server, ServerOptions, StreamRequest, TcpTransport};

use crate::kit::{Checker, Client, wait_until};

/// What the handlers saw, shared with the check.
#[derive(Default)]
struct Seen {
    active: AtomicUsize,
    most_at_once: AtomicUsize,
    started: AtomicUsize,
    finished: AtomicUsize,
    threads: Mutex<HashSet<ThreadId>>,
}

/// Holds its request open until the client sends a line, so the check
/// decides when each request ends.
struct Probe(Arc<Seen>);

impl RequestHandler<StreamRequest> for Probe {
    fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        let seen = &self.0;
        seen.started.fetch_add(1, SeqCst);
        let now = seen.active.fetch_add(1, SeqCst) + 1;
        seen.most_at_once.fetch_max(now, SeqCst);
        seen.threads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(thread::current().id());
        req.set_timeout(Some(Duration::from_secs(10)))?;
        let mut line = String::new();
        let read = req.rfile.read_line(&mut line);
        seen.active.fetch_sub(1, SeqCst);
        seen.finished.fetch_add(1, SeqCst);
        read?;
        req.wfile.write_all(b"done\n")
    }
}

/// Runs the check against pools made by `new_pool(workers, queue)`.
pub fn run<M: MixIn>(new_pool: fn(usize, usize) -> M) -> ExitCode {
    let mut check = Checker::new("09");
    let seen = Arc::new(Seen::default());
    let accepted = Arc::new(AtomicUsize::new(0));
    let transport = <TcpTransport as Bind<&str>>::bind("127.0.0.1:0", &ServerOptions::default())
        .expect("bind 127.0.0.1:0");
    let probe = Arc::clone(&seen);
    let mut server =
        Server::from_transport(transport, new_pool(2, 8), move || Probe(Arc::clone(&probe)))
            .expect("a server");
    let counter = Arc::clone(&accepted);
    server.set_verify_request(move |_| {
        counter.fetch_add(1, SeqCst);
        true
    });
    let addr = server.server_address().inet().expect("an internet address");
    let handle = server.handle();
    let serving = thread::spawn(move || {
        let _ = server.serve_forever();
        server
    });

    let mut clients = Vec::new();
    check.step(
        "six clients at once: never more than 2 requests run together",
        || {
            for i in 1..=6 {
                clients.push(Client::connect(addr, &format!("client {i}"))?);
            }
            wait_until(Duration::from_secs(2), || accepted.load(SeqCst) == 6);
            if !wait_until(Duration::from_secs(3), || seen.active.load(SeqCst) >= 2) {
                return Err(format!(
                    "after 3 s only {} request(s) run; 2 workers should be busy",
                    seen.active.load(SeqCst)
                ));
            }
            // Give more requests the chance to start, if the pool lets them.
            wait_until(Duration::from_millis(300), || seen.active.load(SeqCst) > 2);
            match seen.most_at_once.load(SeqCst) {
                n if n <= 2 => Ok(()),
                n => Err(format!(
                    "{n} requests ran at the same time; the pool has 2 workers"
                )),
            }
        },
    );
    check.step(
        "every request is served, all by the pool's 2 threads",
        || {
            for c in &mut clients {
                c.send("go\n")?;
            }
            for c in &mut clients {
                let reply = c.line()?;
                if reply != "done" {
                    return Err(format!("{} got {reply:?} instead of \"done\"", c.name));
                }
            }
            let threads = seen.threads.lock().unwrap_or_else(|e| e.into_inner()).len();
            if threads > 2 {
                return Err(format!(
                    "{threads} different threads ran the handlers; a pool reuses its 2 workers"
                ));
            }
            match seen.most_at_once.load(SeqCst) {
                n if n <= 2 => Ok(()),
                n => Err(format!(
                    "{n} requests ran at the same time; the pool has 2 workers"
                )),
            }
        },
    );
    check.step("server_close waits for the running request, then returns", || {
        // Counted before connecting: the request may start at once.
        let before = seen.started.load(SeqCst);
        let mut last = Client::connect(addr, "the last client")?;
        if !wait_until(Duration::from_secs(3), || seen.started.load(SeqCst) > before) {
            return Err("the last client's request did not start within 3 s".into());
        }
        // It finishes in a moment, when its client sends a line.
        let finisher = thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            let _ = last.send("go\n");
            let _ = last.line();
        });
        handle.shutdown();
        let server = serving.join().map_err(|_| "the server loop panicked")?;
        let (done_tx, done_rx) = mpsc::channel();
        thread::spawn(move || {
            server.server_close();
            let _ = done_tx.send(());
        });
        let closed = done_rx.recv_timeout(Duration::from_secs(5));
        let (started, finished) = (seen.started.load(SeqCst), seen.finished.load(SeqCst));
        let _ = finisher.join();
        if closed.is_err() {
            return Err("server_close did not return within 5 s: do the workers end when the queue is closed?".into());
        }
        if finished < started {
            return Err(format!(
                "server_close returned while {} request(s) still ran; it must wait for them",
                started - finished
            ));
        }
        Ok(())
    });
    check.finish()
}
