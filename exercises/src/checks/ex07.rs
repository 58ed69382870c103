//! Check of exercise 07: /who in the small chat room.

use std::process::ExitCode;

use framework::{RequestHandler, StreamRequest, ThreadingTcpServer};

use crate::kit::{Checker, Client, Running, StepResult, expect_eq};

/// Joins the room as `name`, waiting for the welcome.
fn join(addr: std::net::SocketAddr, name: &str) -> Result<Client, String> {
    let mut c = Client::connect(addr, name)?;
    expect_eq("the server's first line", "name?".to_string(), c.line()?)?;
    c.send(format!("{name}\n"))?;
    expect_eq(
        &format!("{name}'s welcome"),
        format!("* welcome, {name}"),
        c.line()?,
    )?;
    Ok(c)
}

fn expect_line(c: &mut Client, want: &str) -> StepResult {
    let what = format!("{}'s next line", c.name);
    expect_eq(&what, want.to_string(), c.line()?)
}

/// Runs the check against chat handlers made by `factory` (all sharing one room).
pub fn run<H, F>(factory: F) -> ExitCode
where
    H: RequestHandler<StreamRequest>,
    F: Fn() -> H + Send + Sync + 'static,
{
    let mut check = Checker::new("07");
    let mut server = ThreadingTcpServer::bind("127.0.0.1:0", factory).expect("bind 127.0.0.1:0");
    server.mixin_mut().daemon_threads = true;
    let server = Running::start(server);
    let addr = server.address;

    // carol, alice and bob join, in that order; each sees the later ones arrive.
    let joined = (|| -> Result<[Client; 3], String> {
        let mut carol = join(addr, "carol")?;
        let mut alice = join(addr, "alice")?;
        expect_line(&mut carol, "* alice joined")?;
        let bob = join(addr, "bob")?;
        expect_line(&mut carol, "* bob joined")?;
        expect_line(&mut alice, "* bob joined")?;
        Ok([alice, bob, carol])
    })();
    let [mut alice, mut bob, mut carol] = match joined {
        Ok(clients) => clients,
        Err(why) => {
            check.step("three members join the room (this part is given)", || {
                Err(why)
            });
            return check.finish();
        }
    };

    check.step("/who lists every member, sorted by name", || {
        alice.send("/who\n")?;
        expect_line(&mut alice, "* online: alice, bob, carol")
    });
    check.step(
        "/who is answered to the one who asked, and to nobody else",
        || {
            // If /who had reached bob or carol, it would come before this message.
            bob.send("hello\n")?;
            expect_line(&mut carol, "bob: hello")?;
            expect_line(&mut alice, "bob: hello")?;
            // And had it reached bob, it would come before carol's next one.
            carol.send("hi\n")?;
            expect_line(&mut alice, "carol: hi")?;
            match bob.line()? {
                line if line == "carol: hi" => Ok(()),
                line => Err(format!("bob got {line:?}, which was meant for alice only")),
            }
        },
    );
    check.step("after someone leaves, /who no longer lists them", || {
        carol.send("/quit\n")?;
        expect_line(&mut alice, "* carol left")?;
        expect_line(&mut bob, "* carol left")?;
        bob.send("/who\n")?;
        expect_line(&mut bob, "* online: alice, bob")
    });
    check.step(
        "the room still works: messages still reach the others",
        || {
            alice.send("bye\n")?;
            expect_line(&mut bob, "alice: bye")
        },
    );
    check.finish()
}
