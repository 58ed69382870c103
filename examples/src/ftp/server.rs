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

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::net::Shutdown;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use framework::{Address, Connection, RequestHandler, ServerOptions, StreamRequest, TcpTransport};

use super::describe;
use super::library::Library;
use super::protocol::{DEFAULT_PORT, LineError, MAX_LINE, Reply, Request, read_line};
use super::transfer::{receive_file, send_file};
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

/// Serves one client: a session of requests on one connection.
pub struct FtpHandler {
    library: Arc<Library>,
    timeout: Option<Duration>,
    /// Print a line per request on stdout (the server's log).
    log: bool,
}

impl FtpHandler {
    /// A handler serving `library`; a client silent for longer than
    /// `timeout` is disconnected (`None`: never).
    pub fn new(library: Arc<Library>, timeout: Option<Duration>) -> FtpHandler {
        FtpHandler {
            library,
            timeout,
            log: true,
        }
    }

    /// The same handler without its log (a fuzzer runs millions of sessions).
    pub fn quiet(self) -> FtpHandler {
        FtpHandler { log: false, ..self }
    }
}

/// Where a session's replies and downloaded files go: the client's
/// socket, or (to drive a session in memory, in a test or a fuzzer) bytes.
pub trait ReplySink: Write {
    /// Sends `size` bytes of `file` from its start.
    fn send_file(&mut self, file: &File, size: u64) -> io::Result<()>;
    /// Ends the connection at once (a body that cannot be completed).
    fn hang_up(&mut self);
}

impl ReplySink for &Connection {
    /// Without copying through the program (`splice`, see [`send_file`]).
    fn send_file(&mut self, file: &File, size: u64) -> io::Result<()> {
        send_file(*self, file, size, |_| {})
    }

    fn hang_up(&mut self) {
        let _ = self.shutdown(Shutdown::Both);
    }
}

impl ReplySink for Vec<u8> {
    /// Reads the file into the bytes; a file that shrank is an error, as
    /// on a socket.
    fn send_file(&mut self, file: &File, size: u64) -> io::Result<()> {
        let got = file.take(size).read_to_end(self)?;
        if (got as u64) < size {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }

    fn hang_up(&mut self) {}
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
        let (rfile, mut out) = (&mut request.rfile, &request.wfile);
        if let Err(err) = self.session(rfile, &mut out, &request.client_address) {
            // SO_RCVTIMEO/SO_SNDTIMEO running out shows as EAGAIN ("try
            // again"), which says nothing to the person reading the log.
            let why = match (err.kind(), self.timeout) {
                (io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut, Some(timeout)) => {
                    format!("timed out: the client did not send or read for {timeout:?}")
                }
                _ => describe(&err),
            };
            self.log(&request.client_address, &format!("session ended: {why}"));
        }
        Ok(())
    }
}

impl FtpHandler {
    /// Answers requests until `Q` or the end of the connection: the
    /// requests (and uploads) come from `rfile`, the replies (and
    /// downloads) go to `out`. On a server, `rfile` and `out` are the
    /// connection; in a test they may be bytes in memory.
    pub fn session(
        &self,
        rfile: &mut BufReader<impl Read>,
        out: &mut impl ReplySink,
        client: &Address,
    ) -> io::Result<()> {
        loop {
            let line = match read_line(rfile, MAX_LINE) {
                Ok(Some(line)) => line,
                // The client closed the connection: the same as `Q`.
                Ok(None) => return Ok(()),
                Err(LineError::TooLong) => {
                    // We cannot find where the next request starts: say why
                    // and hang up.
                    let reason = format!("bad request: {}", LineError::TooLong);
                    self.log(client, &reason);
                    return send_reply(out, &Reply::Refused(reason));
                }
                Err(LineError::Truncated) => {
                    self.log(client, "closed in the middle of a request");
                    return Ok(());
                }
                Err(LineError::Io(err)) => return Err(err),
            };
            let what = String::from_utf8_lossy(&line).escape_debug().to_string();
            let reply = match Request::parse(&line) {
                Ok(Request::List) => self.list(out)?,
                Ok(Request::Get(name)) => self.get(out, &name)?,
                Ok(Request::Put { size, name }) => self.put(rfile, out, size, &name)?,
                Ok(Request::Quit) => {
                    self.log(client, "Q: goodbye");
                    return Ok(());
                }
                Err(reason) => refuse(out, reason)?,
            };
            self.log(client, &format!("{what}: {reply}"));
        }
    }

