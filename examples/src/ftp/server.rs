//! The FTP-style file server: a request handler on the framework.
//!
//! ```text
//! ftp-server [--bind ADDR] [--directory DIR] [--model threading|forking|sequential]
//!            [--max-children N] [--timeout SECS] [PORT]
//! ```
//!
//! One connection is one client session: the handler reads request lines
//! until `Q` or until the client goes away, answering each one. The
//! concurrency (a thread or a child process per client) is the framework's
//! business, chosen with `--model`; this file only knows one client.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use framework::{Connection, RequestHandler, ServerOptions, StreamRequest, TcpTransport};

use super::describe;
use super::library::{Library, Upload};
use super::protocol::{DEFAULT_PORT, LineError, MAX_LINE, Reply, Request, read_line};
use crate::serving::{self, ModelArgs};

/// Serve a directory to `ftp-client`s: list, download, upload.
#[derive(Parser)]
#[command(name = "ftp-server", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// The library: the directory whose files are served.
    #[arg(long, default_value = ".")]
    directory: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    /// Seconds a client may stay silent (or not read) before it is dropped.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Port to listen on (0 picks a free one).
    #[arg(default_value_t = DEFAULT_PORT)]
    port: u16,
}

/// How many bytes an upload reads from the socket at a time. Allocated only
/// while an upload runs, so an idle connection costs no more than the
/// framework's 8 KiB read buffer.
const UPLOAD_CHUNK: usize = 256 * 1024;

/// Serves one client: a session of requests on one connection.
pub struct FtpHandler {
    library: Arc<Library>,
    timeout: Option<Duration>,
}

impl FtpHandler {
    /// A handler serving `library`; a client silent for longer than
    /// `timeout` is disconnected (`None`: never).
    pub fn new(library: Arc<Library>, timeout: Option<Duration>) -> FtpHandler {
        FtpHandler { library, timeout }
    }
}

impl RequestHandler<StreamRequest> for FtpHandler {
    fn setup(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        // Without a timeout, a client that connects and says nothing would
        // hold its thread (or process) forever.
        request.set_timeout(self.timeout)?;
        // Replies are small writes followed by more writes (a header, then
        // the file); Nagle's algorithm would hold the second one back until
        // the client acknowledges the first, up to 40 ms each time.
        request.set_nodelay(true)
    }

    fn handle(&mut self, request: &mut StreamRequest) -> io::Result<()> {
        // Network failures (a reset, a timeout, a client that vanished
        // mid-upload) are part of a server's normal life: log one line and
        // end the session, instead of an error report.
        if let Err(err) = self.session(request) {
            log(request, &format!("session ended: {}", describe(&err)));
        }
        Ok(())
    }
}

impl FtpHandler {
    /// Answers requests until `Q` or the end of the connection.
    fn session(&self, request: &mut StreamRequest) -> io::Result<()> {
        loop {
            let line = match read_line(&mut request.rfile, MAX_LINE) {
                Ok(Some(line)) => line,
                // The client closed the connection: the same as `Q`.
                Ok(None) => return Ok(()),
                Err(LineError::TooLong) => {
                    // We cannot find where the next request starts: say why
                    // and hang up.
                    let reason = format!("bad request: line longer than {MAX_LINE} bytes");
                    log(request, &reason);
                    return send_reply(&request.wfile, &Reply::Refused(reason));
                }
                Err(LineError::Truncated) => {
                    log(request, "closed in the middle of a request");
                    return Ok(());
                }
                Err(LineError::Io(err)) => return Err(err),
            };
            let what = String::from_utf8_lossy(&line).escape_debug().to_string();
            let reply = match Request::parse(&line) {
                Ok(Request::List) => self.list(request)?,
                Ok(Request::Get(name)) => self.get(request, &name)?,
                Ok(Request::Put { size, name }) => self.put(request, size, &name)?,
                Ok(Request::Quit) => {
                    log(request, "Q: goodbye");
                    return Ok(());
                }
                Err(reason) => {
                    send_reply(&request.wfile, &Reply::Refused(reason.clone()))?;
                    reason
                }
            };
            log(request, &format!("{what}: {reply}"));
        }
    }

    /// `L`: `OK size` and the names, each followed by LF, in one write.
    fn list(&self, request: &StreamRequest) -> io::Result<String> {
        let names = match self.library.list() {
            Ok(names) => names,
            Err(err) => return refuse(request, format!("cannot list: {}", describe(&err))),
        };
        let body: String = names.iter().map(|name| format!("{name}\n")).collect();
        let mut message = format!("{}\n", Reply::Ok(Some(body.len() as u64))).into_bytes();
        message.extend_from_slice(body.as_bytes());
        (&request.wfile).write_all(&message)?;
        Ok(format!("OK, {} files", names.len()))
    }

