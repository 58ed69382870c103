//! Helpers for the chat and broadcast tests: a multi-member transcript
//! recorder, heartbeats for UDP members, and a child program whose stdout
//! and stderr lines can be awaited with a deadline.

#![allow(dead_code)] // each test file uses a different part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tests::process::forward_lines;
use tests::procfs::wait_until;
use tests::transcript::{REPLY_DEADLINE, escape};

/// A transcript of several members talking to one server: `who -> bytes`
/// for what a member sends, `who <- bytes` for what it receives, in the
/// order the script waited for them.
#[derive(Default)]
pub struct Recorder {
    lines: Vec<String>,
}

impl Recorder {
    pub fn sent(&mut self, who: &str, bytes: &[u8]) {
        self.lines.push(format!("{who} -> {}", escape(bytes)));
    }

    pub fn received(&mut self, who: &str, bytes: &[u8]) {
        self.lines.push(format!("{who} <- {}", escape(bytes)));
    }

    /// Records a send whose bytes are too long to show.
    pub fn sent_described(&mut self, who: &str, description: &str) {
        self.lines.push(format!("{who} -> ({description})"));
    }

    pub fn note(&mut self, text: &str) {
        self.lines.push(format!("# {text}"));
    }

    pub fn render(&self) -> String {
        let mut text = self.lines.join("\n");
        text.push('\n');
        text
    }
}

/// UDP members (one socket each) talking to one chat server.
pub struct UdpSession {
    server: String,
    members: Vec<(String, UdpSocket)>,
    pub log: Recorder,
}

impl UdpSession {
    pub fn new(server: &str) -> UdpSession {
        UdpSession {
            server: server.to_string(),
            members: Vec::new(),
            log: Recorder::default(),
        }
    }

    /// A new member socket on loopback, `connect`ed to the server.
    pub fn add(&mut self, who: &str) {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a member socket");
        socket.connect(&self.server).expect("connect to the server");
        socket
            .set_read_timeout(Some(REPLY_DEADLINE))
            .expect("timeout");
        self.members.push((who.to_string(), socket));
    }

    pub fn socket(&self, who: &str) -> &UdpSocket {
        &self
            .members
            .iter()
            .find(|(name, _)| name == who)
            .unwrap_or_else(|| panic!("no member {who}"))
            .1
    }

    pub fn send(&mut self, who: &str, bytes: &[u8]) {
        self.socket(who).send(bytes).expect("send");
        self.log.sent(who, bytes);
    }

    pub fn send_described(&mut self, who: &str, bytes: &[u8], description: &str) {
        self.socket(who).send(bytes).expect("send");
        self.log.sent_described(who, description);
    }

    /// Waits (10 s at most) for the next datagram to `who` and records it.
    pub fn recv(&mut self, who: &str) -> String {
        let mut buf = [0u8; 65536];
        let n = self
            .socket(who)
            .recv(&mut buf)
            .unwrap_or_else(|e| panic!("{who} received nothing within the deadline: {e}"));
        self.log.received(who, &buf[..n]);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    /// Sends and waits for the one reply.
    pub fn ask(&mut self, who: &str, bytes: &[u8]) -> String {
        self.send(who, bytes);
        self.recv(who)
    }
}

/// Sends `H <name>` for each listed member every 100 ms, so that only the
/// member the script stops can time out.
pub struct Heartbeats {
    beating: Arc<Mutex<Vec<(String, UdpSocket)>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Heartbeats {
    pub fn start() -> Heartbeats {
        let beating: Arc<Mutex<Vec<(String, UdpSocket)>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (list, flag) = (Arc::clone(&beating), Arc::clone(&stop));
        let thread = thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                for (name, socket) in list.lock().unwrap().iter() {
                    let _ = socket.send(format!("H {name}").as_bytes());
                }
                thread::sleep(Duration::from_millis(100));
            }
        });
        Heartbeats {
            beating,
            stop,
            thread: Some(thread),
        }
    }

    pub fn add(&self, name: &str, socket: &UdpSocket) {
        let socket = socket.try_clone().expect("clone");
        self.beating
            .lock()
            .unwrap()
            .push((name.to_string(), socket));
    }

    /// After this returns, no more heartbeat for `name` is sent: the lock
    /// is held for a whole round of sends.
    pub fn remove(&self, name: &str) {
        self.beating.lock().unwrap().retain(|(n, _)| n != name);
    }
}

