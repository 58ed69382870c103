//! Shared by the `ftpd_*` tests: the server as its own process, a served
//! directory, and a minimal FTP client written from RFC 959 (so that the
//! server is tested without trusting any FTP library).

#![allow(dead_code)] // each test file uses a different part

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tempfile::TempDir;
use tests::ServerProcess;

/// How long any reply or client run may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A fixed modification time (2020-01-02 03:04:05 UTC) for files whose
/// dates appear in transcripts.
pub fn fixed_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_577_934_245)
}

/// A temporary directory holding `files` (paths with `/` make folders),
/// every file and folder dated [`fixed_time`].
pub fn tree(files: &[(&str, &[u8])]) -> TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, content) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).expect("write a file");
    }
    date_everything(dir.path());
    dir
}

/// Sets every file's and folder's modification time under `dir` to [`fixed_time`].
pub fn date_everything(dir: &Path) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            date_everything(&entry.path());
        }
        if kind.is_dir() || kind.is_file() {
            fs::File::open(entry.path())
                .unwrap()
                .set_modified(fixed_time())
                .unwrap();
        }
    }
}

/// The model the tests run `ftpd` in, unless a test names one: the
/// environment variable `FTPD_MODEL` (`poll`, `threading`, `forking`), or
/// the server's default; and `FTPD_LOOPS` event loops (`--loops`, for
/// `poll`). `.ci/run` runs the ftpd suites once in the default, once more
/// in each other model, and once with two loops.
pub fn model_args(args: &[&str]) -> Vec<String> {
    if args.contains(&"--model") {
        return Vec::new();
    }
    let mut chosen = Vec::new();
    let model = std::env::var("FTPD_MODEL").unwrap_or_default();
    if !model.is_empty() {
        chosen.extend(["--model".to_string(), model]);
    }
    let loops = std::env::var("FTPD_LOOPS").unwrap_or_default();
    if !loops.is_empty() {
        chosen.extend(["--loops".to_string(), loops]);
    }
    chosen
}

