//! `http-server` over HTTPS (`--tls-cert`, `--tls-key`,
//! `--tls-password-file`, as in Python 3.14's http.server): curl trusting
//! the test's own CA gets the files byte for byte, a plain-HTTP request on
//! the TLS port gets a clear answer and a close (no hang), and the blocking
//! models refuse the options with a reason.

#[path = "tls_support/mod.rs"]
mod tls_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use tests::ServerProcess;
use tests::http::{big_file, sample_site};
use tls_support::{Pki, arg, have};

fn curl(args: &[&str]) -> std::process::Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn https_with_an_encrypted_key_serves_files_to_curl() {
    if !have("curl", "--version") {
        eprintln!("SKIPPED: curl is not installed (.ci/run installs it)");
        return;
    }
    let pki = Pki::new();
    let key = pki.encrypted_key("key.enc.pem", "correct horse");
    let password = pki.file("password.txt", b"correct horse\n");
    let site = sample_site();
    let server = ServerProcess::start(
        "http-server",
        &[
            "-q",
            "-d",
            site.path().to_str().unwrap(),
            "--tls-cert",
            arg(&pki.cert_pem),
            "--tls-key",
            arg(&key),
            "--tls-password-file",
            arg(&password),
            "0",
        ],
    );
    assert!(
        server
            .serving_line
            .starts_with("Serving HTTPS on 127.0.0.1 port")
            && server.serving_line.contains("(https://127.0.0.1:"),
        "{}",
        server.serving_line
    );
    let port = server.port;
    let url = |path: &str| format!("https://127.0.0.1:{port}{path}");
    let out = curl(&["--cacert", arg(&pki.ca_pem), &url("/digits.txt")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"0123456789");
    // A large file (sendfile on plain connections) goes through TLS whole.
    let out = curl(&["--cacert", arg(&pki.ca_pem), &url("/big.bin")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout == big_file(), "big.bin arrived changed");
    // Two requests on one kept-alive TLS connection.
    let out = curl(&[
        "--cacert",
        arg(&pki.ca_pem),
        &url("/digits.txt"),
        &url("/digits.txt"),
    ]);
    assert_eq!(out.stdout, b"01234567890123456789");
}

#[test]
fn plain_http_on_the_tls_port_gets_a_clear_close_not_a_hang() {
    let pki = Pki::new();
    let site = sample_site();
    let server = ServerProcess::start(
        "http-server",
        &[
            "-q",
            "-d",
            site.path().to_str().unwrap(),
            "--tls-cert",
            arg(&pki.cert_pem),
            "--tls-key",
            arg(&pki.key_pem),
            "0",
        ],
    );
    let mut plain = TcpStream::connect(server.addr()).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    plain
        .write_all(b"GET /digits.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    plain
        .read_to_end(&mut answer)
        .expect("closed within 5 s, not left hanging");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 400"), "{text:?}");
    assert!(!text.contains("0123456789"), "no file over plain HTTP");
}

#[test]
fn the_blocking_models_refuse_tls_with_a_reason() {
    let pki = Pki::new();
    let output = Command::new(tests::bin_path("http-server"))
        .args(["--model", "threading", "--tls-cert", arg(&pki.cert_pem)])
        .args(["--tls-key", arg(&pki.key_pem), "0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--model poll"), "{stderr}");
}
