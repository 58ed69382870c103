//! Every server binary keeps the project's start-up contract: with port 0 it
//! prints `Serving <what> on 127.0.0.1 port <N> ...` as its first stdout
//! line, flushed at once, with a real port.
//!
//! (Having an integration test here also makes `cargo test --workspace`
//! build this crate's binaries, which the `tests` crate runs.)

use std::process::{Command, Stdio};
use std::time::Duration;

/// Starts `exe` with `args`, returns its first stdout line (10 s deadline), kills it.
fn first_line(exe: &str, args: &[&str]) -> String {
    let mut child = Command::new(exe)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let line = examples::serving::first_line(&mut child, Duration::from_secs(10));
    let _ = child.kill();
    let _ = child.wait();
    line.expect("a first line within 10 s")
}

fn assert_serving_on_real_port(line: &str) {
    let port = examples::serving::port_in(line).unwrap_or_else(|| panic!("no port in {line:?}"));
    assert!(line.starts_with("Serving "), "{line:?}");
    assert!(line.contains(" on 127.0.0.1 port "), "{line:?}");
    assert_ne!(
        port, 0,
        "port 0 must be replaced by the real port: {line:?}"
    );
}

#[test]
fn echo_server_announces_its_real_port() {
    for args in [
        &["0"][..],
        &["--transport", "udp", "0"],
        &["--model", "forking", "0"],
        &["--model", "sequential", "0"],
    ] {
        let line = first_line(env!("CARGO_BIN_EXE_echo-server"), args);
        assert_serving_on_real_port(&line);
    }
}

#[test]
fn mux_echo_server_announces_its_real_port() {
    for api in ["select", "poll", "epoll"] {
        let line = first_line(env!("CARGO_BIN_EXE_mux-echo-server"), &["--api", api, "0"]);
        assert_serving_on_real_port(&line);
        assert!(line.contains(&format!(", {api} on ")), "{line:?}");
    }
}

#[test]
fn select_homework_announces_its_real_port() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("lines.txt");
    let line = first_line(
        env!("CARGO_BIN_EXE_select-homework"),
        &["--file", file.to_str().expect("utf-8"), "0"],
    );
    assert_serving_on_real_port(&line);
}

#[test]
fn trace_server_announces_its_real_port() {
    for args in [
        &["0"][..],
        &["--model", "sequential", "0"],
        &["--model", "forking", "0"],
        &["--transport", "udp", "0"],
    ] {
        let line = first_line(env!("CARGO_BIN_EXE_trace-server"), args);
        assert_serving_on_real_port(&line);
    }
}

#[test]
fn http_server_announces_its_real_port_like_python() {
    for args in [
        &["0"][..],
        &["--model", "forking", "0"],
        &["--model", "sequential", "--protocol", "HTTP/1.0", "0"],
    ] {
        let line = first_line(env!("CARGO_BIN_EXE_http-server"), args);
        assert_serving_on_real_port(&line);
        // Python's banner: `Serving HTTP on H port P (http://H:P/) ...`.
        let port = examples::serving::port_in(&line).unwrap();
        assert_eq!(
            line.trim_end(),
            format!("Serving HTTP on 127.0.0.1 port {port} (http://127.0.0.1:{port}/) ...")
        );
    }
}

#[test]
fn ftp_server_announces_its_real_port() {
    let library = tempfile::tempdir().expect("a temporary directory");
    let dir = library.path().to_str().expect("a UTF-8 path");
    for model in ["threading", "forking", "sequential"] {
        let line = first_line(
            env!("CARGO_BIN_EXE_ftp-server"),
            &["--directory", dir, "--model", model, "0"],
        );
        assert_serving_on_real_port(&line);
        assert!(line.contains(model), "{line:?}");
    }
}

#[test]
fn chat_server_announces_its_real_port() {
    for args in [&["0"][..], &["--tcp", "0"]] {
        let line = first_line(env!("CARGO_BIN_EXE_chat-server"), args);
        assert_serving_on_real_port(&line);
    }
}

#[test]
fn plain_echo_announces_its_real_port() {
    let line = first_line(env!("CARGO_BIN_EXE_plain-echo"), &["0"]);
    assert_serving_on_real_port(&line);
}