    /// `G name`: `OK size`, then exactly `size` bytes of the file.
    fn get(&self, request: &StreamRequest, name: &str) -> io::Result<String> {
        let (file, size) = match self.library.open_file(name) {
            Ok(found) => found,
            Err(reason) => return refuse(request, reason),
        };
        send_reply(&request.wfile, &Reply::Ok(Some(size)))?;
        send_file(&request.wfile, &file, size)?;
        Ok(format!("OK, sent {size} bytes"))
    }

    /// `P size name`: `OK` (go ahead) or a reason; after `OK` the client
    /// sends exactly `size` bytes, and a second reply says whether the file
    /// was stored.
    fn put(&self, request: &mut StreamRequest, size: u64, name: &str) -> io::Result<String> {
        let mut upload = match self.library.begin_upload(name, size) {
            Ok(upload) => upload,
            Err(reason) => return refuse(request, reason),
        };
        send_reply(&request.wfile, &Reply::Ok(None))?;
        // An error here is the connection's (the client is gone): returning
        // it drops `upload`, which deletes the temporary file.
        let stored = match receive(&mut request.rfile, &mut upload, size)? {
            Ok(()) => upload.finish(),
            Err(err) => Err(format!("upload failed: {}", describe(&err))),
        };
        match stored {
            Ok(()) => {
                send_reply(&request.wfile, &Reply::Ok(None))?;
                Ok(format!("OK, stored {size} bytes"))
            }
            Err(reason) => refuse(request, reason),
        }
    }
}

/// Sends a reason and returns it for the log.
fn refuse(request: &StreamRequest, reason: String) -> io::Result<String> {
    send_reply(&request.wfile, &Reply::Refused(reason.clone()))?;
    Ok(reason)
}

/// Writes one reply line.
fn send_reply(connection: &Connection, reply: &Reply) -> io::Result<()> {
    let mut out = connection;
    out.write_all(format!("{reply}\n").as_bytes())
}

/// Sends `size` bytes of `file` with `sendfile(2)`: the kernel copies from
/// the page cache to the socket, without passing through our memory.
/// (`std::io::copy` does not do this for a file to a socket.)
///
/// If the file shrank since its size was announced, the promise cannot be
/// kept; the connection is ended, so the client sees a short body, never
/// a wrong one.
fn send_file(connection: &Connection, file: &std::fs::File, size: u64) -> io::Result<()> {
    let mut offset: libc::off_t = 0;
    while (offset as u64) < size {
        let left = size - offset as u64;
        // Linux sends at most about 2 GiB per call; ask for 1 GiB at most.
        let count = left.min(1 << 30) as usize;
        match nix::sys::sendfile::sendfile(connection, file, Some(&mut offset), count) {
            Ok(0) => {
                let _ = connection.shutdown(Shutdown::Both);
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while it was sent",
                ));
            }
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {}
            Err(errno) => return Err(errno.into()),
        }
    }
    Ok(())
}

/// Reads exactly `size` bytes of an upload into its temporary file.
///
/// The outer `Err` is a connection failure. The inner one is a write failure
/// (disk full, file too large): then the rest of the bytes are still read
/// and thrown away, so that the reason reaches a client that is still
/// sending, and the session can go on.
fn receive(
    rfile: &mut impl Read,
    upload: &mut Upload,
    size: u64,
) -> io::Result<Result<(), io::Error>> {
    let mut buffer = vec![0u8; UPLOAD_CHUNK.min(size as usize)];
    let mut left = size;
    let mut write_error = None;
    while left > 0 {
        let want = buffer
            .len()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = match rfile.read(&mut buffer[..want]) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the client left with {left} of {size} bytes unsent"),
                ));
            }
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if write_error.is_none() {
            if let Err(err) = upload.file().write_all(&buffer[..n]) {
                write_error = Some(err);
            }
        }
        left -= n as u64;
    }
    Ok(match write_error {
        Some(err) => Err(err),
        None => Ok(()),
    })
}

/// One line of the server's log on stdout, naming the client. Errors are
/// ignored: a server must not die because nobody reads its log.
fn log(request: &StreamRequest, text: &str) {
    let _ = writeln!(io::stdout().lock(), "{} {text}", request.client_address);
}

/// The whole `ftp-server` program: parses `args` (the first is the program
/// name) and serves until Ctrl+C.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ftp-server: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let library = Library::open(&args.directory).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!(
                "cannot serve {}: {}",
                args.directory.display(),
                describe(&err)
            ),
        )
    })?;
    let what = format!("the file library {}", library.dir().display());
    let library = Arc::new(library);
    let timeout = (args.timeout > 0).then(|| Duration::from_secs(args.timeout));
    serving::run::<TcpTransport, _, _, _>(
        &args.model,
        (args.bind.as_str(), args.port),
        &ServerOptions::reuse_address(),
        &what,
        move || FtpHandler::new(Arc::clone(&library), timeout),
    )
}
