//! Lesson 10: Unix domain sockets (本地套接字) — sockets between programs on
//! the same machine, named by a path in the file system instead of an IP
//! address and a port.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::thread;
use std::time::Duration;

use examples::lesson_kit::{Program, heading, read_next, say};

use crate::LessonResult;
use crate::common_b::wait_until;

/// Runs the lesson.
pub fn run() -> LessonResult {
    say("AF_UNIX, SOCK_STREAM: the same accept/recv/send as TCP, but the address is");
    say("a file of type 's' (socket), and the bytes never touch the network stack.");
    let dir = tempfile::tempdir()?;

    framework_server(&dir.path().join("echo.sock"))?;
    raw_std(&dir.path().join("raw.sock"))?;

    read_next(
        "notes/10-unix-sockets.md",
        &[
            "examples/src/echo.rs (--transport unix: UnixStreamServer)",
            "framework/src/transport.rs (UnixStreamTransport: unlinks the file on close)",
            "examples/src/bin/lesson/l10_unix_sockets.rs (the raw std version)",
        ],
    );
    Ok(())
}

/// `echo-server --transport unix PATH`: the framework's UnixStreamServer.
fn framework_server(path: &Path) -> LessonResult {
    heading("The framework: echo-server --transport unix");
    let path_arg = path.to_string_lossy().into_owned();
    let server = Program::server(
        "unix-server",
        "echo-server",
        &["--transport", "unix", "--model", "threading", &path_arg],
    )?;
    describe_file(path);

    let stream = UnixStream::connect(path)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    say(&format!(
        "client connected; its own address is {:?} (unnamed: clients need no file)",
        stream.local_addr()?.as_pathname()
    ));
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    for text in ["hello over a Unix socket", "no IP, no port, just a path"] {
        println!("[client] sends {text:?}");
        writeln!(writer, "{text}")?;
        let mut line = String::new();
        reader.read_line(&mut line)?;
        println!("[client] got   {:?}", line.trim_end());
    }
    drop((reader, writer));

    say("Stopping the server with Ctrl+C: the framework removes the socket file on close.");
    server.interrupt();
    let gone = wait_until(Duration::from_secs(5), || (!path.exists()).then_some(()));
    say(&format!(
        "after the server stopped: socket file exists = {}",
        path.exists()
    ));
    if gone.is_none() {
        return Err("the framework left its socket file behind".into());
    }
    Ok(())
}

/// The same with `std::os::unix::net` only, and the life of the socket file.
fn raw_std(path: &Path) -> LessonResult {
    heading("By hand with std: UnixListener and UnixStream");
    let listener = UnixListener::bind(path)?;
    say(&format!(
        "UnixListener::bind({}) created the file:",
        path.display()
    ));
    describe_file(path);

    let server = thread::spawn(move || -> std::io::Result<()> {
        let (stream, peer) = listener.accept()?;
        println!("[raw server] accepted a client, peer address {peer:?}");
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        println!("[raw server] received {:?}", line.trim_end());
        (&stream).write_all(line.to_uppercase().as_bytes())?;
        Ok(())
        // The listener is dropped here: the socket is closed, the FILE is not removed.
    });
    let mut client = UnixStream::connect(path)?;
    client.set_read_timeout(Some(Duration::from_secs(5)))?;
    println!("[raw client] sends \"shout this back\"");
    client.write_all(b"shout this back\n")?;
    let mut line = String::new();
    BufReader::new(&client).read_line(&mut line)?;
    println!("[raw client] got   {:?}", line.trim_end());
    server.join().map_err(|_| "the raw server panicked")??;

    say("The listener is closed, but std does not remove the socket file:");
    say(&format!("  socket file exists = {}", path.exists()));
    match UnixListener::bind(path) {
        Ok(_) => say("  binding again worked (unexpected on Linux)"),
        Err(err) => say(&format!(
            "  binding the same path again fails: {err} ({:?})",
            err.kind()
        )),
    }
    match UnixStream::connect(path) {
        Ok(_) => say("  connecting worked (unexpected: nobody listens)"),
        Err(err) => say(&format!("  connecting to the stale file fails: {err}")),
    }
    say("So a server unlinks a stale path before bind (Python: os.unlink if os.path.exists),");
    say("and removes its file when it stops, as the framework does.");
    std::fs::remove_file(path)?;
    let again = UnixListener::bind(path)?;
    say(&format!(
        "  after remove_file, bind works again: listening on {:?}",
        again.local_addr()?.as_pathname()
    ));
    drop(again);
    std::fs::remove_file(path)?;
    Ok(())
}

/// Prints the file's type the way `ls -l` shows it: `s` for a socket.
fn describe_file(path: &Path) {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => {
            let kind = if meta.file_type().is_socket() {
                "s (socket)"
            } else {
                "not a socket"
            };
            say(&format!(
                "  {}: file type {kind}, size {} bytes",
                path.display(),
                meta.len()
            ));
        }
        Err(err) => say(&format!("  {}: {err}", path.display())),
    }
}
