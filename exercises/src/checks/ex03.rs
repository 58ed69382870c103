//! Check of exercise 03: the line codec, alone and inside a real server.

use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use framework::{RequestHandler, StreamRequest, ThreadingTcpServer};

use crate::kit::{Checker, Client, Running, expect_eq};

type Decode<C> = fn(&mut C, &[u8]) -> io::Result<Vec<String>>;
type Encode = fn(&str) -> io::Result<Vec<u8>>;

/// A server handler built on the learner's codec: it reads raw chunks and
/// answers each decoded line with `<n> bytes: <line>`.
struct Framed<C> {
    codec: C,
    decode: Decode<C>,
    encode: Encode,
}

impl<C: Send + 'static> RequestHandler<StreamRequest> for Framed<C> {
    fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        let mut chunk = [0u8; 4096];
        loop {
            // Whatever one read returns: part of a line, or several.
            let n = req.rfile.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            for line in (self.decode)(&mut self.codec, &chunk[..n])? {
                let reply = (self.encode)(&format!("{} bytes: {line}", line.len()))?;
                req.wfile.write_all(&reply)?;
            }
        }
    }
}

/// Runs the check against the learner's codec.
pub fn run<C: Send + 'static>(
    new: fn() -> C,
    decode: Decode<C>,
    encode: Encode,
    max_line: usize,
) -> ExitCode {
    let mut check = Checker::new("03");
    let feed = |chunks: &[&[u8]]| -> Result<Vec<Vec<String>>, String> {
        let mut codec = new();
        chunks
            .iter()
            .map(|chunk| decode(&mut codec, chunk).map_err(|e| format!("decode failed: {e}")))
            .collect()
    };
    check.step("one whole line in one read", || {
        expect_eq(
            "decode(\"hello\\n\")",
            vec![vec!["hello".to_string()]],
            feed(&[b"hello\n"])?,
        )
    });
    check.step(
        "a line split across two reads comes out once, whole",
        || {
            expect_eq(
                "decode(\"hel\"), then decode(\"lo\\n\")",
                vec![vec![], vec!["hello".to_string()]],
                feed(&[b"hel", b"lo\n"])?,
            )
        },
    );
    check.step("two lines and a half in one read (粘包)", || {
        expect_eq(
            "decode(\"a\\nb\\nc\"), then decode(\"\\n\")",
            vec![
                vec!["a".to_string(), "b".to_string()],
                vec!["c".to_string()],
            ],
            feed(&[b"a\nb\nc", b"\n"])?,
        )
    });
    check.step("\"\\r\\n\" line endings lose the \"\\r\" too", || {
        expect_eq(
            "decode(\"x\\r\\n\")",
            vec![vec!["x".to_string()]],
            feed(&[b"x\r\n"])?,
        )
    });
    check.step("an empty line is a message too", || {
        expect_eq(
            "decode(\"\\n\\n\")",
            vec![vec![String::new(), String::new()]],
            feed(&[b"\n\n"])?,
        )
    });
    check.step(
        "endless bytes without a newline are refused, not buffered forever",
        || {
            let mut codec = new();
            let piece = vec![b'x'; max_line / 2 + 1];
            for _ in 0..4 {
                if decode(&mut codec, &piece).is_err() {
                    return Ok(());
                }
            }
            Err(format!(
                "{} bytes without a newline were accepted; MAX_LINE is {max_line}",
                4 * piece.len()
            ))
        },
    );
    check.step("encode adds the newline and refuses one inside", || {
        expect_eq(
            "encode(\"hi\")",
            b"hi\n".to_vec(),
            encode("hi").map_err(|e| e.to_string())?,
        )?;
        match encode("two\nlines") {
            Err(_) => Ok(()),
            Ok(bytes) => Err(format!(
                "encode(\"two\\nlines\") gave {:?}: the peer would read two messages",
                String::from_utf8_lossy(&bytes)
            )),
        }
    });
    check.step(
        "over TCP: lines split and glued by the sender arrive whole",
        || {
            let mut server = ThreadingTcpServer::bind("127.0.0.1:0", move || Framed {
                codec: new(),
                decode,
                encode,
            })
            .map_err(|e| e.to_string())?;
            server.mixin_mut().daemon_threads = true;
            let server = Running::start(server);
            let mut client = Client::connect(server.address, "the client")?;
            // Separate writes with pauses, so the server's reads see the pieces
            // (TCP may still join them; the codec must be right either way).
            for piece in ["hel", "lo\nwor", "ld\nthe ", "end\n"] {
                client.send(piece)?;
                thread::sleep(Duration::from_millis(30));
            }
            for want in ["5 bytes: hello", "5 bytes: world", "7 bytes: the end"] {
                expect_eq("the server's reply", want.to_string(), client.line()?)?;
            }
            Ok(())
        },
    );
    check.finish()
}
