//! Check of exercise 12: clients and the terminal into one file, with poll.

use std::fs::File;
use std::io::{self, Stdin};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use framework::Address;

use crate::kit::{self, Checker, Client, ServeChild, StepResult, expect_eq, proc_status};

/// How long a line may take to reach the file.
const FILE_DEADLINE: Duration = Duration::from_secs(3);

/// Waits until the file holds the line `want`.
fn expect_in_file(path: &PathBuf, want: &str) -> StepResult {
    let mut last = String::new();
    let found = kit::wait_until(FILE_DEADLINE, || {
        last = std::fs::read_to_string(path).unwrap_or_default();
        last.lines().any(|line| line == want)
    });
    if found {
        Ok(())
    } else {
        // The last few lines are enough to see what went wrong.
        let lines: Vec<&str> = last.lines().collect();
        let tail = lines[lines.len().saturating_sub(6)..].join("\n");
        Err(format!(
            "the line {want:?} was not in the file within {} s; the file ends with:\n{}",
            FILE_DEADLINE.as_secs(),
            if tail.is_empty() { "(nothing)" } else { &tail }
        ))
    }
}

/// A client's address as the file should name it.
fn who(c: &Client) -> Result<String, String> {
    c.local_addr()
        .map(|a| a.to_string())
        .ok_or_else(|| format!("{} has no address", c.name))
}

/// In the server process: binds 127.0.0.1:0, creates the file, announces
/// both, runs `serve`. In the check process: starts it and checks it.
pub fn run(serve: fn(TcpListener, Stdin, File) -> io::Result<()>) -> ExitCode {
    if kit::serve_mode() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let address = Address::Inet(listener.local_addr().expect("bound"));
        let path = std::env::temp_dir().join(format!("exercise12-{}.log", std::process::id()));
        let log = File::create(&path).expect("a file in the temporary directory");
        kit::announce("sockets and terminal into a file", &address);
        println!("log: {}", path.display());
        return match serve(listener, io::stdin(), log) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("serve() returned an error: {err}");
                ExitCode::FAILURE
            }
        };
    }
    let mut check = Checker::new("12");
    let started = ServeChild::start_with_terminal().and_then(|server| {
        let line = server
            .wait_for("log: ", Duration::from_secs(3))
            .ok_or("the check's server code printed no \"log: PATH\" line")?;
        let path = PathBuf::from(line.trim_start_matches("log: "));
        Ok((server, path))
    });
    let (mut server, path) = match started {
        Ok(started) => started,
        Err(why) => {
            check.step("your server starts", || Err(why));
            return check.finish();
        }
    };
    let addr = server.address();

    check.step(
        "a client's line goes into the file as \"ADDRESS: line\"",
        || {
            let mut a = Client::connect(addr, "client A")?;
            a.send("hello from A\n")?;
            expect_in_file(&path, &format!("{}: hello from A", who(&a)?))
        },
    );
    check.step(
        "a line typed on the terminal goes into the file as \"terminal: line\"",
        || {
            server.type_line("typed on the terminal")?;
            expect_in_file(&path, "terminal: typed on the terminal")
        },
    );
    check.step(
        "a second client is heard while the first stays connected and silent",
        || {
            let mut a = Client::connect(addr, "client A")?;
            a.send("A speaks first\n")?;
            expect_in_file(&path, &format!("{}: A speaks first", who(&a)?))?;
            let mut b = Client::connect(addr, "client B")?;
            b.send("B speaks while A is silent\n")?;
            expect_in_file(&path, &format!("{}: B speaks while A is silent", who(&b)?))
                .map_err(|why| format!("{why}\n(is the server waiting for client A only?)"))
        },
    );
    check.step(
        "the terminal is heard while a client is connected and silent",
        || {
            let mut a = Client::connect(addr, "client A")?;
            a.send("then A is silent\n")?;
            expect_in_file(&path, &format!("{}: then A is silent", who(&a)?))?;
            server.type_line("typed while A is connected")?;
            expect_in_file(&path, "terminal: typed while A is connected")
        },
    );
    check.step(
        "lines split across sends, and two lines in one send",
        || {
            let mut c = Client::connect(addr, "client C")?;
            let me = who(&c)?;
            c.send("one\ntwo\nthr")?;
            expect_in_file(&path, &format!("{me}: two"))?;
            c.send("ee\n")?;
            expect_in_file(&path, &format!("{me}: three"))?;
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.lines().any(|l| l == format!("{me}: thr")) {
                return Err(
                    "the unfinished line \"thr\" was written before its end arrived".into(),
                );
            }
            Ok(())
        },
    );
    check.step(
        "all of it in one thread (no thread, no fork per client)",
        || {
            let mut clients = (0..3)
                .map(|i| Client::connect(addr, &format!("client {i}")))
                .collect::<Result<Vec<_>, _>>()?;
            for (i, c) in clients.iter_mut().enumerate() {
                c.send(format!("ping {i}\n"))?;
                expect_in_file(&path, &format!("{}: ping {i}", who(c)?))?;
            }
            let threads = proc_status(server.pid(), "Threads").unwrap_or_default();
            expect_eq("threads in your server process", "1", threads.as_str())?;
            let children = kit::child_processes(server.pid()).len();
            expect_eq("child processes of your server", 0, children)
        },
    );
    check.step(
        "after the terminal is closed (Ctrl+D), clients are still served",
        || {
            server.close_terminal();
            let mut d = Client::connect(addr, "client D")?;
            d.send("after the terminal closed\n")?;
            expect_in_file(&path, &format!("{}: after the terminal closed", who(&d)?))
        },
    );
    drop(server);
    let _ = std::fs::remove_file(&path);
    check.finish()
}
