//! The served directory: what is listed, what may be read, and how an
//! upload becomes visible only once it is whole.
//!
//! Every refusal is returned as the reason text the client will see.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tempfile::NamedTempFile;

use super::describe;
use super::protocol::name_problem;

/// Uploads in progress are hidden files with this prefix, inside the
/// library: hidden, so the listing never shows them and no request can
/// name them; inside, so the final rename stays on one file system.
pub const UPLOAD_PREFIX: &str = ".upload-";

/// The directory a server serves, by its canonical path.
#[derive(Debug, Clone)]
pub struct Library {
    dir: PathBuf,
}

impl Library {
    /// Opens `dir` as a library. Its canonical path (symlinks resolved) is
    /// kept, so later names are always joined to the real directory.
    pub fn open(dir: &Path) -> io::Result<Library> {
        let dir = fs::canonicalize(dir)?;
        if !dir.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        }
        Ok(Library { dir })
    }

    /// The library's canonical path.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The names of the regular files, sorted. Hidden files, directories,
    /// symlinks (wherever they point), and names no request could ask for
    /// (control characters, not UTF-8) are left out.
    pub fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            // file_type() does not follow symlinks: a link is a link.
            let regular = entry.file_type().is_ok_and(|t| t.is_file());
            if regular && name_problem(&name).is_none() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Deletes temporary upload files not modified for `age`: left behind
    /// by a server that was killed mid-upload (a live upload writes
    /// continuously, or is dropped after the connection timeout). Returns
    /// how many were removed.
    pub fn remove_stale_uploads(&self, age: Duration) -> usize {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return 0;
        };
        let now = SystemTime::now();
        let mut removed = 0;
        for entry in entries.flatten() {
            if !entry
                .file_name()
                .to_string_lossy()
                .starts_with(UPLOAD_PREFIX)
            {
                continue;
            }
            // DirEntry::metadata does not follow a symlink: a link is no upload.
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            let stale = meta
                .modified()
                .is_ok_and(|modified| now.duration_since(modified).unwrap_or_default() > age);
            if meta.is_file() && stale && fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        removed
    }

    /// Opens a file to send and returns it with its size.
    ///
    /// The name has no `/` (see [`name_problem`]), so the path is the library
    /// plus one component; `O_NOFOLLOW` refuses that component if it is a
    /// symlink, so nothing outside the library is ever opened. `O_NONBLOCK`
    /// keeps a FIFO from blocking the open; it is refused just after.
    pub fn open_file(&self, name: &str) -> Result<(File, u64), String> {
        if let Some(problem) = name_problem(name) {
            return Err(format!("bad name: {problem}"));
        }
        let opened = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(self.dir.join(name));
        let file = match opened {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                return Err("no such file".to_string());
            }
            Err(err) if err.raw_os_error() == Some(libc::ELOOP) => {
                return Err("not a regular file".to_string());
            }
            Err(err) => return Err(format!("cannot open the file: {}", describe(&err))),
        };
        let metadata = file
            .metadata()
            .map_err(|err| format!("cannot open the file: {}", describe(&err)))?;
        if !metadata.is_file() {
            return Err("not a regular file".to_string());
        }
        Ok((file, metadata.len()))
    }

    /// Starts an upload of `size` bytes as `name`: refuses a bad or taken
    /// name and a size larger than the free space, else creates the hidden
    /// temporary file the bytes will go to.
    pub fn begin_upload(&self, name: &str, size: u64) -> Result<Upload, String> {
        if let Some(problem) = name_problem(name) {
            return Err(format!("bad name: {problem}"));
        }
        let target = self.dir.join(name);
        // symlink_metadata: a dangling symlink also takes the name.
        if fs::symlink_metadata(&target).is_ok() {
            return Err("file already exists".to_string());
        }
        if let Some(free) = free_space(&self.dir) {
            if size > free {
                return Err(format!(
                    "not enough space: {size} bytes asked, {free} bytes free"
                ));
            }
        }
        let temp = tempfile::Builder::new()
            .prefix(UPLOAD_PREFIX)
            .tempfile_in(&self.dir)
            .map_err(|err| format!("upload failed: {}", describe(&err)))?;
        Ok(Upload { temp, target })
    }
}

/// An upload in progress: bytes go to a hidden temporary file in the
/// library, which is deleted if the upload is dropped before
/// [`Upload::finish`] (client gone, write error, server error).
#[derive(Debug)]
pub struct Upload {
    temp: NamedTempFile,
    target: PathBuf,
}

impl Upload {
    /// The temporary file to write the bytes to.
    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Gives the complete file its name, in one step: the name points to
    /// the whole file or to nothing. If another upload took the name in
    /// the meantime, this one is refused and deleted (no overwrite).
    pub fn finish(self) -> Result<(), String> {
        // tempfile creates files readable by the owner only; a library
        // file is readable by all, like one copied in with `cp`.
        let _ = self
            .temp
            .as_file()
            .set_permissions(Permissions::from_mode(0o644));
        match self.temp.persist_noclobber(&self.target) {
            Ok(_) => Ok(()),
            Err(err) if err.error.kind() == io::ErrorKind::AlreadyExists => {
                Err("file already exists".to_string())
            }
            // err.file is dropped here, which deletes the temporary file.
            Err(err) => Err(format!("upload failed: {}", describe(&err.error))),
        }
    }
}

/// Bytes an unprivileged user may still write on the file system of `dir`.
fn free_space(dir: &Path) -> Option<u64> {
    let stats = nix::sys::statvfs::statvfs(dir).ok()?;
    Some((stats.blocks_available() as u64).saturating_mul(stats.fragment_size() as u64))
}