/// Starts `ftpd --directory DIR [--model $FTPD_MODEL] ARGS... 0`, stderr kept.
pub fn start(dir: &Path, args: &[&str]) -> ServerProcess {
    let model = model_args(args);
    let mut all = vec!["--directory", dir.to_str().expect("a UTF-8 path")];
    all.extend(model.iter().map(String::as_str));
    all.extend_from_slice(args);
    all.push("0");
    ServerProcess::start_reading_stderr("ftpd", &all)
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

/// Every entry of a directory, hidden ones included, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read the directory")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A control connection, speaking RFC 959 line by line.
pub struct Control {
    pub stream: TcpStream,
    reader: BufReader<TcpStream>,
    /// The greeting (`220 ...`).
    pub greeting: String,
}

impl Control {
    /// Connects and reads the greeting.
    pub fn connect(addr: &str) -> Control {
        let stream = TcpStream::connect(addr).expect("connect to ftpd");
        Control::over(stream)
    }

    /// Reads the greeting on an already connected stream.
    pub fn over(stream: TcpStream) -> Control {
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        stream.set_write_timeout(Some(DEADLINE)).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        let mut control = Control {
            stream,
            reader,
            greeting: String::new(),
        };
        control.greeting = control.reply();
        control
    }

    /// Closes the connection with a reset (RST), as a client that crashed
    /// or lost its network would (SO_LINGER 0, then both descriptors closed).
    pub fn reset(self) {
        socket2::SockRef::from(&self.stream)
            .set_linger(Some(std::time::Duration::ZERO))
            .unwrap();
    }

    /// Reads one whole reply (all lines of a multi-line one, joined by
    /// `\n`, CRLFs removed); "" if the server closed the connection.
    pub fn reply(&mut self) -> String {
        let mut all: Vec<String> = Vec::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).expect("read a reply") == 0 {
                return all.join("\n");
            }
            let line = line.trim_end_matches(['\r', '\n']).to_string();
            let done = all.is_empty() && line.as_bytes().get(3) == Some(&b' ')
                || !all.is_empty()
                    && line.len() >= 4
                    && line[..3] == all[0][..3]
                    && &line[3..4] == " ";
            all.push(line);
            if done {
                return all.join("\n");
            }
        }
    }

    /// Sends `line` (CRLF added) and reads the reply.
    pub fn cmd(&mut self, line: &str) -> String {
        self.send(line);
        self.reply()
    }

    /// Sends `line` and CRLF.
    pub fn send(&mut self, line: &str) {
        self.stream
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("send a command");
    }

    /// USER/PASS as anonymous; panics unless `230`.
    pub fn login(&mut self) {
        self.login_as("anonymous", "test@example.org");
    }

    /// USER/PASS; panics unless `230`.
    pub fn login_as(&mut self, user: &str, password: &str) {
        let r = self.cmd(&format!("USER {user}"));
        assert!(r.starts_with("331"), "{r}");
        let r = self.cmd(&format!("PASS {password}"));
        assert!(r.starts_with("230"), "{r}");
    }

    /// EPSV: the data address to connect to.
    pub fn epsv(&mut self) -> SocketAddr {
        let r = self.cmd("EPSV");
        assert!(r.starts_with("229"), "{r}");
        let port: u16 = r
            .split("|||")
            .nth(1)
            .and_then(|p| p.split('|').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {r}"));
        SocketAddr::new(self.stream.peer_addr().unwrap().ip(), port)
    }

    /// A data connection to `addr`.
    pub fn data(addr: SocketAddr) -> TcpStream {
        let s = TcpStream::connect(addr).expect("connect the data connection");
        s.set_read_timeout(Some(DEADLINE)).unwrap();
        s.set_write_timeout(Some(DEADLINE)).unwrap();
        s
    }

    /// `EPSV`, the data connection, then `command`: the data connection
    /// once the server has answered `150`, or the reply that refused.
    pub fn transfer(&mut self, command: &str) -> Result<TcpStream, String> {
        let data = Control::data(self.epsv());
        let r = self.cmd(command);
        if r.starts_with("150") {
            Ok(data)
        } else {
            Err(r)
        }
    }

    /// `EPSV` then `command`; the bytes of the data connection, or the
    /// refusal's reply.
    pub fn download(&mut self, command: &str) -> Result<Vec<u8>, String> {
        let mut data = self.transfer(command)?;
        let mut bytes = Vec::new();
        data.read_to_end(&mut bytes)
            .expect("read the data connection");
        let r = self.reply();
        if !r.starts_with("226") {
            return Err(r);
        }
        Ok(bytes)
    }

    /// `TYPE I`, `EPSV`, `command` (STOR name...), the bytes, then the reply.
    pub fn upload(&mut self, command: &str, bytes: &[u8]) -> Result<String, String> {
        let mut data = self.transfer(command)?;
        data.write_all(bytes).expect("send the data");
        drop(data);
        let r = self.reply();
        if r.starts_with("226") { Ok(r) } else { Err(r) }
    }
}

/// Runs `program ARGS` in `cwd` and returns its output; kills it and
/// fails the test after `deadline`. `None` if the program is not installed.
pub fn run_program(program: &str, args: &[&str], cwd: &Path, deadline: Duration) -> Option<Output> {
    let child = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
        Err(err) => panic!("{program} does not start: {err}"),
    };
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(deadline) {
        Ok(output) => Some(output.expect("the program's output")),
        Err(_) => {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            panic!("{program} {args:?} did not finish within {deadline:?}");
        }
    }
}

/// True if `program` can be run (`program --version` works).
pub fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Ends the server and checks its stderr for panics.
pub fn no_panic_logged(server: ServerProcess) {
    let stderr = server.kill_and_collect_stderr(DEADLINE);
    let panics: Vec<&String> = stderr.iter().filter(|l| l.contains("panicked")).collect();
    assert!(panics.is_empty(), "the server panicked: {panics:?}");
}

/// Starts `ftpd --directory DIR ARGS... 0` with a limit of `bytes` on the
/// size of any file it writes (`RLIMIT_FSIZE`): a larger upload fails to
/// write with EFBIG, through the same code as a full disk (ENOSPC).
pub fn start_with_file_size_limit(dir: &Path, args: &[&str], bytes: u64) -> ServerProcess {
    let mut command = Command::new(tests::bin_path("ftpd"));
    command
        .arg("--directory")
        .arg(dir)
        .args(model_args(args))
        .args(args)
        .arg("0");
    tests::process::limit_file_size(&mut command, bytes);
    ServerProcess::start_command_reading_stderr(&mut command)
}
