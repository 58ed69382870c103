//! Exercise 05, a reference solution: a forking server that counts its children.

use std::io::{self, BufRead, Write};
use std::time::Duration;

use framework::{ForkingTcpServer, RequestHandler, StreamRequest};

use exercises::kit::announce;

/// Serves one client, in a child process.
pub struct ChildInfo;

impl RequestHandler<StreamRequest> for ChildInfo {
    fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        // This runs after fork(): in the child, whose parent is the server.
        let pid = std::process::id();
        let ppid = nix::unistd::getppid();
        writeln!(req.wfile, "pid={pid} ppid={ppid}")?;
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
    let mut server = ForkingTcpServer::bind(address, || ChildInfo)?;
    // handle_request returns after one request or after this long, so the
    // loop below looks at the children at least ten times a second.
    server.set_timeout(Some(Duration::from_millis(100)));
    announce("children, forking", &server.server_address());
    let mut last = 0;
    loop {
        // Accepts and forks at most one child, then reaps every finished
        // child (waitpid with WNOHANG), so none stays a zombie.
        server.handle_request()?;
        let now = server.mixin().active_children();
        if now != last {
            println!("children: {now}");
            last = now;
        }
    }
}
