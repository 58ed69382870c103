//! Exercise 02: a UDP time server.                      (lesson 03)
//!
//! A client sends one datagram; the server answers with one datagram:
//!
//! ```text
//! C: time             S: 1732368000          (seconds since 1970-01-01 UTC, in decimal)
//! C: time\n           S: 1732368000          (surrounding whitespace is ignored)
//! C: date             S: unknown request: date
//! ```
//!
//! Check it with `cargo exercise 02`; stuck? `cargo hint 02`.
//! The check runs your handler on a UdpServer on 127.0.0.1:0.

use std::io;

use framework::{DatagramRequest, RequestHandler};

/// Tells the time to whoever asks.
pub struct TimeServer;

impl RequestHandler<DatagramRequest> for TimeServer {
    fn handle(&mut self, req: &mut DatagramRequest) -> io::Result<()> {
        // TODO: answer "time" with the seconds since 1970 and anything else
        // with "unknown request: <what was sent>". This version only sends
        // the request back (whatever is in req.wfile becomes the reply).
        let request = req.packet().to_vec();
        req.wfile.extend_from_slice(&request);
        Ok(())
    }
}
