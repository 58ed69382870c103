//! The UDP broadcaster: several receivers on one port each get every
//! datagram sent to the loopback broadcast address 127.255.255.255.

mod chat_support;

use chat_support::Program;

/// Starts a receiver bound to the loopback broadcast address and waits
/// for its ready line; returns it with its port.
fn receiver(port: u16, count: u32) -> (Program, u16) {
    let port = port.to_string();
    let count = count.to_string();
    let program = Program::start(
        "broadcast-recv",
        &[
            "--bind",
            "127.255.255.255",
            "--port",
            &port,
            "--count",
            &count,
        ],
    );
    let ready = program.next_line();
    assert!(
        ready.starts_with("Listening for broadcasts on 127.255.255.255 port "),
        "{ready:?}"
    );
    let port = tests::process::parse_port(&ready).expect("a port");
    (program, port)
}

#[test]
fn three_receivers_each_get_every_datagram() {
    const N: u32 = 5;
    let (first, port) = receiver(0, N);
    let mut receivers = vec![first, receiver(port, N).0, receiver(port, N).0];

    let to = format!("127.255.255.255:{port}");
    let mut sender = Program::start(
        "broadcast-send",
        &[
            "--to",
            &to,
            "--interval",
            "0.02",
            "--count",
            &N.to_string(),
            "news {n}",
        ],
    );
    for n in 1..=N {
        assert_eq!(sender.next_line(), format!("sent to {to}: news {n}"));
    }
    assert!(sender.wait_exit().success());

    for receiver in &mut receivers {
        for n in 1..=N {
            let line = receiver.next_line();
            assert!(line.starts_with("from 127.0.0.1:"), "{line:?}");
            assert!(line.ends_with(&format!(": news {n}")), "{line:?}");
        }
        // --count N: it stops by itself after the N-th datagram.
        assert!(receiver.wait_exit().success());
    }
}

#[test]
fn a_receiver_without_reuse_cannot_share_the_port() {
    let (_first, port) = receiver(0, 1);
    let mut plain = Program::start(
        "broadcast-recv",
        &[
            "--bind",
            "127.255.255.255",
            "--port",
            &port.to_string(),
            "--no-reuse",
        ],
    );
    assert!(!plain.wait_exit().success());
    let stderr = plain.stderr_text();
    assert!(stderr.contains("Address already in use"), "{stderr}");
    assert!(stderr.contains("SO_REUSEADDR"), "{stderr}");
}

#[test]
fn sending_without_so_broadcast_is_refused_clearly() {
    let (_receiver, port) = receiver(0, 1);
    let mut sender = Program::start(
        "broadcast-send",
        &[
            "--to",
            &format!("127.255.255.255:{port}"),
            "--count",
            "1",
            "--no-broadcast-option",
        ],
    );
    let status = sender.wait_exit();
    assert_eq!(status.code(), Some(1), "an error, not a panic: {status:?}");
    let stderr = sender.stderr_text();
    assert!(stderr.contains("Permission denied"), "{stderr}");
    assert!(stderr.contains("SO_BROADCAST"), "{stderr}");
}
