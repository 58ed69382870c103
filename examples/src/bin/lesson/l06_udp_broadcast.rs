//! Lesson 06: UDP broadcast. One sender, three receivers on one port, the
//! loopback broadcast address 127.255.255.255, and the two socket options
//! without which it fails: SO_REUSEADDR (receivers) and SO_BROADCAST (sender).

use std::time::Duration;

use examples::lesson_kit::{Program, heading, read_next, say};

use crate::LessonResult;

const WAIT: Duration = Duration::from_secs(10);

/// Starts a receiver and waits for its `Listening ... port N` line.
fn receiver(label: &str, bind: &str, port: u16, extra: &[&str]) -> Result<(Program, u16), String> {
    let port = port.to_string();
    let mut args = vec!["--bind", bind, "--port", &port];
    args.extend_from_slice(extra);
    let program = Program::start(label, "broadcast-recv", &args).map_err(|e| e.to_string())?;
    let line = program
        .wait_for("Listening for broadcasts", WAIT)
        .ok_or_else(|| format!("{label} did not start"))?;
    let port = examples::serving::port_in(&line).ok_or("no port in the ready line")?;
    Ok((program, port))
}

/// Runs the lesson.
pub fn run() -> LessonResult {
    heading("Three receivers on one port");
    say("A broadcast address is the highest address of a network: 192.168.1.255 for");
    say("192.168.1.0/24, 127.255.255.255 for the loopback network 127.0.0.0/8. A datagram");
    say("sent there reaches every receiver on the network; on loopback, every receiver on");
    say("this host and nothing beyond it. Each receiver sets SO_REUSEADDR (and SO_REUSEPORT)");
    say("before bind, so that all three can bind the same port.");
    let (mut first, port) = receiver("recv-1", "127.255.255.255", 0, &["--count", "3"])?;
    let (mut second, _) = receiver("recv-2", "127.255.255.255", port, &["--count", "3"])?;
    let (mut third, _) = receiver("recv-3", "127.255.255.255", port, &["--count", "3"])?;

    heading("One sender, SO_BROADCAST on, three datagrams");
    let to = format!("127.255.255.255:{port}");
    let mut sender = Program::start(
        "sender",
        "broadcast-send",
        &[
            "--to",
            &to,
            "--interval",
            "0.2",
            "--count",
            "3",
            "news #{n}",
        ],
    )?;
    sender.wait_exit(WAIT).ok_or("the sender did not finish")?;
    for receiver in [&mut first, &mut second, &mut third] {
        receiver
            .wait_for("news #3", WAIT)
            .ok_or("a receiver missed a datagram")?;
        receiver.wait_exit(WAIT);
    }
    say("Every receiver printed all three: the kernel gives each bound socket a copy");
    say("of a broadcast datagram (a unicast datagram would go to one of them only).");

    heading("Without SO_REUSEADDR the port cannot be shared");
    let (_holder, port) = receiver("holder", "127.255.255.255", 0, &["--count", "1"])?;
    let mut plain = Program::start(
        "plain",
        "broadcast-recv",
        &[
            "--bind",
            "127.255.255.255",
            "--port",
            &port.to_string(),
            "--no-reuse",
        ],
    )?;
    plain.wait_exit(WAIT);
    say("bind() failed with EADDRINUSE: the course's receiver sets no SO_REUSEADDR,");
    say("so only one copy of it can run per host.");

    heading("Without SO_BROADCAST the kernel refuses to send");
    let mut refused = Program::start(
        "sender",
        "broadcast-send",
        &[
            "--to",
            &format!("127.255.255.255:{port}"),
            "--count",
            "1",
            "--no-broadcast-option",
        ],
    )?;
    refused.wait_exit(WAIT);
    say("sendto() failed with EACCES (Permission denied): broadcasting must be asked for,");
    say("so that a program cannot flood a network by mistake.");

    heading("Which address should a receiver bind?");
    say("0.0.0.0 (any address, as in the course) or the broadcast address itself both");
    say("receive broadcasts. A receiver bound to 127.0.0.1 does not: the datagram is");
    say("addressed to 127.255.255.255, not to it.");
    let (mut on_broadcast, port) = receiver(
        "on-127.255.255.255",
        "127.255.255.255",
        0,
        &["--count", "1"],
    )?;
    let (on_localhost, _) = receiver("on-127.0.0.1", "127.0.0.1", port, &["--count", "1"])?;
    let mut once = Program::start(
        "sender",
        "broadcast-send",
        &[
            "--to",
            &format!("127.255.255.255:{port}"),
            "--count",
            "1",
            "who gets this?",
        ],
    )?;
    once.wait_exit(WAIT);
    on_broadcast
        .wait_for("who gets this?", WAIT)
        .ok_or("the receiver on the broadcast address missed it")?;
    on_broadcast.wait_exit(WAIT);
    // A negative check needs a wait; one second is plenty on loopback.
    match on_localhost.wait_for("who gets this?", Duration::from_secs(1)) {
        None => say("on-127.0.0.1 received nothing (waited 1 s), as expected."),
        Some(_) => say("on-127.0.0.1 received it: this system delivers differently from Linux."),
    }

    read_next(
        "notes/06-udp-broadcast.md",
        &[
            "examples/src/broadcast/send.rs (SO_BROADCAST, sending)",
            "examples/src/broadcast/recv.rs (SO_REUSEADDR/SO_REUSEPORT, a UdpServer that prints)",
            "tests/tests/broadcast.rs (three receivers, every datagram)",
        ],
    );
    Ok(())
}
