//! The HTTP server on the event loop gives back what a connection took:
//! after rounds of the soak's requests and faults (heads cut off, a 4 MiB
//! answer abandoned after 1 KiB, a request line of 70,000 bytes), the
//! heap's live bytes come back to where they were after the first round.
//! RSS cannot tell a leak from memory glibc keeps for later
//! (`examples::memory`); this count can. One test in this file: the count
//! is the file's global allocator (`tests::live_heap`).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use examples::http::handler::Settings;
use examples::http::{HttpProtocol, Site, Version};
use framework::{EpollTcpServer, ServerOptions};
use tests::in_process::RunningLoop;
use tests::live_heap::{Counting, after_rounds, assert_no_growth};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const CLIENTS: usize = 8;
const PER_CLIENT: usize = 25;

/// One connection of the soak's mix; `Ok(false)` when an answer was wrong.
fn one(addr: SocketAddr, i: usize) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    match i % 5 {
        // Well-formed, every other one half-closed after its request.
        0 | 1 => {
            stream.write_all(b"GET /hello.txt HTTP/1.0\r\nHost: memory\r\n\r\n")?;
            if i % 5 == 1 {
                stream.shutdown(Shutdown::Write)?;
            }
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer)?;
            return Ok(answer.starts_with(b"HTTP/1.0 200 ") && answer.ends_with(&[b'h'; 1024]));
        }
        // Vanishes in the middle of its head.
        2 => stream.write_all(b"GET /hello.t")?,
        // Takes 1 KiB of a 4 MiB answer and hangs up.
        3 => {
            stream.write_all(b"GET /big.bin HTTP/1.0\r\n\r\n")?;
            let mut some = [0; 1024];
            let _ = stream.read(&mut some)?;
        }
        // A request line past the limit: 414, then the close.
        _ => {
            let line = format!("GET /{} HTTP/1.0\r\n\r\n", "a".repeat(70_000));
            let _ = stream.write_all(line.as_bytes());
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
        }
    }
    Ok(true)
}

#[test]
fn connections_give_back_their_buffers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), [b'h'; 1024]).unwrap();
    std::fs::write(dir.path().join("big.bin"), vec![7u8; 4 << 20]).unwrap();
    let settings = Settings {
        protocol: Version::HTTP_10,
        keep_alive: false,
        timeout: Duration::from_secs(10),
        max_connections: 1024,
        access_log: false,
    };
    let site = Site::open(dir.path(), settings).unwrap();
    let server =
        EpollTcpServer::bind_with("127.0.0.1:0", &ServerOptions::reuse_address(), move || {
            HttpProtocol::new(Arc::clone(&site))
        })
        .unwrap();
    let running = RunningLoop::start(server, Duration::from_millis(50));
    let live = after_rounds(5, CLIENTS, PER_CLIENT, running.addr(), one, || {
        running.server.connection_count()
    });
    // Measured: within 2 KiB of the first round. Before closed connections'
    // deadlines were swept from the loop's heap, each round left its
    // connections' entries there for the 10 s timeout: 26 KiB in 4 rounds.
    assert_no_growth(&live, 16 * 1024);
    drop(running.stop());
}
