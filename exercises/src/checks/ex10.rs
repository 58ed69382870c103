//! Check of exercise 10: a key-value store on the event loop.

use std::process::ExitCode;

use framework::{EpollTcpServer, Protocol};

use crate::kit::{Checker, Client, RunningLoop, StepResult, expect_eq};

/// Clients that talk at the same time in the last step.
const CLIENTS: usize = 200;

/// Sends one command and expects one answer line.
fn ask(c: &mut Client, command: &str, answer: &str) -> StepResult {
    c.send(format!("{command}\n"))?;
    expect_eq(
        &format!("the answer to {command:?}"),
        answer.to_string(),
        c.line()?,
    )
}

/// Runs the check against protocols made by `factory` (sharing one store).
pub fn run<P, F>(factory: F) -> ExitCode
where
    P: Protocol,
    F: Fn() -> P + Send + Sync + 'static,
{
    let mut check = Checker::new("10");
    let server = EpollTcpServer::bind("127.0.0.1:0", factory).expect("bind 127.0.0.1:0");
    let server = RunningLoop::start(server);
    let addr = server.address;
    let connect = |name: &str| Client::connect(addr, name);

    check.step("SET answers OK, and GET gives the value back", || {
        let mut c = connect("client")?;
        ask(&mut c, "SET colour blue", "OK")?;
        ask(&mut c, "GET colour", "VALUE blue")?;
        ask(&mut c, "SET greeting hello there", "OK")?;
        ask(&mut c, "GET greeting", "VALUE hello there")
    });
    check.step(
        "GET and DEL of a missing key answer NOT_FOUND; DEL deletes",
        || {
            let mut c = connect("client")?;
            ask(&mut c, "GET nothing-here", "NOT_FOUND")?;
            ask(&mut c, "SET temporary 1", "OK")?;
            ask(&mut c, "DEL temporary", "DELETED")?;
            ask(&mut c, "GET temporary", "NOT_FOUND")?;
            ask(&mut c, "DEL temporary", "NOT_FOUND")
        },
    );
    check.step("an unknown command answers ERROR unknown command", || {
        let mut c = connect("client")?;
        ask(&mut c, "FLY me to the moon", "ERROR unknown command")?;
        ask(&mut c, "GET", "ERROR unknown command")
    });
    check.step("the store is shared: what alice SETs, bob GETs", || {
        let mut alice = connect("alice")?;
        let mut bob = connect("bob")?;
        ask(&mut alice, "SET shared-key from alice", "OK")?;
        ask(&mut bob, "GET shared-key", "VALUE from alice")
    });
    check.step(
        "a command sent byte by byte is one command (framing)",
        || {
            let mut c = connect("client")?;
            for byte in b"SET slow drip\r\n" {
                c.send([*byte])?;
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            expect_eq("the answer to a slow SET", "OK".to_string(), c.line()?)?;
            ask(&mut c, "GET slow", "VALUE drip")
        },
    );
    check.step(
        "three commands in one packet get three answers, in order",
        || {
            let mut c = connect("client")?;
            c.send("SET a 1\nGET a\nDEL a\n")?;
            for answer in ["OK", "VALUE 1", "DELETED"] {
                expect_eq("the next answer", answer.to_string(), c.line()?)?;
            }
            Ok(())
        },
    );
    check.step(
        &format!("{CLIENTS} clients at once, each with its own key, all answered"),
        || {
            let mut clients = (0..CLIENTS)
                .map(|i| connect(&format!("client {i}")))
                .collect::<Result<Vec<_>, _>>()?;
            for (i, c) in clients.iter_mut().enumerate() {
                c.send(format!("SET key{i} value{i}\n"))?;
            }
            for c in &mut clients {
                expect_eq(&format!("{}'s SET", c.name), "OK".to_string(), c.line()?)?;
            }
            for (i, c) in clients.iter_mut().enumerate() {
                ask(c, &format!("GET key{i}"), &format!("VALUE value{i}"))?;
            }
            Ok(())
        },
    );
    check.finish()
}
