//! Length-prefix framing: the cure for 粘包 used in this lesson.
//!
//! A TCP connection is one long stream of bytes; it does not remember where
//! one `send` ended and the next began. So the sender writes the boundary
//! into the stream itself: every message goes out as a 4-byte big-endian
//! length followed by that many bytes, and the receiver reads exactly the
//! length, then exactly the message, however the bytes were cut or glued
//! on the way.

use std::io::{self, Read, Write};

/// The largest message accepted: a corrupt or hostile length must not make
/// the receiver allocate gigabytes.
pub const MAX_FRAME: u32 = 16 * 1024 * 1024;

/// Writes one message as `length (u32, big-endian) + bytes`, in a single
/// write so the header and body are never sent as two tiny packets.
pub fn write_frame(out: &mut impl Write, message: &[u8]) -> io::Result<()> {
    let length = u32::try_from(message.len())
        .ok()
        .filter(|&n| n <= MAX_FRAME)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "message too long"))?;
    let mut frame = Vec::with_capacity(4 + message.len());
    frame.extend_from_slice(&length.to_be_bytes());
    frame.extend_from_slice(message);
    out.write_all(&frame)
}

/// Reads one message; `Ok(None)` at a clean end of stream (between
/// messages). An end of stream inside a message is an error: the message
/// was cut short.
pub fn read_frame(input: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0u8; 4];
    // read_exact loops over recv() until it has all 4 bytes, however
    // they were split; only "nothing at all" counts as a clean end.
    match input.read(&mut header[..1])? {
        0 => return Ok(None),
        _ => input.read_exact(&mut header[1..])?,
    }
    let length = u32::from_be_bytes(header);
    if length > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {length} bytes is over the limit"),
        ));
    }
    let mut message = vec![0u8; length as usize];
    input.read_exact(&mut message)?;
    Ok(Some(message))
}
