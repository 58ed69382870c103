//! Eight slow clients: each connects, then waits before it says anything.
//! A threading or forking server serves them all at the same time (the last
//! to connect is answered while the other seven are still connected and
//! silent); a sequential server serves them one after another (a client is
//! answered only once the one before it has gone).

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::TcpStream;
use std::time::Duration;

use tests::ServerProcess;

const CLIENTS: usize = 8;
const DEADLINE: Duration = Duration::from_secs(10);

struct Client {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(server: &ServerProcess) -> Client {
        let stream = TcpStream::connect(server.addr()).unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    fn send(&mut self, line: &str) {
        self.writer.write_all(line.as_bytes()).unwrap();
    }

    fn read_line(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        Ok(line)
    }
}

fn served_together(model: &str) {
    let server = ServerProcess::start("echo-server", &["--model", model, "--workers", "8", "0"]);
    let mut clients: Vec<Client> = (0..CLIENTS).map(|_| Client::connect(&server)).collect();
    // Last connected first: with one request at a time this would wait
    // forever behind the seven silent clients.
    for (i, client) in clients.iter_mut().enumerate().rev() {
        client.send(&format!("client {i}\n"));
        assert_eq!(client.read_line().unwrap(), format!("client {i}\n"));
    }
}

#[test]
fn threading_serves_eight_slow_clients_at_once() {
    served_together("threading");
}

#[test]
fn forking_serves_eight_slow_clients_at_once() {
    served_together("forking");
}

#[test]
fn an_event_loop_serves_eight_slow_clients_at_once() {
    served_together("poll");
}

#[test]
fn a_pool_of_eight_workers_serves_eight_slow_clients_at_once() {
    served_together("pool");
}

#[test]
fn sequential_serves_slow_clients_one_after_another() {
    let server = ServerProcess::start("echo-server", &["--model", "sequential", "0"]);
    let mut clients: Vec<Client> = (0..CLIENTS).map(|_| Client::connect(&server)).collect();
    // Everyone speaks at once...
    for (i, client) in clients.iter_mut().enumerate() {
        client.send(&format!("client {i}\n"));
    }
    // ...but only the first is answered while it stays connected.
    assert_eq!(clients[0].read_line().unwrap(), "client 0\n");
    clients[1]
        .writer
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let early = clients[1].read_line();
    assert!(
        matches!(&early, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "client 1 was answered while client 0 was still being served: {early:?}"
    );
    clients[1].writer.set_read_timeout(Some(DEADLINE)).unwrap();
    // Each leaves in turn, and the next one is answered.
    let mut clients = clients.into_iter().enumerate();
    clients.next();
    for (i, mut client) in clients {
        assert_eq!(client.read_line().unwrap(), format!("client {i}\n"));
    }
}
