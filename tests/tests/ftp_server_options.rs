//! `ftp-server`'s command line: the defaults the issue names (127.0.0.1,
//! the current directory, threading, port 8080) and the other models and
//! addresses. The default port itself is not bound here (tests bind port 0
//! only); `--help` shows it.

mod ftp_common;

use std::net::TcpStream;
use std::process::Command;

use ftp_common::{Raw, library};
use tests::{ServerProcess, bin_path};

#[test]
fn without_options_it_serves_the_current_directory_threaded_on_loopback() {
    let dir = library(&[("a.txt", b"a")]);
    let server = ServerProcess::start_command(
        Command::new(bin_path("ftp-server"))
            .arg("0")
            .current_dir(dir.path()),
    );
    let canonical = dir.path().canonicalize().unwrap();
    assert!(
        server.serving_line.starts_with(&format!(
            "Serving the file library {}, threading on 127.0.0.1 port ",
            canonical.display()
        )),
        "{}",
        server.serving_line
    );
    assert_eq!(Raw::connect(&server.addr()).list(), ["a.txt"]);
}

#[test]
fn sequential_on_another_loopback_address() {
    let dir = library(&[("a.txt", b"a")]);
    let path = dir.path().to_str().unwrap();
    let server = ServerProcess::start(
        "ftp-server",
        &[
            "--model",
            "sequential",
            "--bind",
            "127.0.0.2",
            "--directory",
            path,
            "0",
        ],
    );
    assert!(
        server
            .serving_line
            .contains("sequential on 127.0.0.2 port "),
        "{}",
        server.serving_line
    );
    let addr = format!("127.0.0.2:{}", server.port);
    // Sessions one after another, each served whole.
    let mut first = Raw::connect(&addr);
    assert_eq!(first.list(), ["a.txt"]);
    assert_eq!(first.ask(b"Q"), "");
    let mut second = Raw::connect(&addr);
    assert_eq!(second.get("a.txt"), Ok(b"a".to_vec()));
    // Bound to 127.0.0.2 only: nothing answers on 127.0.0.1 at that port.
    let refused = TcpStream::connect(("127.0.0.1", server.port)).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn the_help_shows_the_defaults() {
    let output = Command::new(bin_path("ftp-server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for default in [
        "[default: 8080]",
        "[default: 127.0.0.1]",
        "[default: .]",
        "[default: threading]",
    ] {
        assert!(help.contains(default), "{default} missing from:\n{help}");
    }
    let output = Command::new(bin_path("ftp-client"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("[default: 127.0.0.1:8080]"), "{help}");
}
