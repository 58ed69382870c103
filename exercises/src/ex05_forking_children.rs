//! Exercise 05: a forking server that counts its children.   (lessons 11, 16)
//!
//! Each client is served by a child process (ForkingTcpServer). The child
//! first tells the client who it is, then echoes lines until the client
//! leaves:
//!
//! ```text
//! S: pid=4242 ppid=4200        (the child's pid, and its parent: the server)
//! C: hi                        S: hi
//! ```
//!
//! The server (the parent) prints `children: N` each time the number of its
//! live children changes; when clients leave, their children must be reaped
//! (no zombies, 僵尸进程) and the count must go back to `children: 0`.
//!
//! Check it with `cargo exercise 05`; stuck? `cargo hint 05`. The check runs
//! `serve("127.0.0.1:0")` in a process of its own: never fork from a
//! process with several threads.

use std::io::{self, BufRead, Write};

use framework::{ForkingTcpServer, RequestHandler, StreamRequest};

use exercises::kit::announce;

/// Serves one client, in a child process.
pub struct ChildInfo;

impl RequestHandler<StreamRequest> for ChildInfo {
    fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        // TODO: first write "pid=<this process's pid> ppid=<its parent's pid>\n".
        let mut line = String::new();
        while req.rfile.read_line(&mut line)? > 0 {
            req.wfile.write_all(line.as_bytes())?;
            line.clear();
        }
        Ok(())
    }
}

/// Binds a forking server on `address`, announces it and serves forever,
/// printing `children: N` whenever the number of live children changes.
pub fn serve(address: &str) -> io::Result<()> {
    let server = ForkingTcpServer::bind(address, || ChildInfo)?;
    announce("children, forking", &server.server_address());
    // TODO: serve_forever never lets you look at the server between
    // requests. Loop on handle_request() with a short timeout instead, and
    // print "children: N" (server.mixin().active_children()) when N changes.
    server.serve_forever()
}
