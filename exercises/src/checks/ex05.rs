//! Check of exercise 05: the forking server, run as its own process.

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use crate::kit::{self, Checker, Client, ServeChild, expect_eq};

/// Parses `pid=N ppid=M`.
fn parse_ids(line: &str) -> Result<(u32, u32), String> {
    let bad = || format!("expected \"pid=<number> ppid=<number>\", got {line:?}");
    let mut parts = line.split_whitespace();
    let pid = parts
        .next()
        .and_then(|p| p.strip_prefix("pid="))
        .ok_or_else(bad)?;
    let ppid = parts
        .next()
        .and_then(|p| p.strip_prefix("ppid="))
        .ok_or_else(bad)?;
    Ok((
        pid.parse().map_err(|_| bad())?,
        ppid.parse().map_err(|_| bad())?,
    ))
}

/// In the server process: runs `serve("127.0.0.1:0")`.
/// In the check process: starts that server process and checks it.
pub fn run(serve: fn(&str) -> io::Result<()>) -> ExitCode {
    if kit::serve_mode() {
        return match serve("127.0.0.1:0") {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("serve() returned an error: {err}");
                ExitCode::FAILURE
            }
        };
    }
    let mut check = Checker::new("05");
    let server = match ServeChild::start() {
        Ok(server) => server,
        Err(why) => {
            check.step("your server starts", || Err(why));
            return check.finish();
        }
    };
    let addr = server.address();
    let server_pid = server.pid();
    let mut clients = Vec::new();

    check.step(
        "each client is served by a child process of the server",
        || {
            let mut pids = Vec::new();
            for i in 1..=3 {
                let mut c = Client::connect(addr, &format!("client {i}"))?;
                let (pid, ppid) = parse_ids(&c.line()?)?;
                if pid == server_pid {
                    return Err(format!(
                        "client {i} was served by the server process itself ({pid}), not a child"
                    ));
                }
                expect_eq(
                    &format!("client {i}'s ppid (the server's pid)"),
                    server_pid,
                    ppid,
                )?;
                if pids.contains(&pid) {
                    return Err(format!("two clients were served by the same child {pid}"));
                }
                pids.push(pid);
                c.send("echo me\n")?;
                expect_eq("the echo", "echo me".to_string(), c.line()?)?;
                clients.push(c);
            }
            Ok(())
        },
    );
    check.step(
        "the server prints \"children: 3\" with 3 clients connected",
        || {
            server
                .wait_for("children: 3", Duration::from_secs(3))
                .map(drop)
                .ok_or_else(|| "no line \"children: 3\" from the server within 3 s".to_string())
        },
    );
    check.step(
        "when the clients leave, children are reaped: \"children: 0\", no zombies",
        || {
            clients.clear();
            server
                .wait_for("children: 0", Duration::from_secs(3))
                .ok_or_else(|| {
                    "no line \"children: 0\" from the server within 3 s of the clients leaving"
                        .to_string()
                })?;
            let zombies = kit::zombie_children(server_pid);
            if zombies.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "zombie children of the server: {zombies:?} (exited, never waited for)"
                ))
            }
        },
    );
    check.step("a new client is served after that, by a new child", || {
        let mut c = Client::connect(addr, "client 4")?;
        let (pid, ppid) = parse_ids(&c.line()?)?;
        expect_eq("client 4's ppid", server_pid, ppid)?;
        if pid == server_pid {
            return Err("client 4 was served by the server process itself".into());
        }
        server
            .wait_for("children: 1", Duration::from_secs(3))
            .map(drop)
            .ok_or_else(|| "no line \"children: 1\" within 3 s of client 4 connecting".to_string())
    });
    check.finish()
}
