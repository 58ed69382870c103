//! Check of exercise 11: timeouts and limits on the event loop.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use framework::{EpollTcpServer, Protocol};

use crate::kit::{Checker, Client, REPLY_DEADLINE, RunningLoop, StepResult, expect_eq};

/// What the check asks for with `DUMP`: four times the output limit.
const DUMP_KIB: usize = 1024;

fn echo(c: &mut Client, line: &str) -> StepResult {
    c.send(format!("{line}\n"))?;
    expect_eq("the echo", line.to_string(), c.line()?)
}

/// Runs the check: `protocol` makes each connection's protocol,
/// `configure` sets the server's limits; `idle` and `max_line` are the
/// exercise's constants.
pub fn run<P, F>(
    protocol: F,
    configure: fn(&mut EpollTcpServer<P, F>),
    idle: Duration,
    max_line: usize,
) -> ExitCode
where
    P: Protocol,
    F: Fn() -> P + Send + Sync + 'static,
{
    let mut check = Checker::new("11");
    let mut server = EpollTcpServer::bind("127.0.0.1:0", protocol).expect("bind 127.0.0.1:0");
    configure(&mut server);
    let server = RunningLoop::start(server);
    let addr = server.address;
    let connect = |name: &str| Client::connect(addr, name);

    check.step("the echo works (this part is given)", || {
        echo(&mut connect("client")?, "hello")
    });
    check.step(
        "a silent client is told \"bye: idle for too long\", then closed",
        || {
            let mut silent = connect("a silent client")?;
            let started = Instant::now();
            expect_eq(
                "what the silent client hears",
                "bye: idle for too long".to_string(),
                silent.line()?,
            )?;
            if started.elapsed() < idle {
                return Err(format!(
                    "the goodbye came after {:?}, before IDLE",
                    started.elapsed()
                ));
            }
            expect_eq(
                "what follows the goodbye (the connection closes)",
                Vec::new(),
                silent.read_to_end()?,
            )
        },
    );
    check.step(
        "a client that talks more often than IDLE is never cut off",
        || {
            let mut busy = connect("a busy client")?;
            let started = Instant::now();
            while started.elapsed() < idle * 3 {
                echo(&mut busy, "still here")?;
                thread::sleep(idle / 5);
            }
            Ok(())
        },
    );
    check.step(
        "a line longer than MAX_LINE gets \"ERROR line too long\"; the next line is echoed",
        || {
            let mut c = connect("client")?;
            c.send(format!("{}\n", "a".repeat(max_line + 50)))?;
            expect_eq(
                "the answer to a long line",
                "ERROR line too long".to_string(),
                c.line()?,
            )?;
            echo(&mut c, "the next line")
        },
    );
    check.step(
        "a client that asks for 1 MiB and does not read is closed at the output limit",
        never_reader_is_closed(addr),
    );
    check.step("other clients are served as before", || {
        echo(&mut connect("client")?, "after all that")
    });
    check.finish()
}

/// Asks for `DUMP_KIB` KiB with a small receive buffer, waits without
/// reading, then reads: the server must have closed the connection
/// before all of it came.
fn never_reader_is_closed(addr: std::net::SocketAddr) -> impl FnOnce() -> StepResult {
    move || {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .map_err(|e| e.to_string())?;
        socket
            .set_recv_buffer_size(4096)
            .map_err(|e| e.to_string())?;
        socket.connect(&addr.into()).map_err(|e| e.to_string())?;
        let mut stream: TcpStream = socket.into();
        stream
            .write_all(format!("DUMP {DUMP_KIB}\n").as_bytes())
            .map_err(|e| e.to_string())?;
        thread::sleep(Duration::from_millis(300));
        stream
            .set_read_timeout(Some(REPLY_DEADLINE))
            .map_err(|e| e.to_string())?;
        let mut got = 0;
        let mut buf = [0u8; 64 * 1024];
        loop {
            match stream.read(&mut buf) {
                // Closed (end of file, or reset since it had unread data).
                Ok(0) | Err(_) if got < DUMP_KIB * 1024 => return Ok(()),
                Ok(0) => break,
                Ok(n) => got += n,
                Err(_) => break,
            }
            if got >= DUMP_KIB * 1024 {
                break;
            }
        }
        Err(format!(
            "the client received all {got} bytes: nothing capped the server's queue for it \
             (set the output limit)"
        ))
    }
}
