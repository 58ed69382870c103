//! `curl` as a real client: a download, a range, a HEAD, and two requests
//! on one kept-alive connection. Without curl the test fails (`.ci/run`
//! installs it), unless `HTTP_TESTS_WITHOUT_CURL=1` says to skip it.

use std::fs;
use std::process::{Command, Output};

use tests::http::start_server;

fn curl(args: &[&str]) -> Output {
    Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl runs (apt-get install curl)")
}

/// Whether curl may be missing: then the test says so and passes.
fn may_skip() -> bool {
    let missing = Command::new("curl").arg("--version").output().is_err();
    let allowed = std::env::var_os("HTTP_TESTS_WITHOUT_CURL").is_some_and(|v| v == "1");
    if missing && allowed {
        eprintln!("SKIPPED: curl is not installed and HTTP_TESTS_WITHOUT_CURL=1");
    }
    missing && allowed
}

#[test]
fn curl_download_range_head_and_keep_alive() {
    if may_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 256) as u8).collect();
    fs::write(dir.path().join("data.bin"), &data).unwrap();
    fs::write(dir.path().join("hello.txt"), "hello, curl\n").unwrap();
    let server = start_server(dir.path(), &[]);
    let base = format!("http://{}", server.addr());

    // A download, byte for byte.
    let out = curl(&["--fail", &format!("{base}/data.bin")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, data);

    // A range.
    let out = curl(&[
        "--fail",
        "--range",
        "1000-1009",
        &format!("{base}/data.bin"),
    ]);
    assert_eq!(out.stdout, &data[1000..1010]);

    // A HEAD: headers only.
    let out = curl(&["--head", &format!("{base}/hello.txt")]);
    let head = String::from_utf8_lossy(&out.stdout);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Length: 12\r\n"), "{head}");
    assert!(head.contains("Content-Type: text/plain\r\n"), "{head}");

    // Two URLs in one run: curl says it re-uses the connection.
    let out = curl(&[
        "--verbose",
        &format!("{base}/hello.txt"),
        &format!("{base}/hello.txt"),
    ]);
    assert_eq!(out.stdout, b"hello, curl\nhello, curl\n");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("Re-using existing connection") || log.contains("Reusing existing connection"),
        "curl opened a second connection:\n{log}"
    );
    assert_eq!(log.matches("Connected to").count(), 1, "{log}");
}
