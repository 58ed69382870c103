//! Check of exercise 06: the allow-list as a verify_request hook.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;

use framework::{Address, RequestHandler, StreamRequest, ThreadingTcpServer};
use socket2::{Domain, Socket, Type};

use crate::kit::{Checker, Client, Running, expect_eq};

/// Greets whoever gets through.
struct Welcome;

impl RequestHandler<StreamRequest> for Welcome {
    fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        writeln!(
            req.wfile,
            "welcome, {}",
            req.client_address
                .inet()
                .map_or("?".into(), |a| a.ip().to_string())
        )
    }
}

/// Connects to `server` from the local address `from` (any 127.x.y.z works on Linux).
fn connect_from(from: Ipv4Addr, server: SocketAddr) -> Result<Client, String> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).map_err(|e| e.to_string())?;
    socket
        .bind(&SocketAddr::from((from, 0)).into())
        .map_err(|e| format!("could not bind a client to {from}: {e}"))?;
    socket
        .connect(&server.into())
        .map_err(|e| format!("could not connect from {from}: {e}"))?;
    Client::from_stream(TcpStream::from(socket), &format!("the client from {from}"))
}

/// Runs the check against the learner's `is_allowed`.
pub fn run(is_allowed: fn(&[IpAddr], &Address) -> bool) -> ExitCode {
    let mut check = Checker::new("06");
    let allowed: Vec<IpAddr> = vec![Ipv4Addr::LOCALHOST.into()];
    let mut server = ThreadingTcpServer::bind("127.0.0.1:0", || Welcome).expect("bind 127.0.0.1:0");
    server.mixin_mut().daemon_threads = true;
    let list = allowed.clone();
    server.set_verify_request(move |client| is_allowed(&list, client));
    let server = Running::start(server);
    let addr = server.address;

    check.step("a client from 127.0.0.1 (on the list) is welcomed", || {
        let mut c = connect_from(Ipv4Addr::LOCALHOST, addr)?;
        expect_eq("the greeting", "welcome, 127.0.0.1".to_string(), c.line()?)
    });
    check.step(
        "a client from 127.0.0.2 (not on the list) is shut out at once",
        || {
            let mut c = connect_from(Ipv4Addr::new(127, 0, 0, 2), addr)?;
            let got = c.read_to_end()?;
            if got.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "it was served: the server sent {:?}",
                    String::from_utf8_lossy(&got)
                ))
            }
        },
    );
    check.step("an empty list lets nobody in", || {
        let client = Address::Inet(SocketAddr::from(([127, 0, 0, 1], 4000)));
        expect_eq(
            "is_allowed(&[], 127.0.0.1:4000)",
            false,
            is_allowed(&[], &client),
        )
    });
    check.step("Unix-socket clients (no IP address) are refused", || {
        let named = Address::Unix(Some(PathBuf::from("/tmp/client.sock")));
        expect_eq(
            "is_allowed(list, /tmp/client.sock)",
            false,
            is_allowed(&allowed, &named),
        )?;
        expect_eq(
            "is_allowed(list, an unnamed Unix peer)",
            false,
            is_allowed(&allowed, &Address::Unix(None)),
        )
    });
    check.step(
        "an IPv4 client seen through IPv6 (::ffff:127.0.0.1) matches 127.0.0.1",
        || {
            let mapped: SocketAddr = "[::ffff:127.0.0.1]:4000".parse().expect("a valid address");
            expect_eq(
                "is_allowed([127.0.0.1], [::ffff:127.0.0.1]:4000)",
                true,
                is_allowed(&allowed, &Address::Inet(mapped)),
            )?;
            let other: SocketAddr = "[::ffff:127.0.0.2]:4000".parse().expect("a valid address");
            expect_eq(
                "is_allowed([127.0.0.1], [::ffff:127.0.0.2]:4000)",
                false,
                is_allowed(&allowed, &Address::Inet(other)),
            )
        },
    );
    check.step("IPv6 ::1 is its own address, not 127.0.0.1", || {
        let v6: SocketAddr = "[::1]:4000".parse().expect("a valid address");
        expect_eq(
            "is_allowed([127.0.0.1], [::1]:4000)",
            false,
            is_allowed(&allowed, &Address::Inet(v6)),
        )?;
        expect_eq(
            "is_allowed([::1], [::1]:4000)",
            true,
            is_allowed(&["::1".parse().expect("ip")], &Address::Inet(v6)),
        )
    });
    check.finish()
}