    /// `L`: `OK size` and the names, each followed by LF, in one write.
    fn list(&self, out: &mut impl ReplySink) -> io::Result<String> {
        let names = match self.library.list() {
            Ok(names) => names,
            Err(err) => return refuse(out, format!("cannot list: {}", describe(&err))),
        };
        let body: String = names.iter().map(|name| format!("{name}\n")).collect();
        let mut message = format!("{}\n", Reply::Ok(Some(body.len() as u64))).into_bytes();
        message.extend_from_slice(body.as_bytes());
        out.write_all(&message)?;
        Ok(format!("OK, {} files", names.len()))
    }

    /// `G name`: `OK size`, then exactly `size` bytes of the file.
    fn get(&self, out: &mut impl ReplySink, name: &str) -> io::Result<String> {
        let (file, size) = match self.library.open_file(name) {
            Ok(found) => found,
            Err(reason) => return refuse(out, reason),
        };
        send_reply(out, &Reply::Ok(Some(size)))?;
        if let Err(err) = out.send_file(&file, size) {
            // The body cannot be completed: hang up, so the client sees a
            // short body rather than the next reply taken for file bytes.
            out.hang_up();
            return Err(err);
        }
        Ok(format!("OK, sent {size} bytes"))
    }

    /// `P size name`: `OK` (go ahead) or a reason; after `OK` the client
    /// sends exactly `size` bytes, and a second reply says whether the file
    /// was stored.
    fn put(
        &self,
        rfile: &mut BufReader<impl Read>,
        out: &mut impl ReplySink,
        size: u64,
        name: &str,
    ) -> io::Result<String> {
        let mut upload = match self.library.begin_upload(name, size) {
            Ok(upload) => upload,
            Err(reason) => return refuse(out, reason),
        };
        send_reply(out, &Reply::Ok(None))?;
        // An error here is the connection's (the client is gone): returning
        // it drops `upload`, which deletes the temporary file.
        let stored = match receive_file(rfile, upload.file(), size)? {
            Ok(()) => upload.finish(),
            Err(err) => {
                // Delete the temporary file before the client hears about it.
                drop(upload);
                Err(format!("upload failed: {}", describe(&err)))
            }
        };
        match stored {
            Ok(()) => {
                send_reply(out, &Reply::Ok(None))?;
                Ok(format!("OK, stored {size} bytes"))
            }
            Err(reason) => refuse(out, reason),
        }
    }

    /// One line of the server's log on stdout, naming the client. Errors
    /// are ignored: a server must not die because nobody reads its log.
    fn log(&self, client: &Address, text: &str) {
        if self.log {
            let _ = crate::serving::print_flushed(&format!("{client} {text}"));
        }
    }
}

/// Sends a reason and returns it for the log.
fn refuse(out: &mut impl Write, reason: String) -> io::Result<String> {
    send_reply(out, &Reply::Refused(reason.clone()))?;
    Ok(reason)
}

/// Writes one reply line.
fn send_reply(out: &mut impl Write, reply: &Reply) -> io::Result<()> {
    out.write_all(format!("{reply}\n").as_bytes())
}

/// The whole `ftp-server` program: parses `args` (the first is the program
/// name) and serves until Ctrl+C.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    crate::memory::give_memory_back();
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
    // Uploads cut short by a killed server (SIGKILL, a power cut) leave
    // their hidden temporary files; any not written to for an hour is stale.
    let removed = library.remove_stale_uploads(Duration::from_secs(3600));
    if removed > 0 {
        eprintln!("ftp-server: removed {removed} stale temporary upload file(s)");
    }
    let what = format!("the file library {}", library.dir().display());
    let library = Arc::new(library);
    let timeout = (args.timeout > 0).then(|| Duration::from_secs(args.timeout));
    let factory = move || FtpHandler::new(Arc::clone(&library), timeout);
    let address = (args.bind.as_str(), args.port);
    let options = ServerOptions::reuse_address();
    // Like Python's ThreadingHTTPServer: Ctrl+C stops the server at once
    // instead of waiting for every connected client to leave (an idle menu
    // client could take up to --timeout).
    let model = ModelArgs {
        daemon_threads: true,
        ..args.model.clone()
    };
    serving::run::<TcpTransport, _, _, _>(&model, address, &options, &what, factory)
}
