//! Uploads (`STOR`, `APPE`, `STOU`, `REST` + `STOR`) that appear whole or
//! not at all.
//!
//! As in the course's library, the bytes go to a hidden temporary file
//! (`.upload-XXXXXX`) in the target's own directory, renamed to its name
//! only when the client has sent everything: `rename` is atomic, so the
//! name always points to a whole file, the old one or the new one. A
//! broken upload (the client vanished, a reset, a timeout, a full disk,
//! `ABOR`) drops the temporary file, and nothing of it was ever visible.
//!
//! Standard FTP changes two things. The size is not sent before the
//! bytes: the end of the data connection marks the end of the file. And
//! `STOR` replaces an existing file (RFC 959), where the course's `P`
//! refused; `STOU` never replaces. Appending (`APPE`) and resuming
//! (`REST n` then `STOR`) copy the existing file's bytes (all of them, or
//! the first `n`) into the temporary file first, then add what arrives:
//! the old file stays whole and readable until the new one replaces it.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, SpliceFFlags, fcntl, splice};
use tempfile::NamedTempFile;

use crate::ftp::describe;
use crate::ftp::library::UPLOAD_PREFIX;
use crate::ftp::transfer::RECEIVE_BUFFER;

/// What kind of upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `STOR`: a new file, or a new version of one.
    Replace,
    /// `REST n` then `STOR`: keep the first `n` bytes, add the rest.
    Resume(u64),
    /// `APPE`: keep the whole file, add to its end.
    Append,
    /// `STOU`: a new file under a name no file has yet.
    Unique,
}

/// A refusal before any byte moved: a reply code and its text.
pub type Refusal = (u16, String);

/// An upload in progress.
#[derive(Debug)]
pub struct Store {
    temp: NamedTempFile,
    dir: PathBuf,
    name: String,
    mode: Mode,
    /// Bytes of the old file still to copy in first (APPE, REST + STOR).
    keep: u64,
}