impl Drop for Heartbeats {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A TCP member reading lines.
pub struct TcpMember {
    pub name: String,
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl TcpMember {
    pub fn connect(name: &str, addr: &str) -> TcpMember {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(REPLY_DEADLINE)).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        TcpMember {
            name: name.to_string(),
            stream,
            reader,
        }
    }

    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    pub fn send(&mut self, log: &mut Recorder, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
        log.sent(&self.name, bytes);
    }

    /// Reads one line (10 s at most) and records it.
    pub fn recv_line(&mut self, log: &mut Recorder) -> String {
        let line = self.read_line();
        log.received(&self.name, line.as_bytes());
        line
    }

    /// Reads one line without recording it ("" at end of stream).
    pub fn read_line(&mut self) -> String {
        let mut line = Vec::new();
        self.reader
            .read_until(b'\n', &mut line)
            .unwrap_or_else(|e| panic!("{} received no line in time: {e}", self.name));
        String::from_utf8_lossy(&line).into_owned()
    }

    /// Reads to the end of the stream and records `<EOF>`.
    pub fn recv_to_end(&mut self, log: &mut Recorder) {
        let mut rest = Vec::new();
        self.reader.read_to_end(&mut rest).expect("read to end");
        if !rest.is_empty() {
            log.received(&self.name, &rest);
        }
        log.received(&self.name, b"<EOF>");
    }

    pub fn shutdown_write(&mut self, log: &mut Recorder) {
        self.stream.shutdown(std::net::Shutdown::Write).unwrap();
        log.sent(&self.name, b"<EOF>");
    }
}

/// A program of this workspace run as a child, with stdout and stderr lines
/// awaitable; killed and reaped when dropped.
pub struct Program {
    child: Child,
    pub stdout: Receiver<String>,
    pub stderr: Receiver<String>,
}

impl Program {
    pub fn start(bin: &str, args: &[&str]) -> Program {
        let mut child = Command::new(tests::bin_path(bin))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the program starts");
        let stdout = forward_lines(child.stdout.take().expect("piped"));
        let stderr = forward_lines(child.stderr.take().expect("piped"));
        Program {
            child,
            stdout,
            stderr,
        }
    }

    /// Types a line at the program's standard input.
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}").expect("write to stdin");
        stdin.flush().unwrap();
    }

    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, signal).expect("the process exists");
    }

    /// The next stdout line, waiting 10 s at most.
    pub fn next_line(&self) -> String {
        self.stdout
            .recv_timeout(REPLY_DEADLINE)
            .expect("a stdout line within 10 s")
    }

    /// Waits for a stdout line containing `needle` (10 s at most).
    pub fn wait_for(&self, needle: &str) -> String {
        let end = Instant::now() + REPLY_DEADLINE;
        loop {
            let left = end
                .checked_duration_since(Instant::now())
                .unwrap_or_else(|| panic!("no stdout line containing {needle:?} within 10 s"));
            match self.stdout.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => continue,
                Err(_) => panic!("no stdout line containing {needle:?} within 10 s"),
            }
        }
    }

    /// Waits (10 s at most) for the program to exit.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let mut status = None;
        wait_until(REPLY_DEADLINE, || {
            status = self.child.try_wait().expect("try_wait");
            status.is_some()
        });
        status.expect("the program exits within 10 s")
    }

    /// Every stderr line written so far (after the program exited: all of them).
    pub fn stderr_text(&self) -> String {
        let mut text = String::new();
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(500)) {
            text.push_str(&line);
            text.push('\n');
        }
        text
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
