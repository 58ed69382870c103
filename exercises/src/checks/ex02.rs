//! Check of exercise 02: the UDP time server.

use std::net::UdpSocket;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use framework::{DatagramRequest, RequestHandler, UdpServer};

use crate::kit::{Checker, Running, StepResult, expect_eq};

/// Sends one datagram from a fresh socket and returns the reply as text.
fn ask(server: std::net::SocketAddr, request: &[u8]) -> Result<String, String> {
    let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    socket.send_to(request, server).map_err(|e| e.to_string())?;
    let mut buf = [0u8; 2048];
    match socket.recv_from(&mut buf) {
        Ok((n, from)) if from == server => Ok(String::from_utf8_lossy(&buf[..n]).into_owned()),
        Ok((_, from)) => Err(format!(
            "the reply came from {from}, not from the server {server}"
        )),
        Err(_) => Err(format!(
            "sent {:?} and got no reply within 2 s (is anything written into req.wfile?)",
            String::from_utf8_lossy(request)
        )),
    }
}

fn is_now(reply: &str) -> StepResult {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    let secs: u64 = reply.parse().map_err(|_| {
        format!("expected seconds since 1970 in decimal, like \"{now}\"; got {reply:?}")
    })?;
    if secs.abs_diff(now) <= 5 {
        Ok(())
    } else {
        Err(format!("got {secs}, but the time now is {now}"))
    }
}

/// Runs the check against handlers made by `factory`.
pub fn run<H, F>(factory: F) -> ExitCode
where
    H: RequestHandler<DatagramRequest>,
    F: Fn() -> H + Send + Sync + 'static,
{
    let mut check = Checker::new("02");
    let server = UdpServer::bind("127.0.0.1:0", factory).expect("bind 127.0.0.1:0");
    let server = Running::start(server);
    let addr = server.address;

    check.step("\"time\" is answered with the seconds since 1970", || {
        is_now(&ask(addr, b"time")?)
    });
    check.step("\"time\\n\" (with a newline) is answered too", || {
        is_now(&ask(addr, b"time\n")?)
    });
    check.step("anything else gets \"unknown request: ...\"", || {
        expect_eq(
            "reply to \"date\"",
            "unknown request: date".to_string(),
            ask(addr, b"date")?,
        )
    });
    check.step("each client gets its own reply", || {
        let a = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let b = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        for s in [&a, &b] {
            s.set_read_timeout(Some(Duration::from_secs(2)))
                .map_err(|e| e.to_string())?;
        }
        a.send_to(b"time", addr).map_err(|e| e.to_string())?;
        b.send_to(b"hello", addr).map_err(|e| e.to_string())?;
        let mut buf = [0u8; 2048];
        let n = a
            .recv(&mut buf)
            .map_err(|_| "client A got no reply within 2 s")?;
        is_now(&String::from_utf8_lossy(&buf[..n]))?;
        let n = b
            .recv(&mut buf)
            .map_err(|_| "client B got no reply within 2 s")?;
        expect_eq(
            "client B's reply",
            "unknown request: hello",
            &String::from_utf8_lossy(&buf[..n]),
        )
    });
    check.finish()
}
