//! Exercise 02, a reference solution: a UDP time server.

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use framework::{DatagramRequest, RequestHandler};

/// Tells the time to whoever asks.
pub struct TimeServer;

impl RequestHandler<DatagramRequest> for TimeServer {
    fn handle(&mut self, req: &mut DatagramRequest) -> io::Result<()> {
        let request = String::from_utf8_lossy(req.packet()).trim().to_string();
        if request == "time" {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_err(io::Error::other)?;
            // Written into wfile; the framework sends it as one datagram
            // to the sender after finish().
            write!(req.wfile, "{}", now.as_secs())
        } else {
            write!(req.wfile, "unknown request: {request}")
        }
    }
}
