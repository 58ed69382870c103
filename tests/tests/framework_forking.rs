//! The forking mix-in, from outside: servers run as their own processes
//! (`echo-server`, and `probe-server` from this crate), never forked from the
//! test harness. Children are watched through `/proc`.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::Signal;
use tests::procfs::{children_of, process_state, wait_until};
use tests::{ServerProcess, bin_path};

const DEADLINE: Duration = Duration::from_secs(10);

/// One connection to a line server.
struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: &str) -> Client {
        Client::from_stream(TcpStream::connect(addr).unwrap())
    }

    fn from_stream(stream: TcpStream) -> Client {
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        }
    }

    fn ask(&mut self, line: &str) -> String {
        self.stream
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
        self.read_line()
    }

    fn read_line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    }

    /// Sends a line and reads to end-of-file (the handler fails or panics).
    fn say_and_expect_close(&mut self, line: &str) -> String {
        self.stream
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
        let mut rest = String::new();
        self.reader.read_to_string(&mut rest).unwrap();
        rest
    }

    fn local_port(&self) -> u16 {
        self.stream.local_addr().unwrap().port()
    }
}

fn probe(args: &[&str]) -> ServerProcess {
    let mut all = vec!["--stderr-to-stdout"];
    all.extend_from_slice(args);
    ServerProcess::start("probe-server", &all)
}

fn no_children_left(pid: u32) {
    assert!(
        wait_until(DEADLINE, || children_of(pid).is_empty()),
        "children still there (Z = zombie): {:?}",
        children_of(pid)
    );
}

#[test]
fn no_zombie_after_200_connections() {
    let server = ServerProcess::start("echo-server", &["--model", "forking", "0"]);
    for i in 0..200 {
        let mut client = Client::connect(&server.addr());
        assert_eq!(client.ask(&format!("n{i}")), format!("n{i}"));
    }
    no_children_left(server.pid());
}

