//! Check of exercise 04: a poll() server, run as its own process.

use std::io;
use std::net::TcpListener;
use std::process::ExitCode;

use framework::Address;

use crate::kit::{self, Checker, Client, ServeChild, expect_eq, proc_status};

/// In the server process: binds 127.0.0.1:0, announces it, runs `serve`.
/// In the check process: starts that server process and checks it.
pub fn run(serve: fn(TcpListener) -> io::Result<()>) -> ExitCode {
    if kit::serve_mode() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let address = Address::Inet(listener.local_addr().expect("bound"));
        kit::announce("uppercase echo with poll", &address);
        return match serve(listener) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("serve() returned an error: {err}");
                ExitCode::FAILURE
            }
        };
    }
    let mut check = Checker::new("04");
    let server = match ServeChild::start() {
        Ok(server) => server,
        Err(why) => {
            check.step("your server starts", || Err(why));
            return check.finish();
        }
    };
    let addr = server.address();
    let ask = |c: &mut Client, line: &str| -> kit::StepResult {
        c.send(format!("{line}\n"))?;
        expect_eq(
            &format!("{}'s reply to {line:?}", c.name),
            line.to_uppercase(),
            c.line()?,
        )
    };

    check.step("one client is answered", || {
        let mut a = Client::connect(addr, "client A")?;
        ask(&mut a, "hello")
    });
    check.step("a second client is answered while the first stays connected", || {
        let mut a = Client::connect(addr, "client A")?;
        ask(&mut a, "first")?;
        let mut b = Client::connect(addr, "client B")?;
        ask(&mut b, "second").map_err(|why| {
            format!("{why}\n(client A is still connected and idle: is the server waiting for A only?)")
        })?;
        ask(&mut a, "first again")
    });
    check.step(
        "lines split across sends, and two lines in one send",
        || {
            let mut c = Client::connect(addr, "client C")?;
            c.send("x\ny\n")?;
            expect_eq("first reply", "X".to_string(), c.line()?)?;
            expect_eq("second reply", "Y".to_string(), c.line()?)?;
            c.send("par")?;
            std::thread::sleep(std::time::Duration::from_millis(50));
            c.send("tial\n")?;
            expect_eq(
                "reply to \"par\" + \"tial\\n\"",
                "PARTIAL".to_string(),
                c.line()?,
            )
        },
    );
    check.step("twenty clients connected at once are all answered", || {
        let mut clients = (0..20)
            .map(|i| Client::connect(addr, &format!("client {i}")))
            .collect::<Result<Vec<_>, _>>()?;
        // Answered in reverse order of connection: no one waits for the first.
        for (i, c) in clients.iter_mut().enumerate().rev() {
            ask(c, &format!("line from {i}"))?;
        }
        Ok(())
    });
    check.step("a client that leaves does not disturb the others", || {
        let mut a = Client::connect(addr, "client A")?;
        let mut b = Client::connect(addr, "client B")?;
        ask(&mut a, "a")?;
        ask(&mut b, "b")?;
        drop(a);
        ask(&mut b, "still there")
    });
    check.step(
        "all of it in one thread (no thread, no fork per client)",
        || {
            let mut clients = (0..3)
                .map(|i| Client::connect(addr, &format!("client {i}")))
                .collect::<Result<Vec<_>, _>>()?;
            // One round trip each: all three are being served when we look.
            for (i, c) in clients.iter_mut().enumerate() {
                ask(c, &format!("ping {i}"))?;
            }
            let threads = proc_status(server.pid(), "Threads").unwrap_or_default();
            expect_eq("threads in your server process", "1", threads.as_str())?;
            let children = kit::child_processes(server.pid()).len();
            expect_eq("child processes of your server", 0, children)
        },
    );
    check.finish()
}
