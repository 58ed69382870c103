//! `Conn::capturing`: the framework's hook for adapters that transform what
//! an inner protocol writes (TLS in `examples::tls`). Tested here with an
//! adapter that sends everything in capitals.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use framework::{Captured, CloseReason, Conn, EpollTcpServer, LineProtocol, Lines, Protocol};
use parking_lot::Mutex;
use tests::in_process::{RunningLoop, connect};

const POLL: Duration = Duration::from_millis(50);

type Log = Arc<Mutex<Vec<String>>>;

/// Sends everything the inner protocol writes in capitals, and closes
/// after it (with a last word of its own) when the inner protocol closes.
struct Shouting<P> {
    inner: P,
    captured: Captured,
}

impl<P: Protocol> Shouting<P> {
    fn send(&mut self, conn: &mut Conn<'_>) {
        assert!(
            !conn.is_capturing(),
            "the adapter's own Conn is the real one"
        );
        conn.write(&self.captured.take().to_ascii_uppercase());
        if self.captured.take_close_request() {
            conn.write(b"[END]\n"); // what must come last, like a close_notify
            conn.close();
        }
    }
}

impl<P: Protocol> Protocol for Shouting<P> {
    fn data_received(&mut self, conn: &mut Conn<'_>, data: &[u8]) -> io::Result<()> {
        self.inner
            .data_received(&mut conn.capturing(&mut self.captured), data)?;
        self.send(conn);
        Ok(())
    }

    fn closed(&mut self, conn: &mut Conn<'_>, reason: &CloseReason) {
        self.inner
            .closed(&mut conn.capturing(&mut self.captured), reason);
    }
}

/// Echoes lines; `quit` says bye and closes, `abort` aborts. Logs what it
/// sees of its connection while captured.
struct Inner {
    log: Log,
}

impl LineProtocol for Inner {
    fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
        match line {
            b"quit\n" => {
                assert!(conn.is_capturing(), "the adapter's Conn says so");
                conn.write(b"bye\n");
                self.log
                    .lock()
                    .push(format!("queued {}", conn.output_len()));
                conn.close();
                self.log
                    .lock()
                    .push(format!("closing {}", conn.is_closing()));
                conn.write(b"ignored after close\n");
            }
            b"abort\n" => {
                conn.write(b"dropped\n");
                conn.abort();
            }
            _ => conn.write(line),
        }
        Ok(())
    }

    fn closed(&mut self, conn: &mut Conn<'_>, reason: &CloseReason) {
        let written = conn.output_len();
        conn.write(b"nobody reads this\n");
        self.log.lock().push(format!("closed {reason:?} {written}"));
    }
}

type Adapted = Shouting<Lines<Inner>>;

fn server() -> (
    RunningLoop<Adapted, impl Fn() -> Adapted + Send + Sync>,
    Log,
) {
    let log: Log = Arc::default();
    let for_factory = Arc::clone(&log);
    let server = EpollTcpServer::bind("127.0.0.1:0", move || Shouting {
        inner: Lines::new(Inner {
            log: Arc::clone(&for_factory),
        }),
        captured: Captured::new(),
    })
    .unwrap();
    (RunningLoop::start(server, POLL), log)
}

#[test]
fn the_adapter_transforms_the_inner_writes_and_closes_after_its_last_word() {
    let (running, log) = server();
    let mut client = connect(running.addr());
    client.write_all(b"hello\n").unwrap();
    let mut line = String::new();
    BufReader::new(&mut client).read_line(&mut line).unwrap();
    assert_eq!(line, "HELLO\n");

    client.write_all(b"quit\n").unwrap();
    let mut rest = String::new();
    client.read_to_string(&mut rest).unwrap();
    assert_eq!(
        rest, "BYE\n[END]\n",
        "the adapter's word after the inner's, then the end"
    );
    assert!(tests::procfs::wait_until(Duration::from_secs(10), || log
        .lock()
        .len()
        == 3));
    assert_eq!(
        *log.lock(),
        ["queued 4", "closing true", "closed Closed 0"],
        "while captured: bytes counted, close seen; writes in `closed` go nowhere"
    );
    running.stop();
}

#[test]
fn abort_goes_through_at_once_and_drops_what_was_captured() {
    let (running, _log) = server();
    let mut client = connect(running.addr());
    client.write_all(b"abort\n").unwrap();
    let mut got = Vec::new();
    match client.read_to_end(&mut got) {
        Ok(_) => assert!(got.is_empty(), "nothing sent: {got:?}"),
        Err(err) => assert_eq!(err.kind(), io::ErrorKind::ConnectionReset),
    }
    running.stop();
}
