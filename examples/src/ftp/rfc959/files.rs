//! The commands on names: moving around (CWD, CDUP), asking about a file
//! (SIZE, MDTM, MLST, STAT path) and changing the tree (DELE, MKD, RMD,
//! RNFR/RNTO, MFMT). Every path goes through [`VirtualPath::join`] (never above
//! `/`, names checked) and [`Root`](super::path::Root) (no symlinks).

use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::time::SystemTime;

use super::clock::Utc;
use super::listing::{self, facts, ls_line};
use super::path::VirtualPath;
use super::reply;
use super::session::{Flow, Session};
use crate::ftp::describe;

impl Session {
    /// `arg` as a path from the current directory, or a `550` sent.
    pub fn resolve(&mut self, arg: &str) -> io::Result<Option<VirtualPath>> {
        match self.cwd.join(arg) {
            Ok(path) => Ok(Some(path)),
            Err(reason) => {
                self.reply(550, &format!("Refused: {reason}."))?;
                Ok(None)
            }
        }
    }

    /// CWD (and CDUP, which is `CWD ..`).
    pub fn cwd_command(&mut self, arg: &str) -> io::Result<Flow> {
        let Some(path) = self.resolve(arg)? else {
            return Ok(Flow::Continue);
        };
        match self.config.root.directory(&path) {
            Ok(_) => {
                self.cwd = path;
                self.reply(250, "Directory successfully changed.")
            }
            Err(reason) => self.reply(550, &format!("Failed to change directory: {reason}")),
        }
    }

    /// SIZE (RFC 3659): a regular file's size in bytes.
    pub fn size(&mut self, arg: &str) -> io::Result<Flow> {
        let Some(path) = self.resolve(arg)? else {
            return Ok(Flow::Continue);
        };
        match self.config.root.existing(&path) {
            Ok((_, meta)) if meta.is_file() => self.reply(213, &meta.len().to_string()),
            Ok(_) => self.reply(550, "Could not get file size: not a regular file."),
            Err(reason) => self.reply(550, &format!("Could not get file size: {reason}")),
        }
    }

    /// MDTM (RFC 3659): a regular file's modification time, UTC.
    pub fn mdtm(&mut self, arg: &str) -> io::Result<Flow> {
        let Some(path) = self.resolve(arg)? else {
            return Ok(Flow::Continue);
        };
        match self.config.root.existing(&path) {
            Ok((_, meta)) if meta.is_file() => {
                let when = Utc::from(meta.modified().unwrap_or(SystemTime::UNIX_EPOCH));
                self.reply(213, &when.compact())
            }
            Ok(_) => self.reply(
                550,
                "Could not get file modification time: not a regular file.",
            ),
            Err(reason) => self.reply(
                550,
                &format!("Could not get file modification time: {reason}"),
            ),
        }
    }

