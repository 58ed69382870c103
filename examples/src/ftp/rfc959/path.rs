//! Paths: what the client names, and where that is on disk.
//!
//! The client sees a tree whose root `/` is the served directory. A path
//! it sends is made absolute against the current directory and
//! normalized: `.` is dropped and `..` goes up, but never above `/` (as
//! under vsftpd's `chroot`, `CWD ../../..` from anywhere ends at `/`).
//! Every remaining component must pass the course library's name check
//! ([`name_problem`]: no hidden names, no control characters, at most 255
//! bytes...), so the path on disk is the root plus plain names only.
//!
//! Symlinks are never followed: each component is looked at with
//! `lstat`, and a link, wherever it points, is refused; the final file is
//! opened with `O_NOFOLLOW` as well. The one window left is a local user
//! swapping a checked directory for a link between the check and its use;
//! FTP clients themselves cannot create links.

use std::fs::{self, Metadata};
use std::io;
use std::path::{Path, PathBuf};

use crate::ftp::describe;
use crate::ftp::protocol::name_problem;

/// A normalized path inside the served tree: its components from the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VirtualPath {
    parts: Vec<String>,
}

impl VirtualPath {
    /// The root, `/`.
    pub fn root() -> VirtualPath {
        VirtualPath::default()
    }

    /// `arg` (absolute, or relative to `self`), normalized; an `Err` is
    /// the reason a component is refused.
    pub fn join(&self, arg: &str) -> Result<VirtualPath, String> {
        let mut parts = if arg.starts_with('/') {
            Vec::new()
        } else {
            self.parts.clone()
        };
        for part in arg.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                name => {
                    if let Some(problem) = name_problem(name) {
                        return Err(format!("bad name: {problem}"));
                    }
                    parts.push(name.to_string());
                }
            }
        }
        Ok(VirtualPath { parts })
    }

    /// The parent directory and the last name; `None` for the root.
    pub fn split_last(&self) -> Option<(VirtualPath, &str)> {
        let (last, parent) = self.parts.split_last()?;
        Some((
            VirtualPath {
                parts: parent.to_vec(),
            },
            last,
        ))
    }

    /// The last name (`/` for the root).
    pub fn name(&self) -> &str {
        self.parts.last().map_or("/", String::as_str)
    }

    /// True for `/`.
    pub fn is_root(&self) -> bool {
        self.parts.is_empty()
    }

    /// True if `self` is `other` or inside it.
    pub fn starts_with(&self, other: &VirtualPath) -> bool {
        self.parts.starts_with(&other.parts)
    }
}

impl std::fmt::Display for VirtualPath {
    /// `/a/b` as the client sees it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.parts.is_empty() {
            return f.write_str("/");
        }
        for part in &self.parts {
            write!(f, "/{part}")?;
        }
        Ok(())
    }
}

/// The served directory, by its canonical path.
#[derive(Debug, Clone)]
pub struct Root {
    dir: PathBuf,
}

impl Root {
    /// The served directory `dir` (symlinks in `dir` itself are resolved
    /// once, here, by the administrator's choice).
    pub fn open(dir: &Path) -> io::Result<Root> {
        let dir = fs::canonicalize(dir)?;
        if !dir.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        }
        Ok(Root { dir })
    }

    /// The served directory on disk.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where `path` is on disk, if it exists and neither it nor any
    /// directory on the way is a symlink; with its metadata (not followed).
    pub fn existing(&self, path: &VirtualPath) -> Result<(PathBuf, Metadata), String> {
        let mut disk = self.dir.clone();
        let mut meta = fs::symlink_metadata(&disk).map_err(|e| describe(&e))?;
        for (i, part) in path.parts.iter().enumerate() {
            if !meta.is_dir() {
                return Err("No such file or directory.".to_string());
            }
            disk.push(part);
            meta = match fs::symlink_metadata(&disk) {
                Ok(meta) => meta,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err("No such file or directory.".to_string());
                }
                Err(e) => return Err(format!("Cannot read it: {}.", describe(&e))),
            };
            if meta.file_type().is_symlink() {
                let what = if i + 1 == path.parts.len() {
                    ""
                } else {
                    " on the way"
                };
                return Err(format!("Symbolic link{what}: links are not followed."));
            }
        }
        Ok((disk, meta))
    }

    /// An existing directory on disk (see [`Root::existing`]).
    pub fn directory(&self, path: &VirtualPath) -> Result<PathBuf, String> {
        let (disk, meta) = self.existing(path)?;
        if !meta.is_dir() {
            return Err("Not a directory.".to_string());
        }
        Ok(disk)
    }

    /// For a name to create or replace: the parent directory on disk
    /// (which must exist) and the last name.
    pub fn parent_of<'p>(&self, path: &'p VirtualPath) -> Result<(PathBuf, &'p str), String> {
        let Some((parent, name)) = path.split_last() else {
            return Err("The root cannot be replaced.".to_string());
        };
        Ok((self.directory(&parent)?, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_dot_stops_at_the_root() {
        let cwd = VirtualPath::root().join("a/b").unwrap();
        assert_eq!(cwd.to_string(), "/a/b");
        assert_eq!(cwd.join("../c").unwrap().to_string(), "/a/c");
        assert_eq!(cwd.join("../../../../etc").unwrap().to_string(), "/etc");
        assert_eq!(cwd.join("/x//./y/").unwrap().to_string(), "/x/y");
        assert_eq!(cwd.join("..").unwrap().join("..").unwrap().to_string(), "/");
    }

    #[test]
    fn names_are_checked() {
        let root = VirtualPath::root();
        assert!(root.join(".hidden").is_err());
        assert!(root.join("a/.upload-x").is_err());
        assert!(root.join("a\\b").is_err());
        assert!(root.join("tab\there").is_err());
    }

    #[test]
    fn links_are_refused_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("d")).unwrap();
        fs::write(dir.path().join("d/f"), b"x").unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("etc")).unwrap();
        std::os::unix::fs::symlink("d", dir.path().join("d2")).unwrap();
        let root = Root::open(dir.path()).unwrap();
        let at = |p: &str| VirtualPath::root().join(p).unwrap();
        assert!(root.existing(&at("d/f")).is_ok());
        assert!(root.existing(&at("etc")).is_err());
        assert!(root.existing(&at("etc/passwd")).is_err());
        assert!(root.existing(&at("d2/f")).is_err());
        assert!(root.directory(&at("d/f")).is_err());
        assert!(root.existing(&at("d/f/g")).is_err());
        assert!(root.parent_of(&at("/")).is_err());
    }
}
