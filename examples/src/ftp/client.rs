//! The FTP-style client: the course's menu, and one-shot forms for scripts.
//!
//! ```text
//! ftp-client [ADDR]                         menu and prompt, until `quit`
//! ftp-client ADDR list                      print the library's names
//! ftp-client ADDR get NAME [-o PATH]        download NAME (to ./NAME or PATH)
//! ftp-client ADDR put PATH                  upload a local file under its own name
//! ```
//!
//! ADDR is `HOST:PORT`, `HOST` or `PORT`; the default is `127.0.0.1:8080`.
//! [`Session`] is the protocol from the client's side, usable on its own.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nix::sys::signal::{SigHandler, SigSet, Signal, raise};
use tempfile::NamedTempFile;

use super::describe;
use super::protocol::{DEFAULT_PORT, LineError, MAX_LINE, Reply, Request, name_problem, read_line};
use super::transfer::send_file;

/// Talk to an `ftp-server`: list, download and upload files.
#[derive(Parser)]
#[command(name = "ftp-client", version)]
struct Args {
    /// The server: HOST:PORT, HOST or PORT.
    #[arg(default_value = "127.0.0.1:8080")]
    addr: String,
    /// Do one thing and exit (without it: the menu).
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the names of the files in the library, one a line.
    List,
    /// Download a file.
    Get {
        /// The file's name in the library.
        name: String,
        /// Where to save it (default: NAME in the current directory).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Upload a local file under its own name (without the directories).
    Put {
        /// The local file.
        path: PathBuf,
    },
}

/// Transfers above this size get a progress bar (on a terminal only).
const PROGRESS_THRESHOLD: u64 = 1024 * 1024;

/// How long the client waits for the server before giving up.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The largest listing the client accepts (a listing is held in memory).
const MAX_LISTING: u64 = 64 * 1024 * 1024;

/// Why an operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server refused (or a local file could not be used): the
    /// session can go on.
    Refused(String),
    /// The connection is broken or out of step: the session is over.
    Lost(String),
}

impl Failure {
    /// The message for a person.
    pub fn message(&self) -> &str {
        match self {
            Failure::Refused(text) | Failure::Lost(text) => text,
        }
    }
}

impl From<io::Error> for Failure {
    /// An error on the connection ends the session.
    fn from(err: io::Error) -> Failure {
        // The socket's timeout running out shows as EAGAIN ("try again").
        let why = match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                format!("no answer from the server for {} s", TIMEOUT.as_secs())
            }
            _ => describe(&err),
        };
        Failure::Lost(format!("connection lost: {why}"))
    }
}

/// One connection to a server: the protocol from the client's side.
pub struct Session {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// Show progress bars for large transfers.
    pub progress: bool,
}

impl Session {
    /// Connects to `addr` (`HOST:PORT`).
    pub fn connect(addr: &str) -> Result<Session, String> {
        let fail = |err: io::Error| format!("cannot connect to {addr}: {}", describe(&err));
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address found");
        for target in addr.to_socket_addrs().map_err(fail)? {
            match TcpStream::connect_timeout(&target, TIMEOUT) {
                Ok(stream) => return Session::from_stream(stream).map_err(fail),
                Err(err) => last = err,
            }
        }
        Err(fail(last))
    }

    /// Uses an already connected stream.
    pub fn from_stream(stream: TcpStream) -> io::Result<Session> {
        stream.set_read_timeout(Some(TIMEOUT))?;
        stream.set_write_timeout(Some(TIMEOUT))?;
        // A request line and then the file: send each at once (see the server).
        stream.set_nodelay(true)?;
        Ok(Session {
            reader: BufReader::with_capacity(64 * 1024, stream.try_clone()?),
            writer: stream,
            progress: false,
        })
    }

    /// `L`: the names in the library, sorted by the server.
    pub fn list(&mut self) -> Result<Vec<String>, Failure> {
        self.send(&Request::List)?;
        let size = self.expect_size()?;
        if size > MAX_LISTING {
            return Err(Failure::Lost(format!("listing too large ({size} bytes)")));
        }
        let mut body = Vec::with_capacity(size as usize);
        (&mut self.reader).take(size).read_to_end(&mut body)?;
        if (body.len() as u64) < size {
            return Err(short_body(body.len() as u64, size));
        }
        let text = String::from_utf8_lossy(&body);
        Ok(text.lines().map(str::to_string).collect())
    }

