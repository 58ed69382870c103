//! `raw-echo-server PORT`: the echo server with nothing but the operating
//! system's socket calls, one per step, each printed as it happens:
//!
//! ```text
//! socket() -> bind() -> listen() -> loop { accept() -> loop { recv() -> send() } -> close() }
//! ```
//!
//! It serves one client at a time (the course's "loop server", 循环服务器);
//! `examples/src/echo.rs` is the same server on the framework.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
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
            eprintln!("raw-echo-server: {err}");
            ExitCode::FAILURE
        }
    }
}

fn serve(port: u16) -> io::Result<()> {
    // 1. socket(): a new TCP/IPv4 socket, a file descriptor like any other.
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    let fd = socket.as_raw_fd();
    // Lets a restarted server bind again at once (lesson 05 shows why).
    socket.set_reuse_address(true)?;
    // 2. bind(): give it an address, ("127.0.0.1", port) in Python.
    let address: SocketAddr = ([127, 0, 0, 1], port).into();
    socket.bind(&address.into())?;
    // 3. listen(): make it a listening socket with a queue of 5 connections.
    socket.listen(5)?;
    // From here on std's type does the same calls with a friendlier API.
    // (`TcpListener::bind` alone does steps 1-3, with a queue of 128.)
    let listener: TcpListener = socket.into();
    let local = listener.local_addr()?;
    println!(
        "Serving raw echo on {} port {} ...",
        local.ip(),
        local.port()
    );
    println!("socket() -> fd {fd}; bind({local}); listen(5)");
    loop {
        println!("accept() ... blocks until a client connects");
        // 4. accept(): a NEW socket for this one client; the listening
        //    socket stays open for the next.
        let (connection, peer) = listener.accept()?;
        println!(
            "accept() -> fd {} connected to client {peer}",
            connection.as_raw_fd()
        );
        if let Err(err) = echo(connection) {
            println!("error with client {peer}: {err}");
        }
    }
}

/// recv() and send() until the client closes its side.
fn echo(mut connection: TcpStream) -> io::Result<()> {
    let mut buffer = [0u8; 1024];
    loop {
        // 5. recv(1024): at most 1024 bytes of whatever has arrived.
        let n = connection.read(&mut buffer)?;
        if n == 0 {
            // 0 bytes means end of stream: the client shut down or closed.
            println!("recv() -> 0 bytes: the client closed its side; close()");
            return Ok(()); // 7. close(): dropping the socket closes it.
        }
        let data = &buffer[..n];
        println!("recv() -> {n} bytes {:?}", String::from_utf8_lossy(data));
        // 6. sendall(): write_all repeats send() until every byte is out
        //    (a single send() may take only part of them).
        connection.write_all(data)?;
        println!("sendall() -> {n} bytes back");
    }
}
