//! Directory listings in the three forms clients ask for.
//!
//! - `LIST`: lines like `ls -l`, for people (and the many clients that
//!   parse them: curl, lftp, FileZilla all read this format);
//! - `NLST`: names only, one per line;
//! - `MLSD`/`MLST` (RFC 3659): `fact=value;` pairs then the name, a
//!   format made for programs (no guessing at dates and columns).
//!
//! Every line ends with CRLF. Listed: regular files and directories.
//! Left out, as in the course's library: symlinks, special files, hidden
//! names (the server's own temporary uploads among them), names the
//! name check refuses.

use std::fs::{self, Metadata};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::clock::Utc;
use crate::ftp::protocol::name_problem;

/// Which listing format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// LIST: `ls -l` lines.
    Long,
    /// NLST: names.
    Names,
    /// MLSD: facts and names.
    Machine,
}

/// What a LIST, NLST or MLSD sends: a directory, read only when the
/// transfer runs, or one file's line, made at once.
///
/// Why later: on the event loop a transfer runs on a worker thread, and
/// reading a directory of many thousand entries (a `stat` each) takes a
/// while, which the loop's other sessions should not wait for.
#[derive(Debug)]
pub enum ToList {
    /// The entries of directory `dir` on disk, one line each in `form`.
    Directory {
        /// The directory on disk.
        dir: PathBuf,
        /// The lines' format.
        form: Form,
        /// Whether the server takes uploads (MLSD's `perm` fact says so).
        writable: bool,
    },
    /// A body already made.
    Made(Vec<u8>),
}

impl ToList {
    /// The listing's body; reads the directory if there is one to read.
    pub fn body(&self, now: SystemTime) -> io::Result<Vec<u8>> {
        match self {
            ToList::Directory {
                dir,
                form,
                writable,
            } => Ok(body(entries(dir)?.iter().map(|e| match form {
                Form::Long => ls_line(&e.name, &e.meta, now),
                Form::Names => e.name.clone(),
                Form::Machine => format!("{} {}", facts(&e.meta, *writable), e.name),
            }))),
            ToList::Made(bytes) => Ok(bytes.clone()),
        }
    }
}

/// One listed entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its name in the directory.
    pub name: String,
    /// Its metadata (not following links: a link is never listed).
    pub meta: Metadata,
}

/// The listed entries of directory `dir`, sorted by name.
pub fn entries(dir: &Path) -> io::Result<Vec<Entry>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        // DirEntry::metadata does not follow a symlink.
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if (meta.is_file() || meta.is_dir()) && name_problem(&name).is_none() {
            found.push(Entry { name, meta });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// One `LIST` line: `-rw-r--r-- 1 ftp ftp 13 Dec 05 22:44 hello.txt`.
/// Owner and group are always `ftp`, as vsftpd shows them: the server's
/// user names are nobody's business.
pub fn ls_line(name: &str, meta: &Metadata, now: SystemTime) -> String {
    let kind = if meta.is_dir() { 'd' } else { '-' };
    let mode = meta.permissions().mode();
    let mut perms = String::with_capacity(9);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        perms.push(if bits & 4 != 0 { 'r' } else { '-' });
        perms.push(if bits & 2 != 0 { 'w' } else { '-' });
        perms.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    let date = Utc::from(meta.modified().unwrap_or(SystemTime::UNIX_EPOCH)).ls_style(now);
    format!("{kind}{perms} 1 ftp ftp {:>12} {date} {name}", meta.len())
}

/// The facts of one `MLSD` line or `MLST` reply (RFC 3659 §7), ending in
/// `;`: `type=file;size=13;modify=20261205224400;perm=r;`. `perm` says
/// what this session may do: read (`r`) or list/enter (`el`), and with
/// `--writable` also append, delete, rename, write, create, make dir.
pub fn facts(meta: &Metadata, writable: bool) -> String {
    let modify = Utc::from(meta.modified().unwrap_or(SystemTime::UNIX_EPOCH)).compact();
    if meta.is_dir() {
        let perm = if writable { "elcdfmp" } else { "el" };
        format!("type=dir;modify={modify};perm={perm};")
    } else {
        let perm = if writable { "radfw" } else { "r" };
        format!("type=file;size={};modify={modify};perm={perm};", meta.len())
    }
}

/// A whole listing body, each line followed by CRLF.
pub fn body(lines: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut out = Vec::new();
    for line in lines {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The MLST facts names this server knows, for `FEAT` (all shown by default).
pub const MLST_FACTS: &str = "type*;size*;modify*;perm*;";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_files_and_folders_only() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("b.txt"), b"hello").unwrap();
        fs::write(dir.path().join(".hidden"), b"x").unwrap();
        fs::create_dir(dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("link")).unwrap();
        let names: Vec<String> = entries(dir.path())
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["a", "b.txt"]);
        let meta = fs::symlink_metadata(dir.path().join("b.txt")).unwrap();
        let line = ls_line("b.txt", &meta, SystemTime::now());
        assert!(line.starts_with("-rw"), "{line}");
        assert!(line.contains(" 1 ftp ftp            5 "), "{line}");
        assert!(line.ends_with(" b.txt"), "{line}");
        let f = facts(&meta, false);
        assert!(f.starts_with("type=file;size=5;modify="), "{f}");
        assert!(f.ends_with(";perm=r;"), "{f}");
    }

    #[test]
    fn a_directory_is_read_when_its_body_is_made_not_when_it_is_planned() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("early.txt"), b"1").unwrap();
        let plan = |form| ToList::Directory {
            dir: dir.path().to_path_buf(),
            form,
            writable: true,
        };
        let (names, machine) = (plan(Form::Names), plan(Form::Machine));
        fs::write(dir.path().join("late.txt"), b"22").unwrap();
        let now = SystemTime::now();
        assert_eq!(names.body(now).unwrap(), b"early.txt\r\nlate.txt\r\n");
        let text = String::from_utf8(machine.body(now).unwrap()).unwrap();
        assert!(text.contains("type=file;size=2;"), "{text}");
        assert!(text.ends_with(";perm=radfw; late.txt\r\n"), "{text}");

        // Gone by then: an error, which the transfer answers with 550.
        let gone = plan(Form::Long);
        drop(dir);
        assert!(gone.body(now).is_err());
    }
}
