//! `raw-udp-server PORT`: a UDP echo server with bare socket calls,
//! printing each one:
//!
//! ```text
//! socket(SOCK_DGRAM) -> bind() -> loop { recvfrom() -> sendto() }
//! ```
//!
//! No listen, no accept, no connection: one socket receives datagrams from
//! every client, and each datagram carries its sender's address, which is
//! where the answer goes.

use std::ffi::OsString;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::process::ExitCode;

use socket2::{Domain, Protocol, Socket, Type};

/// Runs the server: `args` are the program name and the port (0 = any free one).
pub fn main(args: Vec<OsString>) -> ExitCode {
    let port = args
        .get(1)
        .and_then(|a| a.to_str())
        .and_then(|a| a.parse::<u16>().ok())
        .unwrap_or(0);
    match serve(port) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("raw-udp-server: {err}");
            ExitCode::FAILURE
        }
    }
}

fn serve(port: u16) -> io::Result<()> {
    // 1. socket(AF_INET, SOCK_DGRAM): a datagram socket.
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    let fd = socket.as_raw_fd();
    // 2. bind(): the address clients send to. That is all the set-up UDP needs.
    let address: SocketAddr = ([127, 0, 0, 1], port).into();
    socket.bind(&address.into())?;
    let socket: UdpSocket = socket.into();
    let local = socket.local_addr()?;
    println!(
        "Serving raw UDP echo on {} port {} ...",
        local.ip(),
        local.port()
    );
    println!("socket(SOCK_DGRAM) -> fd {fd}; bind({local}); no listen(), no accept()");
    // 65507 bytes is the largest payload a UDP/IPv4 datagram can carry.
    let mut buffer = vec![0u8; 65507];
    loop {
        // 3. recvfrom(): one whole datagram, and who sent it.
        let (n, sender) = socket.recv_from(&mut buffer)?;
        let data = &buffer[..n];
        println!(
            "recvfrom() -> {n} bytes {:?} from {sender}",
            String::from_utf8_lossy(data)
        );
        // 4. sendto(): the answer goes back to that sender's address.
        socket.send_to(data, sender)?;
        println!("sendto({sender}) -> {n} bytes back");
    }
}
