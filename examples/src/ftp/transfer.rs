//! Moving a file's bytes between a socket and a file.
//!
//! Downloads go without passing through the program's memory: `splice(2)`
//! (or `sendfile(2)`) from the file through a pipe to the socket. A plain
//! `read` + `write` loop copies every byte twice (kernel → our buffer →
//! kernel). `std::io::copy` would not help for file → socket: it only uses
//! these calls where it can keep `Read`/`Write` semantics, and a file →
//! socket copy is not one of them.
//!
//! Uploads are read into a 1 MiB buffer and written: measured, that was as
//! fast as splicing socket → pipe → file (see [`receive_file`]).

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::os::fd::AsFd;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, SpliceFFlags, fcntl, splice};
use socket2::SockRef;

/// Bytes per `sendfile` call: small enough for a progress bar to move.
const SEND_CHUNK: u64 = 1 << 20;

/// The pipe between file and socket during a download (1 MiB, Linux's
/// default `pipe-max-size`). Pipes only hold references to pages.
const PIPE_SIZE: usize = 1 << 20;

/// The buffer an upload is read into: large reads mean few calls (also
/// the standard FTP server's, `rfc959::store`).
pub const RECEIVE_BUFFER: usize = 1 << 20;

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
/// The socket is corked (`TCP_CORK`, nginx's `tcp_nopush`) while the body
/// goes out, so that TCP sends only full segments: spliced page by page,
/// a body otherwise leaves in many part-filled ones (1 GiB over loopback:
/// about 26,000 data segments instead of the 16,400 it needs, measured with
/// `nstat TcpExtTCPOrigDataSent`). Uncorking at the end sends the tail.
///
/// If the file shrank since its size was announced, the promise cannot be
/// kept: an error comes back, and the caller must end the connection, so
/// that the peer sees a short body, never a wrong one.
pub fn send_file(
    socket: impl AsFd,
    file: &File,
    size: u64,
    progress: impl FnMut(u64),
) -> io::Result<()> {
    let _cork = Cork::new(&socket);
    send_file_from(&socket, file, 0, size, progress)
}

/// The most not-yet-sent bytes a download keeps queued in its socket
/// (see [`keep_unsent_short`]).
pub const UNSENT_LOW_WATER: u32 = 256 * 1024;

/// Makes a send on `socket` wait until fewer than [`UNSENT_LOW_WATER`]
/// bytes are queued and not yet sent (`TCP_NOTSENT_LOWAT`), instead of
/// filling the whole send buffer (up to 4 MiB here) ahead of the network.
///
/// Why it pays on a bulk download: with a deep queue, most segments are
/// sent when an ACK comes in, by the kernel's receive work on whichever
/// core took the ACK, on loopback the client's core. With a short queue
/// the sending thread itself keeps the data moving, on its own core. On
/// the 2-core machine of notes/17-ftp-server.md a 1 GiB `RETR` under the
/// machine's BBR went from 2.0–2.4 to 2.8–3.4 GB/s (256 KiB; 128 KiB did
/// nearly as well, 64 KiB and 16 KiB did not help); under Reno, where it
/// already ran at 12 GB/s, it changed nothing. Best effort: without the
/// option the download is only slower.
pub fn keep_unsent_short(socket: &impl AsFd) {
    let _ = SockRef::from(socket).set_tcp_notsent_lowat(UNSENT_LOW_WATER);
}

/// [`send_file`]'s loop (without the cork), from byte `start` of the file
/// up to byte `size`.
fn send_file_from(
    socket: impl AsFd,
    file: &File,
    start: u64,
    size: u64,
    mut progress: impl FnMut(u64),
) -> io::Result<()> {
    let start = libc::off_t::try_from(start).map_err(|_| io::ErrorKind::InvalidInput)?;
    let mut offset: libc::off_t = start;
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
                Err(Errno::EINVAL) if offset == start => break,
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
    sendfile_range(&socket, file, offset, size, SEND_CHUNK, progress)
}

/// Sends bytes `start..size` of `file` to a blocking `socket` with as few
/// `sendfile(2)` calls as the kernel allows: the kernel loops by itself,
/// and the call returns at the end, on a signal, on the socket's send
/// timeout, or when the socket is shut down (how an `ABOR` stops it). The
/// download of standard FTP (`REST start`, then `RETR`): no progress
/// along the way, since only the end is reported, and no cork, since the
/// data connection carries the file alone, with no header to merge into
/// the first segment (corked, a 1 GiB `RETR` to a client that reads at
/// kernel speed ran at a third of the uncorked speed or less).
///
/// Why not [`send_file`]'s 1 MiB splices through a pipe of our own: on
/// the second host of 2026-12-06 (notes/17-ftp-server.md), twenty 1 GiB `RETR`s
/// each way, taking turns, had medians of 3.6–5.8 GB/s this way against
/// 2.9–3.0 GB/s through the pipe. (On the morning's host one `sendfile`
/// had lost to the pipe, 1.5 against 2.2 GB/s: the figures are the
/// machine's.)
///
/// If the file shrank since its size was announced, an error comes back
/// and the caller must end the connection, as with [`send_file`].
pub fn send_whole_file_from(
    socket: impl AsFd,
    file: &File,
    start: u64,
    size: u64,
) -> io::Result<()> {
    let offset = libc::off_t::try_from(start).map_err(|_| io::ErrorKind::InvalidInput)?;
    sendfile_range(socket, file, offset, size, MOST_PER_SENDFILE, |_| {})
}