    /// `G name`: downloads to `target` and returns the size. The bytes go to
    /// a hidden temporary file next to `target`, renamed to it only when all
    /// have arrived: a failed download leaves nothing under `target`.
    pub fn get(&mut self, name: &str, target: &Path) -> Result<u64, Failure> {
        // The server would refuse a bad name too; checking first also keeps
        // a name like `../x` from ever being used as a local path.
        if let Some(problem) = name_problem(name) {
            return Err(Failure::Refused(format!("bad name: {problem}")));
        }
        let dir = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        // Before the request, so that a local problem leaves the session in
        // step. Made while holding the registry of downloads in progress:
        // a signal arriving meanwhile waits for it, then deletes the file.
        let (mut temp, _registered) = InProgress::create(dir)?;
        self.send(&Request::Get(name.to_string()))?;
        let size = self.expect_size()?;
        let bar = self.progress_bar(size);
        let mut buffer = vec![0u8; 256 * 1024];
        let mut done = 0;
        while done < size {
            let want = buffer
                .len()
                .min(usize::try_from(size - done).unwrap_or(usize::MAX));
            let n = match self.reader.read(&mut buffer[..want]) {
                Ok(n) => n,
                // After Ctrl+Z and `fg` (SIGSTOP, SIGCONT), a read on a
                // socket with a timeout fails with EINTR: read again.
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err.into()),
            };
            if n == 0 {
                return Err(short_body(done, size));
            }
            // A write error leaves the connection mid-body: end the session.
            temp.write_all(&buffer[..n]).map_err(|err| {
                Failure::Lost(format!(
                    "cannot write {}: {}",
                    target.display(),
                    describe(&err)
                ))
            })?;
            done += n as u64;
            bar.inc(n as u64);
        }
        bar.finish_and_clear();
        // tempfile makes owner-only files; a download is an ordinary file.
        let _ = temp
            .as_file()
            .set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
        temp.persist(target).map_err(|err| {
            Failure::Refused(format!(
                "cannot save {}: {}",
                target.display(),
                describe(&err.error)
            ))
        })?;
        Ok(size)
    }

    /// `P size name`: uploads the local file `path` as `name` and returns
    /// the size. The file is sent without a copy (`transfer::send_file`), like the server's downloads.
    pub fn put(&mut self, path: &Path, name: &str) -> Result<u64, Failure> {
        // Checked here, not only by the server: a name with a newline in it
        // would end the request line early, and the rest of the name would
        // be read as a request of its own.
        if let Some(problem) = name_problem(name) {
            return Err(Failure::Refused(format!("bad name: {problem}")));
        }
        let local = |err: io::Error| {
            Failure::Refused(format!(
                "cannot read {}: {}",
                path.display(),
                describe(&err)
            ))
        };
        let file = File::open(path).map_err(local)?;
        let metadata = file.metadata().map_err(local)?;
        if !metadata.is_file() {
            return Err(Failure::Refused(format!(
                "{} is not a regular file",
                path.display()
            )));
        }
        let size = metadata.len();
        self.send(&Request::Put {
            size,
            name: name.to_string(),
        })?;
        self.expect_ok()?;
        let bar = self.progress_bar(size);
        send_file(&self.writer, &file, size, |n| bar.inc(n))?;
        bar.finish_and_clear();
        // The second reply: was the file stored?
        self.expect_ok()?;
        Ok(size)
    }

    /// `Q`: says goodbye and waits for the server to close the connection.
    pub fn quit(mut self) -> Result<(), Failure> {
        self.send(&Request::Quit)?;
        let mut rest = Vec::new();
        (&mut self.reader)
            .take(MAX_LINE as u64)
            .read_to_end(&mut rest)?;
        let _ = self.writer.shutdown(Shutdown::Both);
        Ok(())
    }

    fn send(&mut self, request: &Request) -> Result<(), Failure> {
        self.writer.write_all(request.to_line().as_bytes())?;
        Ok(())
    }

    fn read_reply(&mut self) -> Result<Reply, Failure> {
        match read_line(&mut self.reader, MAX_LINE) {
            Ok(Some(line)) => Reply::parse(&line).map_err(Failure::Lost),
            Ok(None) | Err(LineError::Truncated) => Err(Failure::Lost(
                "the server closed the connection".to_string(),
            )),
            Err(LineError::TooLong) => Err(Failure::Lost("the server's reply is too long".into())),
            Err(LineError::Io(err)) => Err(err.into()),
        }
    }

    /// Expects `OK size`.
    fn expect_size(&mut self) -> Result<u64, Failure> {
        match self.read_reply()? {
            Reply::Ok(Some(size)) => Ok(size),
            Reply::Ok(None) => Err(Failure::Lost("the server sent OK without a size".into())),
            Reply::Refused(reason) => Err(Failure::Refused(reason)),
        }
    }

    /// Expects a plain `OK`.
    fn expect_ok(&mut self) -> Result<(), Failure> {
        match self.read_reply()? {
            Reply::Ok(None) => Ok(()),
            Reply::Ok(Some(_)) => Err(Failure::Lost("the server sent an unexpected size".into())),
            Reply::Refused(reason) => Err(Failure::Refused(reason)),
        }
    }

    /// A byte progress bar for a large transfer on a terminal; hidden otherwise.
    fn progress_bar(&self, size: u64) -> ProgressBar {
        if !self.progress || size <= PROGRESS_THRESHOLD {
            return ProgressBar::hidden();
        }
        // Drawn on stdout, the terminal the decision was made for.
        let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stdout());
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
        {
            bar.set_style(style);
        }
        bar
    }
}