impl Store {
    /// Starts an upload of `name` in directory `dir` (already checked by
    /// `path`): refuses a name held by something else than a regular file,
    /// a resume point past the end, then creates the temporary file. The
    /// old bytes an APPE or a resume keeps are copied in by
    /// [`keep_old_bytes`](Self::keep_old_bytes), which may take a while.
    pub fn begin(dir: &Path, name: &str, mode: Mode) -> Result<Store, Refusal> {
        let target = dir.join(name);
        let existing = match std::fs::symlink_metadata(&target) {
            Ok(meta) if !meta.is_file() && mode != Mode::Unique => {
                return Err((550, "Not a regular file.".to_string()));
            }
            Ok(meta) => Some(meta.len()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => None,
            Err(err) => return Err((550, format!("Cannot store it: {}.", describe(&err)))),
        };
        let keep = match (mode, existing) {
            (Mode::Resume(n), Some(len)) if n > len => {
                return Err((
                    554,
                    format!("Invalid REST parameter: the file has {len} bytes."),
                ));
            }
            (Mode::Resume(n), None) if n > 0 => {
                return Err((554, "Invalid REST parameter: no such file.".to_string()));
            }
            (Mode::Resume(n), _) => n,
            (Mode::Append, Some(len)) => len,
            _ => 0,
        };
        let temp = tempfile::Builder::new()
            .prefix(UPLOAD_PREFIX)
            .tempfile_in(dir)
            .map_err(|err| (451, format!("Cannot store it: {}.", describe(&err))))?;
        Ok(Store {
            temp,
            dir: dir.to_path_buf(),
            name: name.to_string(),
            mode,
            keep,
        })
    }

    /// Copies the old file's bytes that APPE (all) or REST + STOR (the
    /// first `n`) keep into the temporary file; nothing for the others.
    /// Called before any new byte is received.
    pub fn keep_old_bytes(&mut self) -> Result<(), Refusal> {
        let keep = std::mem::take(&mut self.keep);
        if keep == 0 {
            return Ok(());
        }
        copy_start(&self.dir.join(&self.name), keep, self.temp.as_file_mut())
            .map_err(|err| (451, format!("Cannot store it: {}.", describe(&err))))
    }

    /// The name `STOU` will most likely give: the first of `NAME`,
    /// `NAME.1`, `NAME.2` ... that is free now (the rename decides).
    pub fn unique_name(dir: &Path, name: &str) -> String {
        (0..1000)
            .map(|n| candidate(name, n))
            .find(|c| std::fs::symlink_metadata(dir.join(c)).is_err())
            .unwrap_or_else(|| name.to_string())
    }

    /// The temporary file the bytes go to.
    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Gives the whole file its name and returns that name (for `STOU`, the
    /// one chosen here). Dropping a `Store` instead deletes the bytes.
    pub fn finish(self) -> Result<String, String> {
        // tempfile creates files readable by the owner only; a served file
        // is readable by all, like one copied in with `cp`.
        let _ = self
            .temp
            .as_file()
            .set_permissions(Permissions::from_mode(0o644));
        if self.mode != Mode::Unique {
            return match self.temp.persist(self.dir.join(&self.name)) {
                Ok(_) => Ok(self.name),
                Err(err) => Err(format!("Cannot store it: {}.", describe(&err.error))),
            };
        }
        // STOU: NAME, then NAME.1, NAME.2 ... whichever is free when the
        // rename happens (`persist_noclobber` never replaces).
        let mut temp = self.temp;
        for n in 0..1000 {
            let name = candidate(&self.name, n);
            match temp.persist_noclobber(self.dir.join(&name)) {
                Ok(_) => return Ok(name),
                Err(err) if err.error.kind() == io::ErrorKind::AlreadyExists => temp = err.file,
                Err(err) => return Err(format!("Cannot store it: {}.", describe(&err.error))),
            }
        }
        Err("Cannot store it: no unique name found.".to_string())
    }
}

/// `STOU`'s `n`th try: `NAME`, then `NAME.1`, `NAME.2` ...
fn candidate(name: &str, n: u32) -> String {
    match n {
        0 => name.to_string(),
        n => format!("{name}.{n}"),
    }
}

/// Copies the first `n` bytes of `target` (not a symlink) into `into`.
fn copy_start(target: &Path, n: u64, into: &mut File) -> io::Result<()> {
    let source = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(target)?;
    let copied = io::copy(&mut source.take(n), into)?;
    if copied != n {
        return Err(io::Error::other("the file shrank"));
    }
    Ok(())
}

/// Why [`receive`] stopped before the end of the data connection.
#[derive(Debug)]
pub enum Broken {
    /// The data connection failed (a reset, a timeout).
    Connection(io::Error),
    /// Writing the file failed (no space, a file too large).
    Write(io::Error),
}

/// The pipe an upload passes through (Linux's default `pipe-max-size`):
/// each `splice` moves up to this much.
const PIPE_SIZE: usize = 1 << 20;

/// How many received bytes wake a waiting upload (see [`gather_before_waking`]).
const RECEIVE_LOW_WATER: libc::c_int = 128 * 1024;

/// Makes a wait for the upload's bytes end only once [`RECEIVE_LOW_WATER`]
/// bytes have come, or the end, or the data timeout with what has come
/// (`SO_RCVLOWAT`; neither socket2 nor nix has it). Fewer, larger wake-ups
/// mean fewer rounds of receive and ACK on the server's core: measured
/// under this machine's BBR (notes/17-ftp-server.md), a 1 GiB STOR went
/// from 1.86–2.29 to 2.05–2.58 GB/s; 256 KiB did no better and 512 KiB
/// worse; under Reno it changed nothing. A client that trickles a few
/// bytes at a time is still served: the wait gives up what it has at the
/// timeout (a test below). Best effort, like the other socket options.
fn gather_before_waking(data: &TcpStream) {
    let value = RECEIVE_LOW_WATER;
    // SAFETY: `setsockopt` reads `size_of::<c_int>()` bytes from a pointer
    // to a live local `c_int`, on a descriptor `data` keeps open.
    unsafe {
        libc::setsockopt(
            data.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            (&raw const value).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// Copies everything from `data` into `file` until the data connection
/// ends; returns the byte count.
///
/// By `splice(2)`: socket → pipe moves the received packets' pages
/// without copying them, pipe → file copies them once into the file. A
/// `read` + `write` loop copies every byte twice (kernel → our buffer →
/// file). Measured on this project's machine, 1 GiB over loopback into
/// tmpfs: 480–520 MB/s spliced against 230–270 MB/s with a 1 MiB buffer
/// (notes/17-ftp-server.md). Where the file cannot be spliced into, the
/// loop does the rest.
pub fn receive(data: &TcpStream, file: &mut File) -> Result<u64, Broken> {
    gather_before_waking(data);
    let mut total = 0u64;
    if let Ok((pipe_out, pipe_in)) = nix::unistd::pipe() {
        let _ = fcntl(&pipe_in, FcntlArg::F_SETPIPE_SZ(PIPE_SIZE as libc::c_int));
        let flags = SpliceFFlags::SPLICE_F_MOVE | SpliceFFlags::SPLICE_F_MORE;
        loop {
            let n = match splice(data, None, &pipe_in, None, PIPE_SIZE, flags) {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                Err(Errno::EINTR) => continue,
                Err(errno) => return Err(Broken::Connection(errno.into())),
            };
            let mut in_pipe = n;
            while in_pipe > 0 {
                match splice(&pipe_out, None, &*file, None, in_pipe, flags) {
                    Ok(0) => return Err(Broken::Write(io::ErrorKind::WriteZero.into())),
                    Ok(moved) => in_pipe -= moved,
                    Err(Errno::EINTR) => {}
                    // This file system cannot be spliced into: write what
                    // the pipe holds, and the loop below does the rest.
                    Err(Errno::EINVAL) if in_pipe == n => {
                        let mut held = vec![0u8; in_pipe];
                        let mut pipe = File::from(pipe_out.try_clone().map_err(Broken::Write)?);
                        pipe.read_exact(&mut held).map_err(Broken::Write)?;
                        file.write_all(&held).map_err(Broken::Write)?;
                        total += n as u64;
                        return receive_by_copying(&mut &*data, file, total);
                    }
                    Err(errno) => return Err(Broken::Write(errno.into())),
                }
            }
            total += n as u64;
        }
    }
    receive_by_copying(&mut &*data, file, total)
}

/// [`receive`] with `read` and `write`, `total` bytes already received.
fn receive_by_copying(
    data: &mut impl Read,
    file: &mut File,
    mut total: u64,
) -> Result<u64, Broken> {
    let mut buffer = vec![0u8; RECEIVE_BUFFER];
    loop {
        let n = match data.read(&mut buffer) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(Broken::Connection(err)),
        };
        file.write_all(&buffer[..n]).map_err(Broken::Write)?;
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replace_resume_append_unique() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a"), b"old").unwrap();
        let mut s = Store::begin(d, "a", Mode::Replace).unwrap();
        s.file().write_all(b"new!").unwrap();
        assert_eq!(std::fs::read(d.join("a")).unwrap(), b"old");
        assert_eq!(s.finish().unwrap(), "a");
        assert_eq!(std::fs::read(d.join("a")).unwrap(), b"new!");

        let mut s = Store::begin(d, "a", Mode::Resume(2)).unwrap();
        s.keep_old_bytes().unwrap();
        s.file().write_all(b"W").unwrap();
        s.finish().unwrap();
        assert_eq!(std::fs::read(d.join("a")).unwrap(), b"neW");
        assert_eq!(Store::begin(d, "a", Mode::Resume(4)).unwrap_err().0, 554);

        let mut s = Store::begin(d, "a", Mode::Append).unwrap();
        s.keep_old_bytes().unwrap();
        s.file().write_all(b"++").unwrap();
        s.finish().unwrap();
        assert_eq!(std::fs::read(d.join("a")).unwrap(), b"neW++");

        let s = Store::begin(d, "a", Mode::Unique).unwrap();
        assert_eq!(s.finish().unwrap(), "a.1");
        assert_eq!(names(d), ["a", "a.1"]);
    }

    /// A connected TCP pair on loopback: (the server's end, the client's).
    fn loopback_pair() -> (TcpStream, TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (server, client)
    }

    #[test]
    fn receive_takes_everything_until_the_end() {
        let (server, mut client) = loopback_pair();
        // More than one pipe's worth, not a multiple of a page.
        let bytes: Vec<u8> = (0..3_000_001u32).map(|i| (i % 251) as u8).collect();
        let sent = bytes.clone();
        let sender = std::thread::spawn(move || client.write_all(&sent));
        let mut file = tempfile::tempfile().unwrap();
        assert_eq!(receive(&server, &mut file).unwrap(), bytes.len() as u64);
        sender.join().unwrap().unwrap();
        let mut back = Vec::new();
        use std::io::Seek;
        file.rewind().unwrap();
        file.read_to_end(&mut back).unwrap();
        assert!(back == bytes, "the file differs from what was sent");
    }

    #[test]
    fn a_trickle_below_the_low_water_mark_is_still_received() {
        let (server, mut client) = loopback_pair();
        // The data timeout: each wait gives up what it has after 300 ms.
        server
            .set_read_timeout(Some(std::time::Duration::from_millis(300)))
            .unwrap();
        // Ten bytes every 100 ms for 800 ms, far below the low water mark:
        // the upload lasts longer than one timeout, yet moves a byte well
        // within each, so it must come through whole.
        let sender = std::thread::spawn(move || -> io::Result<()> {
            for i in 0..8u8 {
                client.write_all(&[b'a' + i; 10])?;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Ok(())
        });
        let mut file = tempfile::tempfile().unwrap();
        assert_eq!(receive(&server, &mut file).unwrap(), 80);
        sender.join().unwrap().unwrap();
        let mut back = Vec::new();
        use std::io::Seek;
        file.rewind().unwrap();
        file.read_to_end(&mut back).unwrap();
        let sent: Vec<u8> = (0..8u8).flat_map(|i| [b'a' + i; 10]).collect();
        assert_eq!(back, sent);
    }

    #[test]
    fn a_dropped_upload_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::begin(dir.path(), "b", Mode::Replace).unwrap();
        s.file().write_all(b"half").unwrap();
        drop(s);
        assert!(names(dir.path()).is_empty());
        std::fs::create_dir(dir.path().join("d")).unwrap();
        assert_eq!(
            Store::begin(dir.path(), "d", Mode::Replace).unwrap_err().0,
            550
        );
    }
}