/// The most one `sendfile(2)` call moves on Linux, whatever is asked.
const MOST_PER_SENDFILE: u64 = 0x7fff_f000;

/// `sendfile(2)` from `offset` to `size`, at most `chunk` bytes per call,
/// calling `progress` after each: [`send_file`]'s fallback (1 MiB steps,
/// for a progress bar) and [`send_whole_file_from`] (as much as a call
/// takes).
fn sendfile_range(
    socket: impl AsFd,
    file: &File,
    mut offset: libc::off_t,
    size: u64,
    chunk: u64,
    mut progress: impl FnMut(u64),
) -> io::Result<()> {
    while (offset as u64) < size {
        let count = (size - offset as u64).min(chunk) as usize;
        match nix::sys::sendfile::sendfile(&socket, file, Some(&mut offset), count) {
            Ok(0) => return Err(file_shrank()),
            Ok(n) => progress(n as u64),
            Err(Errno::EINTR) => {}
            Err(errno) => return Err(errno.into()),
        }
    }
    Ok(())
}

/// `TCP_CORK` on a socket for as long as this value lives: TCP holds back
/// part-filled segments until they are full, and sends what is left when
/// the cork comes off (here, on drop, whether the body was sent or not).
/// On a socket that is not TCP, nothing happens.
struct Cork<'a> {
    socket: SockRef<'a>,
    corked: bool,
}

