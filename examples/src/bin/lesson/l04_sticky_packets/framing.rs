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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A reader that returns one byte per read: the worst cutting TCP could do.
    struct OneByteAtATime(Cursor<Vec<u8>>);

    impl Read for OneByteAtATime {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let end = buf.len().min(1);
            self.0.read(&mut buf[..end])
        }
    }

    #[test]
    fn glued_frames_come_apart_and_cut_frames_come_together() {
        let mut stream = Vec::new();
        for message in [&b"msg1;"[..], b"", b"a longer second message"] {
            write_frame(&mut stream, message).unwrap();
        }
        // All three frames glued in one buffer, read one byte at a time.
        let mut input = OneByteAtATime(Cursor::new(stream));
        assert_eq!(read_frame(&mut input).unwrap().unwrap(), b"msg1;");
        assert_eq!(read_frame(&mut input).unwrap().unwrap(), b"");
        assert_eq!(
            read_frame(&mut input).unwrap().unwrap(),
            b"a longer second message"
        );
        assert!(read_frame(&mut input).unwrap().is_none(), "clean end");
    }

    #[test]
    fn a_frame_cut_short_is_an_error_not_a_message() {
        let mut stream = Vec::new();
        write_frame(&mut stream, b"hello").unwrap();
        stream.truncate(6); // the length and one byte of "hello"
        let error = read_frame(&mut Cursor::new(stream)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        // Cut inside the length itself.
        let error = read_frame(&mut Cursor::new(vec![0, 0])).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_huge_length_is_refused_before_allocating() {
        let error = read_frame(&mut Cursor::new(u32::MAX.to_be_bytes().to_vec())).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        let too_long = vec![0u8; MAX_FRAME as usize + 1];
        let error = write_frame(&mut Vec::new(), &too_long).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }
}
