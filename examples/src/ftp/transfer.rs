//! Moving a file's bytes between a socket and a file without passing them
//! through the program's memory: `splice(2)` (or `sendfile(2)`) from a file
//! through a pipe to a socket, `splice(2)` from a socket through a pipe into
//! a file.
//!
//! A plain `read` + `write` loop copies every byte twice (kernel → our
//! buffer → kernel). `std::io::copy` would not help for file → socket: it
//! only uses these calls where it can keep `Read`/`Write` semantics, and a
//! file → socket copy is not one of them.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, OwnedFd};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, SpliceFFlags, fcntl, splice};

/// Bytes per `sendfile` call: small enough for a progress bar to move.
const SEND_CHUNK: usize = 1 << 20;

/// The pipe between socket and file during an upload (1 MiB, Linux's
/// default `pipe-max-size`). Pipes only hold references to pages.
const PIPE_SIZE: usize = 1 << 20;

/// Sends `size` bytes of `file`, from its start, to `socket` without
/// copying them through the program: `splice(2)` from the file into a 1 MiB
/// pipe and from the pipe into the socket, or `sendfile(2)` where the file
/// cannot be spliced. Calls `progress` with each step's byte count.
///
/// `sendfile` is the same mechanism with a pipe of its own, fixed at 64 KiB
/// inside the kernel; with our bigger pipe a 1 GiB download from tmpfs
/// over loopback measured 0.82–1.17× a plain read/write copy, against
/// 0.62–0.69× with `sendfile` (see notes/17-ftp-server.md).
///
/// If the file shrank since its size was announced, the promise cannot be
/// kept: an error comes back, and the caller must end the connection, so
/// that the peer sees a short body, never a wrong one.
pub fn send_file(
    socket: impl AsFd,
    file: &File,
    size: u64,
    mut progress: impl FnMut(u64),
) -> io::Result<()> {
    let mut offset: libc::off_t = 0;
    if let Ok((pipe_out, pipe_in)) = nix::unistd::pipe() {
        let _ = fcntl(&pipe_in, FcntlArg::F_SETPIPE_SZ(PIPE_SIZE as libc::c_int));
        let flags = SpliceFFlags::SPLICE_F_MOVE | SpliceFFlags::SPLICE_F_MORE;
        while (offset as u64) < size {
            let count = (size - offset as u64).min(PIPE_SIZE as u64) as usize;
            let n = match splice(file, Some(&mut offset), &pipe_in, None, count, flags) {
                Ok(0) => return Err(file_shrank()),
                Ok(n) => n,
                Err(Errno::EINTR) => continue,
                // This file system cannot splice: sendfile below does the rest.
                Err(Errno::EINVAL) if offset == 0 => break,
                Err(errno) => return Err(errno.into()),
            };
            let mut in_pipe = n;
            while in_pipe > 0 {
                match splice(&pipe_out, None, &socket, None, in_pipe, flags) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(moved) => in_pipe -= moved,
                    Err(Errno::EINTR) => {}
                    Err(errno) => return Err(errno.into()),
                }
            }
            progress(n as u64);
        }
    }
    while (offset as u64) < size {
        let count = (size - offset as u64).min(SEND_CHUNK as u64) as usize;
        match nix::sys::sendfile::sendfile(&socket, file, Some(&mut offset), count) {
            Ok(0) => return Err(file_shrank()),
            Ok(n) => progress(n as u64),
            Err(Errno::EINTR) => {}
            Err(errno) => return Err(errno.into()),
        }
    }
    Ok(())
}

fn file_shrank() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the file shrank while it was sent",
    )
}

/// Receives exactly `size` bytes from a connection into `file`.
///
/// `reader` is the connection's buffered reader (it may already hold the
/// first bytes) and `socket` the same connection's descriptor, which the
/// rest is spliced from once the buffer is empty.
///
/// The outer `Err` is a connection failure (the peer left, a timeout). The
/// inner one is a write failure (disk full, file too large): then the rest
/// of the bytes are still read and thrown away, so that the peer, which is
/// still sending, can read the reason, and the session stays in step.
pub fn receive_file(
    reader: &mut BufReader<impl Read>,
    socket: impl AsFd,
    file: &mut File,
    size: u64,
) -> io::Result<Result<(), io::Error>> {
    let mut left = size;
    let mut write_error = None;

    // First whatever the reader has buffered already.
    let buffered = reader.buffer();
    let now = buffered
        .len()
        .min(usize::try_from(left).unwrap_or(usize::MAX));
    if let Err(err) = file.write_all(&buffered[..now]) {
        write_error = Some(err);
    }
    reader.consume(now);
    left -= now as u64;

    // Then socket → pipe → file. Without a pipe, the plain loop below.
    if let (true, Ok((pipe_out, pipe_in))) = (write_error.is_none(), nix::unistd::pipe()) {
        // A bigger pipe means fewer calls; if the system refuses, the
        // default 64 KiB works too.
        let _ = fcntl(&pipe_in, FcntlArg::F_SETPIPE_SZ(PIPE_SIZE as libc::c_int));
        while left > 0 {
            let want = left.min(PIPE_SIZE as u64) as usize;
            let n = match splice(
                &socket,
                None,
                &pipe_in,
                None,
                want,
                SpliceFFlags::SPLICE_F_MOVE,
            ) {
                Ok(0) => return Err(peer_left(left, size)),
                Ok(n) => n,
                Err(Errno::EINTR) => continue,
                Err(errno) => return Err(errno.into()),
            };
            left -= n as u64;
            if let Err(err) = drain_pipe(&pipe_out, file, n) {
                write_error = Some(err);
                break;
            }
        }
    }

    // The plain way: for what is left after a write error (read and thrown
    // away), or when no pipe could be made.
    let mut buffer = vec![0u8; 64 * 1024];
    while left > 0 {
        let want = buffer
            .len()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = match reader.read(&mut buffer[..want]) {
            Ok(0) => return Err(peer_left(left, size)),
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if write_error.is_none() {
            if let Err(err) = file.write_all(&buffer[..n]) {
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

/// Moves `n` bytes from the pipe into the file. On a write error the bytes
/// still in the pipe are read out and dropped, so the pipe can be closed
/// cleanly, and the error is returned.
fn drain_pipe(pipe_out: &OwnedFd, file: &mut File, mut n: usize) -> io::Result<()> {
    while n > 0 {
        match splice(pipe_out, None, &*file, None, n, SpliceFFlags::SPLICE_F_MOVE) {
            Ok(0) => return Err(io::Error::other("splice into the file moved nothing")),
            Ok(moved) => n -= moved,
            Err(Errno::EINTR) => {}
            Err(errno) => {
                // The file system may not support splice (EINVAL): then
                // copy the rest of this pipe's bytes the plain way.
                let mut rest = vec![0u8; n];
                File::from(pipe_out.try_clone()?).read_exact(&mut rest)?;
                if errno == Errno::EINVAL {
                    return file.write_all(&rest);
                }
                return Err(errno.into());
            }
        }
    }
    Ok(())
}

fn peer_left(left: u64, size: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("the client left with {left} of {size} bytes unsent"),
    )
}
