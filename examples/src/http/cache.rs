//! Small files kept in memory, checked against the disk on every request.
//!
//! Serving a small file costs four system calls — `openat2`, `statx`,
//! `pread`, `close` — and the path lookup inside the first is the dearest.
//! With a copy in memory it costs one `fstatat`, whose answer tells whether
//! the copy is still the file: same device and inode (not replaced), same
//! size, modification and change times (not rewritten, renamed over or
//! touched). Any difference and the request takes the ordinary way.
//!
//! Two rules keep the copy honest:
//!
//! - A file changed within the last second is not kept (the "racy git"
//!   rule): file times advance in clock ticks, so a second write in the
//!   same tick as the first would leave every time unchanged.
//! - Only a file reached by the ordinary, checked way (`openat2` beneath
//!   the root) is kept, and a hit must be that very inode; a path that now
//!   leads elsewhere — a symlink swapped in — is a miss, and the ordinary
//!   way refuses it.
//!
//! The memory is bounded: files up to [`MAX_FILE`], [`MAX_TOTAL`] in all;
//! when full, everything is dropped and the cache fills again.

use std::collections::HashMap;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::sys::stat::FileStat;
use parking_lot::Mutex;

use super::conditional::Validators;
use super::files::Root;

/// Largest file kept (the size that is sent inline with its head anyway).
pub const MAX_FILE: u64 = 32 * 1024;
/// Most bytes kept in all.
pub const MAX_TOTAL: usize = 16 * 1024 * 1024;
/// How long a file must have been left alone before it is kept.
const SETTLED: Duration = Duration::from_secs(1);