/// The hidden temporary file of the download in progress, if any: the
/// signal thread (see [`clean_up_on_signals`]) deletes it, so that a
/// download cut short by Ctrl+C leaves nothing behind, not even a hidden
/// file.
static DOWNLOADING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Keeps a download's temporary file in [`DOWNLOADING`] while it lives.
struct InProgress;

impl InProgress {
    /// Creates the hidden temporary file in `dir` and registers it, both
    /// under the registry's lock.
    fn create(dir: &Path) -> Result<(NamedTempFile, InProgress), Failure> {
        let mut registry = DOWNLOADING.lock().unwrap_or_else(|e| e.into_inner());
        let temp = tempfile::Builder::new()
            .prefix(".ftp-download-")
            .tempfile_in(dir)
            .map_err(|err| {
                Failure::Refused(format!(
                    "cannot write in {}: {}",
                    dir.display(),
                    describe(&err)
                ))
            })?;
        *registry = Some(temp.path().to_path_buf());
        Ok((temp, InProgress))
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        *DOWNLOADING.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Ctrl+C (SIGINT), SIGTERM and SIGHUP end the program as they would
/// without this function, but first the download in progress is deleted:
/// a signal ends a program without running destructors, so tempfile's own
/// clean-up would never run.
///
/// The signals are blocked in this thread and in every thread started
/// after it, and one thread waits for them with `sigwait`: it runs
/// ordinary code (a lock, a file removal), which a signal handler must
/// not. Then it restores the signal's default action and raises it again,
/// so the program dies of that signal: a shell sees "killed by SIGINT" and
/// stops the script it was running, as it would without the clean-up.
fn clean_up_on_signals() {
    let mut signals = SigSet::empty();
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        signals.add(signal);
    }
    if signals.thread_block().is_err() {
        return;
    }
    std::thread::spawn(move || {
        let Ok(signal) = signals.wait() else {
            return;
        };
        let path = DOWNLOADING.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(path) = path {
            let _ = std::fs::remove_file(path);
        }
        // SAFETY: setting a signal's action to the default installs no
        // handler, so no code of ours can run inside a signal.
        let _ = unsafe { nix::sys::signal::signal(signal, SigHandler::SigDfl) };
        let mut this_one = SigSet::empty();
        this_one.add(signal);
        let _ = this_one.thread_unblock();
        let _ = raise(signal);
        // Not reached: the default action of these three ends the process.
        std::process::exit(128 + signal as i32);
    });
}

fn short_body(got: u64, size: u64) -> Failure {
    Failure::Lost(format!(
        "the server closed the connection after {got} of {size} bytes"
    ))
}

/// `HOST:PORT` from what the user typed: a bare port means 127.0.0.1, a
/// bare host means port 8080.
pub fn full_address(addr: &str) -> String {
    if !addr.is_empty() && addr.bytes().all(|b| b.is_ascii_digit()) {
        format!("127.0.0.1:{addr}")
    } else if addr.contains(':') {
        addr.to_string()
    } else {
        format!("{addr}:{DEFAULT_PORT}")
    }
}

/// The name a local file is uploaded under: its last path component.
pub fn upload_name(path: &Path) -> Result<String, Failure> {
    path.file_name()
        .and_then(|name| name.to_str())
        .map(str::to_string)
        .ok_or_else(|| Failure::Refused(format!("{} has no usable file name", path.display())))
}

/// The course's menu.
pub const MENU: &str = "\
=========== Command ===========
  list        show the files in the library
  get NAME    download a file
  put PATH    upload a local file
  quit        leave
===============================";

/// The course's prompt.
pub const PROMPT: &str = "输入命令 (command): ";

/// The menu loop: reads commands from `input` until `quit` or the end of
/// input. Refusals are printed and the loop goes on; a lost connection ends
/// it with the error.
pub fn interactive(
    mut session: Session,
    input: impl BufRead,
    out: &mut impl Write,
) -> Result<(), Failure> {
    writeln!(out, "{MENU}").ok();
    let mut lines = input.lines();
    loop {
        write!(out, "{PROMPT}").ok();
        out.flush().ok();
        let Some(Ok(line)) = lines.next() else {
            // End of input: leave as if `quit` was typed.
            writeln!(out).ok();
            return session.quit();
        };
        let line = line.trim();
        let (command, argument) = match line.split_once(' ') {
            Some((command, argument)) => (command, argument.trim()),
            None => (line, ""),
        };
        let result = match (command, argument) {
            ("", _) => continue,
            ("help" | "?", _) => {
                writeln!(out, "{MENU}").ok();
                Ok(())
            }
            ("quit" | "q", _) => {
                writeln!(out, "bye").ok();
                return session.quit();
            }
            ("list" | "l", _) => session.list().map(|names| {
                if names.is_empty() {
                    writeln!(out, "(the library is empty)").ok();
                }
                for name in names {
                    writeln!(out, "  {name}").ok();
                }
            }),
            ("get" | "g", name) if !name.is_empty() => {
                session.get(name, Path::new(name)).map(|size| {
                    let _ = writeln!(out, "downloaded {name} ({size} bytes)");
                })
            }
            ("put" | "p", path) if !path.is_empty() => {
                let path = Path::new(path);
                upload_name(path)
                    .and_then(|name| session.put(path, &name).map(|size| (name, size)))
                    .map(|(name, size)| {
                        let _ = writeln!(out, "uploaded {name} ({size} bytes)");
                    })
            }
            ("get" | "g", _) => Err(Failure::Refused("usage: get NAME".into())),
            ("put" | "p", _) => Err(Failure::Refused("usage: put PATH".into())),
            _ => {
                writeln!(out, "unknown command {command:?}\n{MENU}").ok();
                Ok(())
            }
        };
        match result {
            Ok(()) => {}
            Err(Failure::Refused(reason)) => {
                writeln!(out, "error: {reason}").ok();
            }
            Err(lost) => return Err(lost),
        }
    }
}

/// The whole `ftp-client` program: parses `args` (the first is the program
/// name), runs the menu or one command, and exits non-zero with a one-line
/// error on failure.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    clean_up_on_signals();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let addr = full_address(&args.addr);
    let mut session = Session::connect(&addr)?;
    session.progress = io::stdout().is_terminal();
    let message = |what: String| move |failure: Failure| format!("{what}: {}", failure.message());
    match args.command {
        None => {
            let stdin = io::stdin().lock();
            interactive(session, stdin, &mut io::stdout())
                .map_err(|failure| failure.message().to_string())
        }
        Some(Command::List) => {
            let names = session.list().map_err(message("cannot list".into()))?;
            if names.is_empty() {
                eprintln!("(the library is empty)");
            }
            let mut out = io::stdout().lock();
            for name in names {
                let _ = writeln!(out, "{name}");
            }
            let _ = session.quit();
            Ok(())
        }
        Some(Command::Get { name, output }) => {
            let target = output.unwrap_or_else(|| PathBuf::from(&name));
            let size = session
                .get(&name, &target)
                .map_err(message(format!("cannot get {name:?}")))?;
            println!("downloaded {name} to {} ({size} bytes)", target.display());
            let _ = session.quit();
            Ok(())
        }
        Some(Command::Put { path }) => {
            let name = upload_name(&path).map_err(message(format!("cannot put {path:?}")))?;
            let size = session
                .put(&path, &name)
                .map_err(message(format!("cannot put {name:?}")))?;
            println!("uploaded {name} ({size} bytes)");
            let _ = session.quit();
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_addresses() {
        assert_eq!(full_address("9000"), "127.0.0.1:9000");
        assert_eq!(full_address("localhost"), "localhost:8080");
        assert_eq!(full_address("127.0.0.1:21"), "127.0.0.1:21");
        assert_eq!(full_address("[::1]:21"), "[::1]:21");
    }

    #[test]
    fn a_timeout_says_so() {
        // What a read on a socket whose SO_RCVTIMEO ran out returns.
        let timed_out = io::Error::from_raw_os_error(libc::EAGAIN);
        assert_eq!(
            Failure::from(timed_out).message(),
            "connection lost: no answer from the server for 60 s"
        );
        let reset = io::Error::from_raw_os_error(libc::ECONNRESET);
        assert_eq!(
            Failure::from(reset).message(),
            "connection lost: connection reset by peer"
        );
    }

    #[test]
    fn upload_names_drop_directories() {
        assert_eq!(upload_name(Path::new("/tmp/a b.txt")).unwrap(), "a b.txt");
        assert!(upload_name(Path::new("/")).is_err());
    }
}
