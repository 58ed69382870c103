//! Shared by the `ftp_*` tests: a library directory, the server as its own
//! process, and a minimal client that speaks the protocol of
//! `notes/ftp-protocol.md` directly (so the server is tested without
//! trusting `ftp-client`).

#![allow(dead_code)] // each test file uses a different part

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use tempfile::TempDir;
use tests::ServerProcess;

/// How long any single reply may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Runs `ftp-client ARGS` in `cwd` with `input` on its stdin, and returns
/// its output; kills it and fails the test if it takes longer than `deadline`.
pub fn run_client(cwd: &Path, args: &[&str], input: &str, deadline: Duration) -> Output {
    let mut child = Command::new(tests::bin_path("ftp-client"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ftp-client starts");
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin
        .write_all(input.as_bytes())
        .expect("ftp-client reads its input");
    drop(stdin);
    // Waited for on a thread, which also reads the output as it comes.
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(deadline) {
        Ok(output) => output.expect("ftp-client's output"),
        Err(_) => {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            panic!("ftp-client did not finish within {deadline:?}");
        }
    }
}

/// A temporary library holding `files` (name, content).
pub fn library(files: &[(&str, &[u8])]) -> TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, content) in files {
        fs::write(dir.path().join(name), content).expect("write a library file");
    }
    dir
}

/// Starts `ftp-server --model MODEL --directory DIR 0`, its stderr kept
/// (see [`no_panic_logged`]).
pub fn start(model: &str, dir: &Path) -> ServerProcess {
    let dir = dir.to_str().expect("a UTF-8 temporary path");
    ServerProcess::start_reading_stderr(
        "ftp-server",
        &[
            "--model",
            model,
            "--max-children",
            "64",
            "--directory",
            dir,
            "0",
        ],
    )
}

/// Starts `ftp-server --model MODEL --directory DIR 0` with a limit of
/// `bytes` on the size of any file it writes (`RLIMIT_FSIZE`): a larger
/// upload fails to write with EFBIG, as on a full disk (ENOSPC), through
/// the same code.
pub fn start_with_file_size_limit(model: &str, dir: &Path, bytes: u64) -> ServerProcess {
    let mut command = Command::new(tests::bin_path("ftp-server"));
    command.args(["--model", model, "--directory"]);
    command.args([dir.to_str().expect("a UTF-8 path"), "0"]);
    tests::process::limit_file_size(&mut command, bytes);
    ServerProcess::start_command_reading_stderr(&mut command)
}

/// Ends the server and checks that nothing in its stderr says a handler
/// panicked (the framework catches a panic and goes on serving, so the
/// clients alone cannot tell).
pub fn no_panic_logged(server: ServerProcess) {
    let stderr = server.kill_and_collect_stderr(DEADLINE);
    let panics: Vec<&String> = stderr
        .iter()
        .filter(|line| line.contains("panicked"))
        .collect();
    assert!(panics.is_empty(), "the server panicked: {panics:?}");
}

/// Every entry of a directory, hidden ones included, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read the directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Bytes that differ from one seed to the next and do not repeat quickly.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// A connection speaking the protocol byte by byte.
pub struct Raw {
    pub stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Raw {
    pub fn connect(addr: &str) -> Raw {
        let stream = TcpStream::connect(addr).expect("connect to the server");
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        stream.set_write_timeout(Some(DEADLINE)).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        Raw { stream, reader }
    }

    /// Sends raw bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Reads one reply line, without its LF ("" if the server closed).
    pub fn reply(&mut self) -> String {
        let mut line = Vec::new();
        self.reader
            .read_until(b'\n', &mut line)
            .expect("read a reply");
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        String::from_utf8(line).expect("a UTF-8 reply")
    }

    /// Sends a request line (LF added) and reads the reply line.
    pub fn ask(&mut self, request: &[u8]) -> String {
        let mut line = request.to_vec();
        line.push(b'\n');
        self.send(&line);
        self.reply()
    }

    /// Reads exactly `n` body bytes.
    pub fn body(&mut self, n: u64) -> Vec<u8> {
        let mut body = Vec::new();
        (&mut self.reader)
            .take(n)
            .read_to_end(&mut body)
            .expect("read a body");
        assert_eq!(body.len() as u64, n, "the body ended early");
        body
    }

    /// True once the server has closed the connection (EOF within the deadline).
    pub fn closed_by_server(&mut self) -> bool {
        let mut rest = Vec::new();
        self.reader.read_to_end(&mut rest).is_ok() && rest.is_empty()
    }

    /// `L`: the names.
    pub fn list(&mut self) -> Vec<String> {
        let reply = self.ask(b"L");
        let size = size_of(&reply);
        let body = self.body(size);
        String::from_utf8(body)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// `G name`: the bytes, or the reason.
    pub fn get(&mut self, name: &str) -> Result<Vec<u8>, String> {
        let reply = self.ask(format!("G {name}").as_bytes());
        match reply.strip_prefix("OK ") {
            Some(size) => Ok(self.body(size.parse().expect("a size"))),
            None => Err(reply),
        }
    }

    /// `P size name` and the data: `Ok` once stored, or the reason.
    pub fn put(&mut self, name: &str, data: &[u8]) -> Result<(), String> {
        let reply = self.ask(format!("P {} {name}", data.len()).as_bytes());
        if reply != "OK" {
            return Err(reply);
        }
        self.send(data);
        match self.reply() {
            ok if ok == "OK" => Ok(()),
            reason => Err(reason),
        }
    }
}

/// The size in an `OK size` reply.
pub fn size_of(reply: &str) -> u64 {
    reply
        .strip_prefix("OK ")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("expected `OK size`, got {reply:?}"))
}
