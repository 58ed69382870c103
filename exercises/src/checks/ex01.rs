//! Check of exercise 01: the uppercase echo handler on a threading TCP server.

use std::process::ExitCode;

use framework::{RequestHandler, StreamRequest, ThreadingTcpServer};

use crate::kit::{Checker, Client, Running, expect_eq};

/// Runs the check against handlers made by `factory`.
pub fn run<H, F>(factory: F) -> ExitCode
where
    H: RequestHandler<StreamRequest>,
    F: Fn() -> H + Send + Sync + 'static,
{
    let mut check = Checker::new("01");
    let mut server = ThreadingTcpServer::bind("127.0.0.1:0", factory).expect("bind 127.0.0.1:0");
    server.mixin_mut().daemon_threads = true;
    let server = Running::start(server);
    let addr = server.address;

    check.step("a line comes back in capitals", || {
        let mut c = Client::connect(addr, "the client")?;
        c.send("hello\n")?;
        expect_eq("reply to \"hello\\n\"", "HELLO".to_string(), c.line()?)
    });
    check.step("every line of a conversation is answered, in order", || {
        let mut c = Client::connect(addr, "the client")?;
        for (send, want) in [
            ("one\n", "ONE"),
            ("Two Words\n", "TWO WORDS"),
            ("3 x\n", "3 X"),
        ] {
            c.send(send)?;
            expect_eq(&format!("reply to {send:?}"), want.to_string(), c.line()?)?;
        }
        Ok(())
    });
    check.step("two lines sent in one write come back as two lines", || {
        let mut c = Client::connect(addr, "the client")?;
        c.send("a\nb\n")?;
        expect_eq("first reply", "A".to_string(), c.line()?)?;
        expect_eq("second reply", "B".to_string(), c.line()?)
    });
    check.step(
        "the server closes the connection after the client does",
        || {
            let mut c = Client::connect(addr, "the client")?;
            c.send("last\n")?;
            c.close_write();
            let rest = c.read_to_end()?;
            expect_eq(
                "everything up to end of file",
                "LAST\n",
                &String::from_utf8_lossy(&rest),
            )
        },
    );
    check.finish()
}