    /// MFMT (draft-somers-ftp-mfxx): sets a regular file's modification
    /// time, given in UTC: `MFMT 20200102030405 a b.txt` is answered
    /// `213 Modify=20200102030405; a b.txt`. FileZilla sends it after each
    /// upload when its "preserve timestamps" setting is on and FEAT lists
    /// MFMT; without it the uploaded copy is dated by the upload.
    pub fn mfmt(&mut self, arg: &str) -> io::Result<Flow> {
        let parsed = arg
            .split_once(' ')
            .and_then(|(time, name)| Some((Utc::parse_compact(time)?, name)));
        let Some((when, name)) = parsed else {
            return self.reply(
                501,
                "MFMT needs a time in UTC and a name: MFMT YYYYMMDDHHMMSS name.",
            );
        };
        let Some(path) = self.resolve(name)? else {
            return Ok(Flow::Continue);
        };
        let failed = "Could not set the modification time";
        let disk = match self.config.root.existing(&path) {
            Ok((disk, meta)) if meta.is_file() => disk,
            Ok(_) => return self.reply(550, &format!("{failed}: not a regular file.")),
            Err(reason) => return self.reply(550, &format!("{failed}: {reason}")),
        };
        // O_NOFOLLOW: if the name became a link since the check, refuse.
        let set = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&disk)
            .and_then(|file| file.set_modified(when));
        match set {
            Ok(()) => {
                let text = format!("Modify={}; {name}", Utc::from(when).compact());
                self.reply(213, &text)
            }
            Err(err) => self.reply(550, &format!("{failed}: {}.", describe(&err))),
        }
    }

    /// MLST (RFC 3659): one entry's facts, on the control connection.
    pub fn mlst(&mut self, arg: Option<&str>) -> io::Result<Flow> {
        let Some(path) = self.resolve(arg.unwrap_or("."))? else {
            return Ok(Flow::Continue);
        };
        match self.config.root.existing(&path) {
            Ok((_, meta)) => {
                let line = format!("{} {path}", facts(&meta, self.config.writable));
                let text = reply::multi(250, &format!("Listing {path}"), &[line], "End");
                self.send(text)?;
                Ok(Flow::Continue)
            }
            Err(reason) => self.reply(550, &format!("Cannot list it: {reason}")),
        }
    }

    /// STAT with a path: the LIST lines on the control connection.
    pub fn stat_path(&mut self, arg: &str) -> io::Result<Flow> {
        let Some(path) = self.resolve(arg)? else {
            return Ok(Flow::Continue);
        };
        let now = SystemTime::now();
        let lines = match self.config.root.existing(&path) {
            Ok((disk, meta)) if meta.is_dir() => match listing::entries(&disk) {
                Ok(entries) => entries
                    .iter()
                    .map(|e| ls_line(&e.name, &e.meta, now))
                    .collect(),
                Err(err) => {
                    return self.reply(550, &format!("Cannot list it: {}.", describe(&err)));
                }
            },
            Ok((_, meta)) => vec![ls_line(path.name(), &meta, now)],
            Err(reason) => return self.reply(550, &format!("Cannot list it: {reason}")),
        };
        self.send(reply::multi(
            213,
            &format!("Status of {path}:"),
            &lines,
            "End of status",
        ))?;
        Ok(Flow::Continue)
    }

    /// DELE: removes a regular file.
    pub fn dele(&mut self, arg: &str) -> io::Result<Flow> {
        let Some(path) = self.resolve(arg)? else {
            return Ok(Flow::Continue);
        };
        match self.config.root.existing(&path) {
            Ok((disk, meta)) if meta.is_file() => match fs::remove_file(disk) {
                Ok(()) => self.reply(250, "Delete operation successful."),
                Err(err) => self.reply(
                    550,
                    &format!("Delete operation failed: {}.", describe(&err)),
                ),
            },
            Ok(_) => self.reply(
                550,
                "Delete operation failed: not a regular file (use RMD for a directory).",
            ),
            Err(reason) => self.reply(550, &format!("Delete operation failed: {reason}")),
        }
    }

    /// MKD: creates a directory; `257 "path" created`.
    pub fn mkd(&mut self, arg: &str) -> io::Result<Flow> {
        let Some(path) = self.resolve(arg)? else {
            return Ok(Flow::Continue);
        };
        let created = self.config.root.parent_of(&path).and_then(|(dir, name)| {
            fs::create_dir(dir.join(name)).map_err(|e| format!("{}.", describe(&e)))
        });
        match created {
            Ok(()) => self.reply(
                257,
                &format!("{} created.", reply::quoted(&path.to_string())),
            ),
            Err(reason) => self.reply(550, &format!("Create directory operation failed: {reason}")),
        }
    }

    /// RMD: removes an empty directory (never the root, nor one the
    /// session is in).
    pub fn rmd(&mut self, arg: &str) -> io::Result<Flow> {
        let Some(path) = self.resolve(arg)? else {
            return Ok(Flow::Continue);
        };
        if self.cwd.starts_with(&path) {
            return self.reply(
                550,
                "Remove directory operation failed: it is the current directory or above it.",
            );
        }
        let removed = self
            .config
            .root
            .directory(&path)
            .and_then(|disk| fs::remove_dir(disk).map_err(|e| format!("{}.", describe(&e))));
        match removed {
            Ok(()) => self.reply(250, "Remove directory operation successful."),
            Err(reason) => self.reply(550, &format!("Remove directory operation failed: {reason}")),
        }
    }

    /// RNFR: remembers what the next command (RNTO) renames.
    pub fn rnfr(&mut self, arg: &str) -> io::Result<Flow> {
        let Some(path) = self.resolve(arg)? else {
            return Ok(Flow::Continue);
        };
        if path.is_root() {
            return self.reply(550, "RNFR command failed: the root cannot be renamed.");
        }
        match self.config.root.existing(&path) {
            Ok(_) => {
                self.rename_from = Some(path);
                self.reply(350, "Ready for RNTO.")
            }
            Err(reason) => self.reply(550, &format!("RNFR command failed: {reason}")),
        }
    }

    /// RNTO: renames what RNFR named, in one atomic `rename`. A directory
    /// cannot move into itself; nothing replaces a directory; a file may
    /// replace a file (as `mv` does).
    pub fn rnto(&mut self, arg: &str, from: Option<VirtualPath>) -> io::Result<Flow> {
        let Some(from) = from else {
            return self.reply(503, "RNFR required first.");
        };
        let Some(to) = self.resolve(arg)? else {
            return Ok(Flow::Continue);
        };
        if to.starts_with(&from) {
            return self.reply(550, "Rename failed: cannot move a directory into itself.");
        }
        let root = &self.config.root;
        let renamed = root.existing(&from).and_then(|(source, meta)| {
            let (dir, name) = root.parent_of(&to)?;
            let target = dir.join(name);
            match fs::symlink_metadata(&target) {
                Ok(old) if !(old.is_file() && meta.is_file()) => {
                    return Err("File exists.".to_string());
                }
                _ => {}
            }
            fs::rename(source, target).map_err(|e| format!("{}.", describe(&e)))
        });
        match renamed {
            Ok(()) => self.reply(250, "Rename successful."),
            Err(reason) => self.reply(550, &format!("Rename failed: {reason}")),
        }
    }
}
