//! A handler that says when each of its three methods runs, and where.

use std::io::{self, BufRead, Write};

use framework::{DatagramRequest, RequestHandler, StreamRequest};

use super::where_am_i::{trace, where_am_i};

/// Answers each line (TCP) or datagram (UDP) in capitals, tracing its life.
pub struct TraceHandler;

impl RequestHandler<StreamRequest> for TraceHandler {
    fn setup(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        trace(
            4,
            &format!("setup   for {} ({})", req.client_address, where_am_i()),
        );
        Ok(())
    }

    fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        let mut line = String::new();
        while req.rfile.read_line(&mut line)? > 0 {
            let answer = line.to_uppercase();
            trace(4, &format!("handle  read {line:?}, answers {answer:?}"));
            req.wfile.write_all(answer.as_bytes())?;
            line.clear();
        }
        trace(4, "handle  read end of file: the client is done");
        Ok(())
    }

    fn finish(&mut self, _req: &mut StreamRequest) -> io::Result<()> {
        trace(4, &format!("finish  ({})", where_am_i()));
        Ok(())
    }
}

impl RequestHandler<DatagramRequest> for TraceHandler {
    fn setup(&mut self, req: &mut DatagramRequest) -> io::Result<()> {
        trace(
            4,
            &format!("setup   for {} ({})", req.client_address, where_am_i()),
        );
        Ok(())
    }

    fn handle(&mut self, req: &mut DatagramRequest) -> io::Result<()> {
        let text = String::from_utf8_lossy(req.packet()).into_owned();
        trace(
            4,
            &format!("handle  got the datagram {text:?}; writes the reply into wfile"),
        );
        req.wfile.write_all(text.to_uppercase().as_bytes())
    }

    fn finish(&mut self, _req: &mut DatagramRequest) -> io::Result<()> {
        trace(
            4,
            &format!(
                "finish  ({}); the framework sends wfile as ONE datagram after this",
                where_am_i()
            ),
        );
        Ok(())
    }
}