/// Which file, in which version: what a fresh `stat` must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    /// File type and permissions: a symlink may reuse a freed inode number.
    mode: u32,
    size: i64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Identity {
    fn of_stat(st: &FileStat) -> Identity {
        Identity {
            dev: st.st_dev,
            ino: st.st_ino,
            mode: st.st_mode,
            size: st.st_size,
            mtime: (st.st_mtime, st.st_mtime_nsec),
            ctime: (st.st_ctime, st.st_ctime_nsec),
        }
    }

    fn of_metadata(meta: &Metadata) -> Identity {
        Identity {
            dev: meta.dev(),
            ino: meta.ino(),
            mode: meta.mode(),
            size: meta.size() as i64,
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Whether both times are at least [`SETTLED`] in the past.
    fn is_settled(&self) -> bool {
        let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) else {
            return false;
        };
        let limit = now.saturating_sub(SETTLED);
        let at = |(secs, nanos): (i64, i64)| Duration::new(secs.max(0) as u64, nanos as u32);
        at(self.mtime) <= limit && at(self.ctime) <= limit
    }
}

/// A kept file: its bytes and what its responses say about it.
#[derive(Debug)]
pub struct CachedFile {
    /// The whole content.
    pub body: Box<[u8]>,
    /// ETag and Last-Modified.
    pub validators: Validators,
    /// Content-Type.
    pub content_type: &'static str,
    identity: Identity,
}

/// The kept files, by their path below the root.
#[derive(Debug, Default)]
pub struct SmallFiles {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    files: HashMap<Vec<u8>, Arc<CachedFile>>,
    total: usize,
}

impl SmallFiles {
    /// The kept copy of `relative`, if the file on disk is still that
    /// version (one `fstatat`, which does not follow a final symlink).
    pub fn get(&self, root: &Root, relative: &[u8]) -> Option<Arc<CachedFile>> {
        let cached = self.state.lock().files.get(relative).cloned()?;
        let now = root.stat_no_follow(relative).ok()?;
        (Identity::of_stat(&now) == cached.identity).then_some(cached)
    }

    /// Whether a file with this metadata would be kept: small, and left
    /// alone for a second.
    pub fn would_keep(meta: &Metadata) -> bool {
        meta.len() <= MAX_FILE && Identity::of_metadata(meta).is_settled()
    }

    /// Keeps `body`, the whole content of the file `meta` describes (opened
    /// the checked way as `relative`, and one that [`SmallFiles::would_keep`]),
    /// and returns the kept copy.
    pub fn keep(
        &self,
        relative: &[u8],
        meta: &Metadata,
        body: Box<[u8]>,
        validators: Validators,
        content_type: &'static str,
    ) -> Arc<CachedFile> {
        let cached = Arc::new(CachedFile {
            body,
            validators,
            content_type,
            identity: Identity::of_metadata(meta),
        });
        self.insert(relative, Arc::clone(&cached));
        cached
    }

    fn insert(&self, relative: &[u8], cached: Arc<CachedFile>) {
        let mut state = self.state.lock();
        if state.total + cached.body.len() > MAX_TOTAL {
            state.files.clear();
            state.total = 0;
        }
        state.total += cached.body.len();
        if let Some(old) = state.files.insert(relative.to_vec(), cached) {
            state.total -= old.body.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::{self, File, FileTimes};

    /// Keeps `name` as it is now, skipping the settled rule (which needs
    /// a change time a second old).
    fn keep_now(cache: &SmallFiles, root: &Root, name: &str) {
        let meta = root
            .open_beneath(name.as_bytes())
            .unwrap()
            .metadata()
            .unwrap();
        let body = fs::read(root.path.join(name)).unwrap().into_boxed_slice();
        let cached = CachedFile {
            validators: Validators::new(meta.modified().unwrap(), meta.len()),
            body,
            content_type: "text/plain",
            identity: Identity::of_metadata(&meta),
        };
        cache.insert(name.as_bytes(), Arc::new(cached));
    }

    #[test]
    fn a_file_changed_just_now_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.txt");
        fs::write(&path, "just written").unwrap();
        // An old modification time does not help: the change time is now.
        let past = SystemTime::now() - Duration::from_secs(60);
        let times = FileTimes::new().set_modified(past);
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_times(times)
            .unwrap();
        let root = Root::open(dir.path()).unwrap();
        let file = root.open_beneath(b"new.txt").unwrap();
        let meta = file.metadata().unwrap();
        assert!(!SmallFiles::would_keep(&meta));
    }

    #[test]
    fn a_kept_file_is_a_miss_once_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        fs::write(&path, "version 1").unwrap();
        let root = Root::open(dir.path()).unwrap();
        let cache = SmallFiles::default();
        keep_now(&cache, &root, "a.txt");
        assert_eq!(&*cache.get(&root, b"a.txt").unwrap().body, b"version 1");
        // Written again, same size: the change time moves.
        fs::write(&path, "version 2").unwrap();
        assert!(cache.get(&root, b"a.txt").is_none());
        // Replaced by a rename: another inode.
        keep_now(&cache, &root, "a.txt");
        assert_eq!(&*cache.get(&root, b"a.txt").unwrap().body, b"version 2");
        fs::write(dir.path().join("b.txt"), "version 3").unwrap();
        fs::rename(dir.path().join("b.txt"), &path).unwrap();
        assert!(cache.get(&root, b"a.txt").is_none());
        // Gone.
        keep_now(&cache, &root, "a.txt");
        fs::remove_file(&path).unwrap();
        assert!(cache.get(&root, b"a.txt").is_none());
    }

    #[test]
    fn a_symlink_put_in_its_place_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret"), "secret!!!").unwrap();
        let path = dir.path().join("a.txt");
        fs::write(&path, "version 1").unwrap();
        let root = Root::open(dir.path()).unwrap();
        let cache = SmallFiles::default();
        keep_now(&cache, &root, "a.txt");
        fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), &path).unwrap();
        assert!(cache.get(&root, b"a.txt").is_none());
    }

    #[test]
    fn memory_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("f"), vec![7u8; MAX_FILE as usize]).unwrap();
        let root = Root::open(dir.path()).unwrap();
        let cache = SmallFiles::default();
        let meta = root.open_beneath(b"f").unwrap().metadata().unwrap();
        for i in 0..(MAX_TOTAL / MAX_FILE as usize) * 3 {
            let cached = CachedFile {
                body: vec![7u8; MAX_FILE as usize].into_boxed_slice(),
                validators: Validators::new(UNIX_EPOCH, MAX_FILE),
                content_type: "text/plain",
                identity: Identity::of_metadata(&meta),
            };
            cache.insert(i.to_string().as_bytes(), Arc::new(cached));
            assert!(cache.state.lock().total <= MAX_TOTAL);
        }
        assert!(cache.state.lock().files.len() <= MAX_TOTAL / MAX_FILE as usize);
    }
}
