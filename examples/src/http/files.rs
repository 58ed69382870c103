//! Opening files so that nothing outside the served directory can be reached.
//!
//! After `path.rs`, a path has no `..` left; but `docs/link` may still be a
//! symbolic link to `/etc`. Python's `http.server` follows it. We ask the
//! kernel instead: `openat2(root, path, RESOLVE_BENEATH)` opens the file only
//! if every step of the lookup, symbolic links included, stays below `root`
//! (Linux 5.6+). That is one system call, and it has no window between
//! "check" and "open" for someone to swap a directory for a link. On older
//! kernels we fall back to `canonicalize` and a prefix check.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::AtFlags;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag, openat2};
use nix::sys::stat::{FileStat, Mode, fstatat};

/// The served directory, kept open.
#[derive(Debug)]
pub struct Root {
    /// The directory's canonical path (for the fallback check and messages).
    pub path: PathBuf,
    fd: OwnedFd,
}

/// Flags for every open: read only; non-blocking so that a FIFO in the
/// tree cannot hang the thread; no controlling terminal; closed on exec.
fn open_flags() -> OFlag {
    OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC
}

impl Root {
    /// Opens `dir` as the root of everything served.
    pub fn open(dir: &Path) -> io::Result<Root> {
        let path = dir
            .canonicalize()
            .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", dir.display())))?;
        let fd = nix::fcntl::open(
            &path,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|err| {
            io::Error::new(
                io::Error::from(err).kind(),
                format!("{}: {err}", path.display()),
            )
        })?;
        Ok(Root { path, fd })
    }

    /// Opens `relative` (no leading `/`, no `..`) below the root. Fails with
    /// `NotFound`-like errors for a missing file and for any lookup that would
    /// leave the root.
    pub fn open_beneath(&self, relative: &[u8]) -> io::Result<File> {
        let how = OpenHow::new()
            .flags(open_flags())
            .resolve(ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_MAGICLINKS);
        match openat2(&self.fd, OsStr::from_bytes(relative), how) {
            Ok(fd) => Ok(File::from(fd)),
            // No openat2 (old kernel, or a sandbox that hides it).
            Err(Errno::ENOSYS | Errno::EPERM) => self.open_checked(relative),
            Err(err) => Err(err.into()),
        }
    }

    /// `fstatat` of `relative` below the root, not following a final
    /// symlink (for [`super::cache`], which compares it with a file it
    /// opened the checked way; nothing is opened or read here).
    pub fn stat_no_follow(&self, relative: &[u8]) -> io::Result<FileStat> {
        Ok(fstatat(
            &self.fd,
            OsStr::from_bytes(relative),
            AtFlags::AT_SYMLINK_NOFOLLOW,
        )?)
    }

    /// The portable way: resolve every link, then check the prefix. (A link
    /// swapped in between the two steps would escape; openat2 has no gap.)
    fn open_checked(&self, relative: &[u8]) -> io::Result<File> {
        let real = self.path.join(OsStr::from_bytes(relative)).canonicalize()?;
        if !real.starts_with(&self.path) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "outside the served directory",
            ));
        }
        let fd = nix::fcntl::open(&real, open_flags(), Mode::empty())?;
        Ok(File::from(fd))
    }
}
