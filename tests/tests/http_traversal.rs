//! No request may read anything outside the served directory: every
//! traversal trick gets 404 or 400, and the secret never appears.

use std::fs;
use std::os::unix::fs::symlink;

use tests::http::{Client, get, start_server};

const SECRET: &str = "TOP-SECRET-OUTSIDE-THE-ROOT";

#[test]
fn every_traversal_attempt_is_refused() {
    // parent/secret.txt is outside; parent/root is served.
    let parent = tempfile::tempdir().unwrap();
    fs::write(parent.path().join("secret.txt"), SECRET).unwrap();
    let root = parent.path().join("root");
    fs::create_dir_all(root.join("sub")).unwrap();
    fs::write(root.join("sub/inside.txt"), "inside").unwrap();
    // Links pointing out of the root (to a directory and to a file) ...
    symlink(parent.path(), root.join("out")).unwrap();
    symlink(
        parent.path().join("secret.txt"),
        root.join("secret-link.txt"),
    )
    .unwrap();
    symlink("../secret.txt", root.join("sub/relative-link.txt")).unwrap();
    // ... and one that stays inside, which is allowed.
    symlink("sub", root.join("inlink")).unwrap();
    let server = start_server(&root, &[]);
    let addr = server.addr();

    let attempts = [
        "/../secret.txt",
        "/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/..%2Fsecret.txt",
        "/sub/../../secret.txt",
        "/sub/%2e%2e/%2e%2e/secret.txt",
        "/./../secret.txt",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "/..%5csecret.txt",
        "..%2f..%2fsecret.txt",
        "../secret.txt",
        "/out/secret.txt",
        "/out/",
        "/out",
        "/out/root/../secret.txt",
        "/secret-link.txt",
        "/sub/relative-link.txt",
        "/%00",
        "/secret.txt%00",
        "/sub/%00../../secret.txt",
        "//secret.txt",
        "///../secret.txt",
        "http://localhost/../secret.txt",
        "http://localhost/%2e%2e/secret.txt",
        "/etc/passwd",
        "/%2fetc/passwd",
        "/%252e%252e/secret.txt",
    ];
    for attempt in attempts {
        let r = get(&addr, attempt, &[]);
        assert!(
            r.code == 404 || r.code == 400,
            "{attempt}: {}",
            r.status_line
        );
        assert!(!r.text().contains(SECRET), "{attempt} leaked the secret");
        assert!(
            !r.text().contains("secret.txt</a>"),
            "{attempt} listed the outside"
        );
    }
    // A raw NUL byte in the request line (not percent-encoded) too.
    let mut c = Client::connect(&addr);
    c.send(b"GET /sub/inside.txt\x00/../../secret.txt HTTP/1.1\r\n\r\n")
        .unwrap();
    let r = c.read_response(false).unwrap();
    assert_eq!(r.code, 400, "{}", r.status_line);

    // What is inside stays reachable, through a link inside too.
    assert_eq!(get(&addr, "/sub/inside.txt", &[]).text(), "inside");
    assert_eq!(get(&addr, "/inlink/inside.txt", &[]).text(), "inside");
    assert_eq!(get(&addr, "/sub/../sub/inside.txt", &[]).text(), "inside");
}
