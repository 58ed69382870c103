//! A short run of `soak` against every server, so that the soak's own code
//! (its load generators, their checks, the sampling) cannot rot unseen.
//! Three seconds each: too short for the memory targets (judged from the
//! 10th second on), long enough for the rest: no error on a well-formed
//! session, no zombie outliving a reap, no session left hanging.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `soak --seconds 3 --clients 4 ARGS`, at most 60 s; its output.
fn soak(args: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_soak"))
        .args(["--seconds", "3", "--clients", "4"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("soak starts");
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for soak") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("soak {args:?} ran for more than 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = reader.join().expect("the reader thread");
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .map(|mut e| e.read_to_string(&mut stderr));
    assert!(
        status.success(),
        "soak {args:?} failed ({status}):\n{output}\n{stderr}"
    );
    output
}

/// The run's figures line says it did work and made no error.
fn check(output: &str, program: &str) {
    let line = output
        .lines()
        .find(|l| l.starts_with(&format!("{program} (model")))
        .unwrap_or_else(|| panic!("no figures for {program}:\n{output}"));
    assert!(line.contains(", 0 errors,"), "{line}");
    let requests: u64 = line
        .split("): ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count in {line:?}"));
    assert!(requests > 0, "{line}");
    assert!(
        output.contains("targets: errors PASS, RSS n/a, fds n/a, zombies PASS, hangs PASS"),
        "{output}"
    );
}

#[test]
fn http_server_soaks() {
    check(&soak(&["--only", "http"]), "http-server");
}

#[test]
fn echo_server_soaks() {
    check(&soak(&["--only", "echo"]), "echo-server");
}

#[test]
fn ftp_server_soaks() {
    check(&soak(&["--only", "ftp"]), "ftp-server");
}

#[test]
fn ftpd_soaks_forking() {
    // The forking model: the zombie sampling sees children come and go.
    check(&soak(&["--only", "ftpd", "--model", "forking"]), "ftpd");
}

#[test]
fn chat_server_soaks() {
    check(&soak(&["--only", "chat"]), "chat-server");
}

#[test]
fn an_unknown_server_is_refused() {
    let status = Command::new(env!("CARGO_BIN_EXE_soak"))
        .args(["--only", "nosuch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("soak starts");
    assert!(!status.success());
}
