//! `curl` as a real client: a download, a range, a HEAD, and two requests
//! on one kept-alive connection. Skipped (with a message) where curl is
//! not installed.

use std::fs;
use std::process::{Command, Output};

use tests::ServerProcess;

fn curl(args: &[&str]) -> Option<Output> {
    match Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
    {
        Ok(output) => Some(output),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("SKIPPED: curl is not installed (apt-get install curl)");
            None
        }
        Err(err) => panic!("curl failed to start: {err}"),
    }
}

#[test]
fn curl_download_range_head_and_keep_alive() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 256) as u8).collect();
    fs::write(dir.path().join("data.bin"), &data).unwrap();
    fs::write(dir.path().join("hello.txt"), "hello, curl\n").unwrap();
    let server = ServerProcess::start(
        "http-server",
        &["-q", "-d", dir.path().to_str().unwrap(), "0"],
    );
    let base = format!("http://{}", server.addr());

    // A download, byte for byte.
    let Some(out) = curl(&["--fail", &format!("{base}/data.bin")]) else {
        return;
    };
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
    ])
    .unwrap();
    assert_eq!(out.stdout, &data[1000..1010]);

    // A HEAD: headers only.
    let out = curl(&["--head", &format!("{base}/hello.txt")]).unwrap();
    let head = String::from_utf8_lossy(&out.stdout);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Length: 12\r\n"), "{head}");
    assert!(head.contains("Content-Type: text/plain\r\n"), "{head}");

    // Two URLs in one run: curl says it re-uses the connection.
    let out = curl(&[
        "--verbose",
        &format!("{base}/hello.txt"),
        &format!("{base}/hello.txt"),
    ])
    .unwrap();
    assert_eq!(out.stdout, b"hello, curl\nhello, curl\n");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("Re-using existing connection") || log.contains("Reusing existing connection"),
        "curl opened a second connection:\n{log}"
    );
    assert_eq!(log.matches("Connected to").count(), 1, "{log}");
}