#[test]
fn max_children_is_respected() {
    let server = probe(&["--model", "forking", "--max-children", "3", "0"]);
    let pid = server.pid();
    let mut holders: Vec<Client> = (0..3).map(|_| Client::connect(&server.addr())).collect();
    for holder in &mut holders {
        assert!(holder.ask("hold").starts_with("held "));
    }
    assert_eq!(children_of(pid).len(), 3);
    // A fourth client is accepted by the kernel, but the server forks no
    // fourth child: it waits for one of the three to finish.
    let mut fourth = Client::connect(&server.addr());
    fourth.stream.write_all(b"pid\n").unwrap();
    fourth
        .stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut early = String::new();
    let got = fourth.reader.read_line(&mut early);
    assert!(
        matches!(&got, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "a fourth child ran while three were alive: {got:?} {early:?}"
    );
    assert_eq!(children_of(pid).len(), 3, "{:?}", children_of(pid));
    fourth.stream.set_read_timeout(Some(DEADLINE)).unwrap();
    // One holder leaves: its child ends and the fourth client is served.
    drop(holders.remove(0));
    assert!(fourth.read_line().starts_with("pid "));
    assert!(children_of(pid).len() <= 3);
    drop(holders);
    drop(fourth);
    no_children_left(pid);
}

#[test]
fn a_child_the_server_did_not_fork_is_not_reaped() {
    let mut server = probe(&[
        "--model",
        "forking",
        "--max-children",
        "2",
        "--foreign-child",
        "0",
    ]);
    let line = server
        .wait_for_line("foreign child ", DEADLINE)
        .expect("the foreign child's pid");
    let foreign: u32 = line.rsplit(' ').next().unwrap().parse().unwrap();
    let pid = server.pid();
    // Enough requests, some held so that the server reaches max_children and
    // must block in its wait for a child, with the foreign zombie waiting too.
    for round in 0..5 {
        let mut a = Client::connect(&server.addr());
        let mut b = Client::connect(&server.addr());
        assert!(a.ask("hold").starts_with("held "));
        assert!(b.ask("hold").starts_with("held "));
        let mut c = Client::connect(&server.addr());
        c.stream
            .write_all(format!("r{round}\n").as_bytes())
            .unwrap();
        drop(a);
        assert_eq!(c.read_line(), format!("r{round}"));
        drop(b);
    }
    for i in 0..20 {
        assert_eq!(
            Client::connect(&server.addr()).ask(&format!("x{i}")),
            format!("x{i}")
        );
    }
    // Our own children are reaped; the foreign one is still a zombie of ours.
    assert!(
        wait_until(DEADLINE, || children_of(pid)
            .iter()
            .all(|c| c.pid == foreign)),
        "{:?}",
        children_of(pid)
    );
    let state = process_state(foreign).expect("the foreign child was not reaped");
    assert!(state.is_zombie() && state.ppid == pid, "{state:?}");
    // The program reaps it itself when the server has stopped: status 72.
    server.signal(Signal::SIGTERM);
    assert!(
        server
            .wait_for_line("foreign child exited with 72", DEADLINE)
            .is_some()
    );
    assert!(server.wait_for_line("closed", DEADLINE).is_some());
    assert!(server.wait_exit(DEADLINE).unwrap().success());
}

#[test]
fn children_exit_with_0_on_success_and_1_on_error_or_panic() {
    let mut child = Command::new(bin_path("probe-server"))
        .arg("--exit-codes")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    assert!(
        wait_until(DEADLINE, || child.try_wait().unwrap().is_some()),
        "probe-server --exit-codes did not finish"
    );
    let mut text = String::new();
    stdout.read_to_string(&mut text).unwrap();
    assert_eq!(text.trim(), "exit codes: success=0 error=1 panic=1");
}

/// A failing and a panicking handler are reported (the default report names
/// the client), and the server goes on to serve the next client.
fn errors_are_reported_and_the_server_goes_on(model: &str) {
    let server = probe(&["--model", model, "0"]);
    for (command, message) in [
        ("fail", "failed on command"),
        ("panic", "panicked on command"),
    ] {
        let mut client = Client::connect(&server.addr());
        let port = client.local_port();
        assert_eq!(client.say_and_expect_close(command), "");
        let report =
            format!("Exception occurred during processing of request from 127.0.0.1:{port}");
        assert!(
            server.wait_for_line(&report, DEADLINE).is_some(),
            "no report: {report}"
        );
        assert!(
            server.wait_for_line(message, DEADLINE).is_some(),
            "no message {message}"
        );
    }
    let mut good = Client::connect(&server.addr());
    assert_eq!(good.ask("still here"), "still here");
    drop(good);
    if model == "forking" {
        no_children_left(server.pid());
    }
}

#[test]
fn forking_failing_and_panicking_handlers_then_a_good_client() {
    errors_are_reported_and_the_server_goes_on("forking");
}

#[test]
fn threading_failing_and_panicking_handlers_then_a_good_client() {
    errors_are_reported_and_the_server_goes_on("threading");
}

/// A client from 127.0.0.2 is refused by the allow-list: its connection is
/// closed without an answer and no child is forked for it.
#[test]
fn forking_verify_request_refusal() {
    let server = probe(&["--model", "forking", "--allow", "127.0.0.1", "0"]);
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&"127.0.0.2:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    socket
        .connect(&server.addr().parse::<SocketAddr>().unwrap().into())
        .unwrap();
    let mut refused = Client::from_stream(socket.into());
    // The server shuts the connection: end-of-file, or a reset if our line
    // arrived after it closed.
    let _ = refused.stream.write_all(b"pid\n");
    let mut rest = String::new();
    match refused.reader.read_to_string(&mut rest) {
        Ok(_) => assert_eq!(rest, "", "a refused client got an answer"),
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}"),
    }
    let mut allowed = Client::connect(&server.addr());
    let answer = allowed.ask("pid");
    let child: u32 = answer.strip_prefix("pid ").unwrap().parse().unwrap();
    assert_ne!(child, server.pid(), "the handler runs in a child");
}

/// SIGTERM stops the loop at once (ctrlc), and closing the server then
/// waits for the running child (`block_on_close`) before the program ends.
#[test]
fn sigterm_stops_the_loop_and_server_close_waits_for_children() {
    let mut server = probe(&["--model", "forking", "--poll-ms", "10000", "0"]);
    let mut holder = Client::connect(&server.addr());
    assert!(holder.ask("hold").starts_with("held "));
    server.signal(Signal::SIGTERM);
    // Well under the 10 s poll interval.
    assert!(
        server
            .wait_for_line("stopped", Duration::from_secs(5))
            .is_some()
    );
    // Still waiting for the held child: no "closed" yet, the process lives.
    assert!(
        server
            .wait_for_line("closed", Duration::from_millis(300))
            .is_none()
    );
    assert!(server.wait_exit(Duration::ZERO).is_none());
    // The child still serves its client until the client leaves.
    holder.stream.write_all(b"bye\n").unwrap();
    drop(holder);
    assert!(server.wait_for_line("closed", DEADLINE).is_some());
    assert!(server.wait_exit(DEADLINE).unwrap().success());
}