impl<'a> Cork<'a> {
    fn new(socket: &'a impl AsFd) -> Cork<'a> {
        let socket = SockRef::from(socket);
        // Best effort: without the cork the body still arrives whole.
        let corked = socket.set_tcp_cork(true).is_ok();
        Cork { socket, corked }
    }
}

impl Drop for Cork<'_> {
    fn drop(&mut self) {
        if self.corked {
            let _ = self.socket.set_tcp_cork(false);
        }
    }
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
/// first bytes); with its buffer empty, a large read goes straight to the
/// socket. Splicing socket → pipe → file would save one copy, but measured
/// it was no faster than this loop at its best and swung more from run to
/// run (0.4 to 2.5 s for 1 GiB; a pipe also keeps the received packets, and
/// the socket's receive window with them, until they reach the file). The
/// plain loop is the one a reader can follow.
///
/// The outer `Err` is a connection failure (the peer left, a timeout). The
/// inner one is a write failure (disk full, file too large): then the rest
/// of the bytes are still read and thrown away, so that the peer, which is
/// still sending, can read the reason, and the session stays in step.
pub fn receive_file(
    reader: &mut BufReader<impl Read>,
    file: &mut File,
    size: u64,
) -> io::Result<Result<(), io::Error>> {
    let mut left = size;
    let mut write_error = None;
    let mut buffer = vec![0u8; RECEIVE_BUFFER.min(usize::try_from(size).unwrap_or(usize::MAX))];
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

fn peer_left(left: u64, size: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("the client left with {left} of {size} bytes unsent"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::os::unix::net::UnixStream;
    use std::thread;
    use std::time::{Duration, Instant};

    #[test]
    fn a_download_socket_keeps_its_unsent_queue_short() {
        let (socket, _peer) = loopback_pair();
        let before = SockRef::from(&socket).tcp_notsent_lowat().unwrap();
        keep_unsent_short(&socket);
        let after = SockRef::from(&socket).tcp_notsent_lowat().unwrap();
        assert_ne!(
            before, UNSENT_LOW_WATER,
            "the default is not the low water mark"
        );
        assert_eq!(after, UNSENT_LOW_WATER);
    }

    /// A file of `size` bytes that do not repeat every page.
    fn sample_file(size: usize) -> (tempfile::NamedTempFile, Vec<u8>) {
        let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&bytes).unwrap();
        (file, bytes)
    }

    fn loopback_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (server, client)
    }

    /// Reads everything until the peer closes, in a thread (the body is
    /// larger than the socket buffers).
    fn read_all_in_thread(mut reader: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
        thread::spawn(move || {
            let mut received = Vec::new();
            reader.read_to_end(&mut received).unwrap();
            received
        })
    }

    #[test]
    fn a_body_goes_out_corked_and_the_cork_comes_off_after() {
        let (sender, receiver) = loopback_pair();
        let reading = read_all_in_thread(receiver);
        let (file, bytes) = sample_file(3 << 20);
        let mut corked_during = Vec::new();
        send_file(&sender, file.as_file(), bytes.len() as u64, |_| {
            corked_during.push(SockRef::from(&sender).tcp_cork().unwrap());
        })
        .unwrap();
        assert!(!SockRef::from(&sender).tcp_cork().unwrap());
        drop(sender);
        assert!(corked_during.len() >= 3, "{corked_during:?}");
        assert!(corked_during.iter().all(|&corked| corked));
        assert!(reading.join().unwrap() == bytes);
    }

    #[test]
    fn a_download_from_an_offset_is_not_corked_and_starts_there() {
        let (sender, receiver) = loopback_pair();
        let reading = read_all_in_thread(receiver);
        let (file, bytes) = sample_file(3 << 20);
        let mut corked_during = Vec::new();
        let size = bytes.len() as u64;
        send_file_from(&sender, file.as_file(), 1000, size, |_| {
            corked_during.push(SockRef::from(&sender).tcp_cork().unwrap());
        })
        .unwrap();
        drop(sender);
        assert!(!corked_during.is_empty() && !corked_during.contains(&true));
        assert!(reading.join().unwrap() == bytes[1000..]);
    }

    #[test]
    fn the_cork_comes_off_when_the_file_shrank() {
        let (sender, receiver) = loopback_pair();
        let reading = read_all_in_thread(receiver);
        let (file, bytes) = sample_file(10);
        let err = send_file(&sender, file.as_file(), 20, |_| {}).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(!SockRef::from(&sender).tcp_cork().unwrap());
        drop(sender);
        assert_eq!(reading.join().unwrap(), bytes);
    }

    #[test]
    fn the_sendfile_fallback_sends_the_rest_and_sees_a_shrunk_file() {
        // Taking over after 100,000 bytes went by splice, as send_file does.
        let (sender, receiver) = loopback_pair();
        let reading = read_all_in_thread(receiver);
        let (file, bytes) = sample_file(3 << 20);
        let mut steps = 0;
        let size = bytes.len() as u64;
        sendfile_range(&sender, file.as_file(), 100_000, size, SEND_CHUNK, |_| {
            steps += 1
        })
        .unwrap();
        drop(sender);
        assert!(steps >= 3, "1 MiB per step: {steps}");
        assert!(reading.join().unwrap() == bytes[100_000..]);

        let (sender, receiver) = loopback_pair();
        let reading = read_all_in_thread(receiver);
        let err = sendfile_range(
            &sender,
            file.as_file(),
            0,
            (3 << 20) + 1,
            SEND_CHUNK,
            |_| {},
        )
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        drop(sender);
        assert!(reading.join().unwrap() == bytes);
    }

    #[test]
    fn a_whole_file_download_starts_at_its_offset_and_sees_a_shrunk_file() {
        let (sender, receiver) = loopback_pair();
        let reading = read_all_in_thread(receiver);
        let (file, bytes) = sample_file(3 << 20);
        send_whole_file_from(&sender, file.as_file(), 1000, bytes.len() as u64).unwrap();
        drop(sender);
        assert!(reading.join().unwrap() == bytes[1000..]);

        let (sender, receiver) = loopback_pair();
        let reading = read_all_in_thread(receiver);
        let err = send_whole_file_from(&sender, file.as_file(), 0, (3 << 20) + 1).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        drop(sender);
        assert!(reading.join().unwrap() == bytes);
    }

    #[test]
    fn a_whole_file_download_ends_when_its_socket_is_shut_down() {
        // What ABOR does: the client reads nothing, the send blocks in the
        // kernel, and a shutdown from another thread must end it.
        let (sender, _silent_receiver) = loopback_pair();
        // A bound on the test: without the shutdown the send would end by
        // this timeout instead, with another error than a broken pipe.
        sender
            .set_write_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let (file, bytes) = sample_file(64 << 20);
        let shutter = sender.try_clone().unwrap();
        let stopping = thread::spawn(move || {
            // Once bytes wait in the send queue the send has begun (and
            // soon blocks: nobody reads them).
            let deadline = Instant::now() + Duration::from_secs(10);
            while queued_bytes(&shutter) == 0 && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(5));
            }
            shutter.shutdown(std::net::Shutdown::Both).unwrap();
        });
        let err = send_whole_file_from(&sender, file.as_file(), 0, bytes.len() as u64)
            .expect_err("a shut-down socket cannot take the whole file");
        stopping.join().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
    }

    /// Bytes in `socket`'s send queue, sent or not, not yet acknowledged
    /// (`SIOCOUTQ`, which is `TIOCOUTQ`).
    fn queued_bytes(socket: &TcpStream) -> libc::c_int {
        let mut queued: libc::c_int = 0;
        // SAFETY: this ioctl writes one int into `queued`.
        let rc = unsafe {
            libc::ioctl(
                std::os::fd::AsRawFd::as_raw_fd(socket),
                libc::TIOCOUTQ,
                &mut queued,
            )
        };
        assert_eq!(rc, 0);
        queued
    }

    #[test]
    fn a_unix_socket_takes_a_body_without_a_cork() {
        let (sender, receiver) = UnixStream::pair().unwrap();
        let reading = read_all_in_thread(receiver);
        let (file, bytes) = sample_file(300_000);
        send_file(&sender, file.as_file(), bytes.len() as u64, |_| {}).unwrap();
        drop(sender);
        assert!(reading.join().unwrap() == bytes);
    }
}
