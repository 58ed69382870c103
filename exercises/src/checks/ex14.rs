//! Check of exercise 14: the UDP chat room's join and leave notices.

use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;

use framework::{DatagramRequest, RequestHandler, UdpServer};

use crate::kit::{Checker, REPLY_DEADLINE, Running, StepResult, expect_eq};

/// One member's socket: what it sends comes from its own address.
struct Member {
    socket: UdpSocket,
    name: &'static str,
    server: SocketAddr,
}

impl Member {
    fn new(name: &'static str, server: SocketAddr) -> Result<Member, String> {
        let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        socket
            .set_read_timeout(Some(REPLY_DEADLINE))
            .map_err(|e| e.to_string())?;
        Ok(Member {
            socket,
            name,
            server,
        })
    }

    fn send(&self, request: &str) -> StepResult {
        self.socket
            .send_to(request.as_bytes(), self.server)
            .map(drop)
            .map_err(|e| format!("{} could not send: {e}", self.name))
    }

    /// The next datagram this member receives.
    fn next(&self) -> Result<String, String> {
        let mut buf = [0u8; 2048];
        match self.socket.recv_from(&mut buf) {
            Ok((n, _)) => Ok(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(_) => Err(format!(
                "{} waited {} s and received nothing",
                self.name,
                REPLY_DEADLINE.as_secs()
            )),
        }
    }

    fn expect(&self, want: &str) -> StepResult {
        expect_eq(
            &format!("what {} received next", self.name),
            want.to_string(),
            self.next()?,
        )
    }
}

/// Runs the check against chat handlers made by `factory` (one room).
pub fn run<H, F>(factory: F) -> ExitCode
where
    H: RequestHandler<DatagramRequest>,
    F: Fn() -> H + Send + Sync + 'static,
{
    let mut check = Checker::new("14");
    let server = Running::start(UdpServer::bind("127.0.0.1:0", factory).expect("bind 127.0.0.1:0"));
    let addr = server.address;
    let members = (|| -> Result<_, String> {
        Ok((
            Member::new("alice", addr)?,
            Member::new("bob", addr)?,
            Member::new("carol", addr)?,
        ))
    })();
    let (alice, bob, carol) = match members {
        Ok(m) => m,
        Err(why) => {
            check.step("three sockets for the members", || Err(why));
            return check.finish();
        }
    };

    check.step("\"L alice\" is answered \"OK\"", || {
        alice.send("L alice")?;
        alice.expect("OK")
    });
    check.step(
        "when bob joins, alice gets \"* bob has joined the chat\"",
        || {
            bob.send("L bob")?;
            bob.expect("OK")?;
            alice.expect("* bob has joined the chat")
        },
    );
    check.step(
        "bob does not get his own notice; his messages reach alice",
        || {
            bob.send("C bob hello")?;
            alice.expect("bob: hello")?;
            alice.send("C alice hi bob")?;
            // Had bob got his own notice, it would come before alice's message.
            bob.expect("alice: hi bob")
        },
    );
    check.step(
        "a name that is taken is refused, and nobody is told anything",
        || {
            carol.send("L bob")?;
            carol.expect("ERR the name \"bob\" is taken")?;
            carol.send("L carol")?;
            carol.expect("OK")?;
            alice.expect("* carol has joined the chat").map_err(|why| {
                format!("{why}\n(a refused join must not be announced: only carol's real one)")
            })?;
            bob.expect("* carol has joined the chat")
        },
    );
    check.step(
        "\"Q bob\": bob gets \"EXIT\", the others \"* bob has left the chat\"",
        || {
            bob.send("Q bob")?;
            bob.expect("EXIT")?;
            alice.expect("* bob has left the chat")?;
            carol.expect("* bob has left the chat")
        },
    );
    check.step(
        "after leaving, bob is no longer a member: his messages reach nobody",
        || {
            bob.send("C bob am I still here?")?;
            bob.expect("ERR not joined: send \"L <name>\" first")?;
            carol.send("C carol bye bob")?;
            // Had bob's message reached alice, it would come first.
            alice.expect("carol: bye bob")
        },
    );
    check.step("the name is free again: a new member can be bob", || {
        let bob2 = Member::new("the new bob", addr)?;
        bob2.send("L bob")?;
        bob2.expect("OK")?;
        alice.expect("* bob has joined the chat")?;
        carol.expect("* bob has joined the chat")
    });
    check.finish()
}
