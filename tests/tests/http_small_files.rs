//! Small files are answered from a copy in memory once they have been left
//! alone for a second; the copy must never be served once the file changes.

use std::fs::{self, File, FileTimes};
use std::thread;
use std::time::{Duration, SystemTime};

use tests::http::{Client, start_server};

/// The cache keeps only files whose times are a second old (its "racy git"
/// rule); the change time cannot be set back, so the test waits it out.
fn let_settle() {
    thread::sleep(Duration::from_millis(1100));
}

#[test]
fn a_kept_file_that_changes_is_served_new() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("page.txt");
    fs::write(&path, "version 1").unwrap();
    let mtime = SystemTime::now() - Duration::from_secs(3600);
    let set_mtime = |path: &std::path::Path| {
        let file = File::options().write(true).open(path).unwrap();
        file.set_times(FileTimes::new().set_modified(mtime))
            .unwrap();
    };
    set_mtime(&path);
    let_settle();
    let server = start_server(dir.path(), &[]);
    let mut c = Client::connect(&server.addr());
    // The first answer reads the file and keeps it; the second is the copy.
    for _ in 0..2 {
        assert_eq!(c.get("GET", "/page.txt", &[]).text(), "version 1");
    }
    let etag = c
        .get("GET", "/page.txt", &[])
        .header("ETag")
        .unwrap()
        .to_string();
    // Same size, same modification time: only the change time tells.
    fs::write(&path, "version 2").unwrap();
    set_mtime(&path);
    assert_eq!(c.get("GET", "/page.txt", &[]).text(), "version 2");
    // Replaced by a rename.
    fs::write(dir.path().join("next.txt"), "version 3").unwrap();
    fs::rename(dir.path().join("next.txt"), &path).unwrap();
    assert_eq!(c.get("GET", "/page.txt", &[]).text(), "version 3");
    // Kept again after a second, and still answered with the same headers.
    let_settle();
    for _ in 0..2 {
        let r = c.get("GET", "/page.txt", &["Range: bytes=8-"]);
        assert_eq!((r.code, r.text()), (206, "3".to_string()));
        assert_eq!(r.header("Content-Range"), Some("bytes 8-8/9"));
    }
    let r = c.get("GET", "/page.txt", &[&format!("If-None-Match: {etag}")]);
    assert_eq!(r.code, 200, "the old ETag must not match the new file");
    let etag = r.header("ETag").unwrap().to_string();
    let r = c.get("GET", "/page.txt", &[&format!("If-None-Match: {etag}")]);
    assert_eq!(r.code, 304);
    // Removed: 404, not the copy.
    fs::remove_file(&path).unwrap();
    assert_eq!(c.get("GET", "/page.txt", &[]).code, 404);
}

#[test]
fn a_kept_file_swapped_for_a_symlink_to_outside_is_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret"), "top secret").unwrap();
    let path = dir.path().join("page.txt");
    fs::write(&path, "public!!!!").unwrap();
    let_settle();
    let server = start_server(dir.path(), &[]);
    let mut c = Client::connect(&server.addr());
    for _ in 0..2 {
        assert_eq!(c.get("GET", "/page.txt", &[]).text(), "public!!!!");
    }
    fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), &path).unwrap();
    let r = c.get("GET", "/page.txt", &[]);
    assert_eq!(r.code, 404);
    assert!(!r.text().contains("top secret"));
}

#[test]
fn a_kept_index_page_that_changes_is_served_new() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("index.html"), "root 1").unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("sub/index.html"), "sub 1").unwrap();
    let_settle();
    let server = start_server(dir.path(), &[]);
    let mut c = Client::connect(&server.addr());
    // The first answers read the pages and keep them; the next are copies,
    // also for /index.html, the same file by its own name.
    for _ in 0..2 {
        assert_eq!(c.get("GET", "/", &[]).text(), "root 1");
        assert_eq!(c.get("GET", "/index.html", &[]).text(), "root 1");
        assert_eq!(c.get("GET", "/sub/", &[]).text(), "sub 1");
    }
    fs::write(dir.path().join("next.html"), "root 2").unwrap();
    fs::rename(dir.path().join("next.html"), dir.path().join("index.html")).unwrap();
    assert_eq!(c.get("GET", "/", &[]).text(), "root 2");
    // index.html gone, index.htm there: the copy must not answer.
    fs::remove_file(dir.path().join("sub/index.html")).unwrap();
    fs::write(dir.path().join("sub/index.htm"), "sub htm").unwrap();
    assert_eq!(c.get("GET", "/sub/", &[]).text(), "sub htm");
    // No index page at all: the listing.
    fs::remove_file(dir.path().join("index.html")).unwrap();
    let r = c.get("GET", "/", &[]);
    assert_eq!(r.code, 200);
    assert!(r.text().contains("Directory listing for /"), "{}", r.text());
}
