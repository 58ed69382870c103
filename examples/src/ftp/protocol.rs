//! The wire protocol, shared by the server and the client.
//!
//! ```text
//! request  = ( "L" | "G " name | "P " size " " name | "Q" ) LF
//! reply    = ( "OK" [ " " size ] | reason ) LF        then `size` bytes of body, if given
//! ```
//!
//! A line is the frame of a request or a reply: it ends at the first LF,
//! which can never appear inside it (names and reasons have no control
//! characters). A body (a listing, a file) is framed by the size sent
//! before it. Nothing is ever "the rest of what recv returned", so two
//! messages cannot run together, and no byte value inside a file is special.
//! See `notes/ftp-protocol.md` for the full specification.

use std::fmt;
use std::io::{self, BufRead};

/// The port the course's server listens on.
pub const DEFAULT_PORT: u16 = 8080;

/// The longest request or reply line, LF included. A longer line is refused
/// without being stored, so a client cannot make the server allocate more.
pub const MAX_LINE: usize = 1024;

/// The longest file name, in bytes (the usual file-system limit).
pub const MAX_NAME: usize = 255;

/// What a client asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `L`: the names of the files in the library.
    List,
    /// `G name`: one file's bytes.
    Get(String),
    /// `P size name`: store `size` bytes, sent after the server's `OK`, as `name`.
    Put {
        /// How many bytes the client will send.
        size: u64,
        /// The name to store them under.
        name: String,
    },
    /// `Q`: goodbye; the server closes the connection.
    Quit,
}

impl Request {
    /// The request line, LF included, as it goes on the wire.
    pub fn to_line(&self) -> String {
        match self {
            Request::List => "L\n".to_string(),
            Request::Get(name) => format!("G {name}\n"),
            Request::Put { size, name } => format!("P {size} {name}\n"),
            Request::Quit => "Q\n".to_string(),
        }
    }

    /// Parses a request line (without its LF). An `Err` is the reason to
    /// send back; the connection stays usable, because the line was whole.
    pub fn parse(line: &[u8]) -> Result<Request, String> {
        let Ok(line) = std::str::from_utf8(line) else {
            return Err("bad request: not UTF-8".to_string());
        };
        // Only the first space separates: a name may contain spaces (the
        // course's `data.split(' ')[-1]` cut such names short).
        let (letter, rest) = match line.split_once(' ') {
            Some((letter, rest)) => (letter, Some(rest)),
            None => (line, None),
        };
        match (letter, rest) {
            ("L", None) => Ok(Request::List),
            ("Q", None) => Ok(Request::Quit),
            ("G", Some(name)) => Ok(Request::Get(checked_name(name)?)),
            ("P", Some(rest)) => {
                let (size, name) = rest.split_once(' ').unwrap_or((rest, ""));
                let size =
                    parse_size(size).ok_or_else(|| format!("bad size {:?}", shorten(size)))?;
                Ok(Request::Put {
                    size,
                    name: checked_name(name)?,
                })
            }
            ("L" | "Q", Some(_)) => Err(format!("bad request: {letter} takes no argument")),
            ("G" | "P", None) => Err(format!("bad request: {letter} needs a name")),
            _ => Err(format!("unknown request {:?}", shorten(letter))),
        }
    }
}

/// A size: decimal digits only (no sign, no spaces), at most a `u64`.
pub fn parse_size(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Why a name is refused, or `None` when it is a plain file name the
/// library may hold: not empty, not `.`/`..`, not hidden (the library's own
/// temporary files are hidden), no `/`, `\`, NUL or other control
/// character, at most [`MAX_NAME`] bytes.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("the name is empty")
    } else if name.len() > MAX_NAME {
        Some("the name is longer than 255 bytes")
    } else if name == "." || name == ".." {
        Some("the name is a directory")
    } else if name.contains(['/', '\\']) {
        Some("a name cannot contain / or \\")
    } else if name.starts_with('.') {
        Some("hidden names (starting with a dot) are not served")
    } else if name.chars().any(char::is_control) {
        Some("a name cannot contain control characters")
    } else {
        None
    }
}

/// The name itself when it is acceptable, else the reason to reply.
fn checked_name(name: &str) -> Result<String, String> {
    match name_problem(name) {
        None => Ok(name.to_string()),
        Some(problem) => Err(format!("bad name: {problem}")),
    }
}

/// At most 20 characters of untrusted text, for a reply.
fn shorten(text: &str) -> String {
    text.chars().take(20).collect()
}

/// A reply line: success, with the size of the body that follows if any,
/// or the reason for a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `OK`, or `OK size` followed by `size` bytes.
    Ok(Option<u64>),
    /// Anything else: the reason, in words for a person.
    Refused(String),
}

impl Reply {
    /// Parses a reply line (without its LF): it is a success when it is
    /// `OK` or starts with `OK `; every other line is a reason.
    pub fn parse(line: &[u8]) -> Result<Reply, String> {
        let text = String::from_utf8_lossy(line);
        if text == "OK" {
            return Ok(Reply::Ok(None));
        }
        match text.strip_prefix("OK ") {
            Some(size) => parse_size(size)
                .map(|size| Reply::Ok(Some(size)))
                .ok_or_else(|| format!("bad reply from the server: {text:?}")),
            None => Ok(Reply::Refused(text.into_owned())),
        }
    }
}

impl fmt::Display for Reply {
    /// The reply line without its LF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Ok(None) => write!(f, "OK"),
            Reply::Ok(Some(size)) => write!(f, "OK {size}"),
            Reply::Refused(reason) => write!(f, "{reason}"),
        }
    }
}

/// Why [`read_line`] found no whole line.
#[derive(Debug)]
pub enum LineError {
    /// More than `limit` bytes arrived without an LF.
    TooLong,
    /// The peer closed the connection in the middle of a line.
    Truncated,
    /// Reading failed (a timeout, a reset...).
    Io(io::Error),
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::TooLong => write!(f, "line longer than {MAX_LINE} bytes"),
            LineError::Truncated => write!(f, "connection closed in the middle of a line"),
            LineError::Io(err) => write!(f, "{err}"),
        }
    }
}

/// Reads one line of at most `limit` bytes (LF included) and returns it
/// without the LF; `Ok(None)` when the peer closed the connection cleanly
/// before the line began.
///
/// Unlike `read_line`, this never holds more than `limit` bytes, whatever
/// the peer sends.
pub fn read_line(reader: &mut impl BufRead, limit: usize) -> Result<Option<Vec<u8>>, LineError> {
    let mut line = Vec::new();
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(LineError::Io(err)),
        };
        if available.is_empty() {
            return if line.is_empty() {
                Ok(None)
            } else {
                Err(LineError::Truncated)
            };
        }
        let room = limit - line.len();
        match available.iter().take(room).position(|&b| b == b'\n') {
            Some(end) => {
                line.extend_from_slice(&available[..end]);
                reader.consume(end + 1);
                return Ok(Some(line));
            }
            None if available.len() >= room => return Err(LineError::TooLong),
            None => {
                let n = available.len();
                line.extend_from_slice(available);
                reader.consume(n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_four_requests() {
        assert_eq!(Request::parse(b"L"), Ok(Request::List));
        assert_eq!(Request::parse(b"Q"), Ok(Request::Quit));
        assert_eq!(
            Request::parse(b"G my file.txt"),
            Ok(Request::Get("my file.txt".into()))
        );
        assert_eq!(
            Request::parse(b"P 12 a b"),
            Ok(Request::Put {
                size: 12,
                name: "a b".into()
            })
        );
        for request in [
            Request::List,
            Request::Get("x y".into()),
            Request::Put {
                size: 0,
                name: "z".into(),
            },
        ] {
            let line = request.to_line();
            assert_eq!(
                Request::parse(&line.as_bytes()[..line.len() - 1]),
                Ok(request)
            );
        }
    }

    #[test]
    fn refuses_bad_requests_with_a_reason() {
        assert!(
            Request::parse(b"X")
                .unwrap_err()
                .starts_with("unknown request")
        );
        assert!(
            Request::parse(b"")
                .unwrap_err()
                .starts_with("unknown request")
        );
        assert!(Request::parse(b"L x").is_err());
        assert!(Request::parse(b"G").is_err());
        assert!(
            Request::parse(b"P -1 a")
                .unwrap_err()
                .starts_with("bad size")
        );
        assert!(Request::parse(b"P 99999999999999999999 a").is_err());
        assert!(Request::parse(b"P 5").is_err());
        assert!(
            Request::parse(b"G ../etc/passwd")
                .unwrap_err()
                .starts_with("bad name")
        );
        assert!(Request::parse(&[b'G', b' ', 0xff]).is_err());
    }

    #[test]
    fn checks_names() {
        for bad in [
            "", ".", "..", ".hidden", "a/b", "a\\b", "a\0b", "a\nb", "a\x7fb",
        ] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(name_problem(&"x".repeat(256)).is_some());
        for good in ["a", "my file.txt", "文件.txt", "a..b", &"x".repeat(255)] {
            assert_eq!(name_problem(good), None, "{good:?}");
        }
    }

    #[test]
    fn parses_replies() {
        assert_eq!(Reply::parse(b"OK"), Ok(Reply::Ok(None)));
        assert_eq!(Reply::parse(b"OK 0"), Ok(Reply::Ok(Some(0))));
        assert_eq!(
            Reply::parse(b"no such file"),
            Ok(Reply::Refused("no such file".into()))
        );
        assert!(Reply::parse(b"OK x").is_err());
    }

    #[test]
    fn reads_bounded_lines() {
        let mut input = io::Cursor::new(b"L\nG a\n".to_vec());
        assert_eq!(read_line(&mut input, 10).unwrap(), Some(b"L".to_vec()));
        assert_eq!(read_line(&mut input, 10).unwrap(), Some(b"G a".to_vec()));
        assert_eq!(read_line(&mut input, 10).unwrap(), None);
        let mut truncated = io::Cursor::new(b"G a".to_vec());
        assert!(matches!(
            read_line(&mut truncated, 10),
            Err(LineError::Truncated)
        ));
        let mut long = io::BufReader::with_capacity(4, io::Cursor::new(vec![b'a'; 100]));
        assert!(matches!(read_line(&mut long, 10), Err(LineError::TooLong)));
        // Exactly at the limit, LF included, is fine.
        let mut exact = io::Cursor::new(b"aaaaaaaaa\n".to_vec());
        assert_eq!(read_line(&mut exact, 10).unwrap().unwrap().len(), 9);
    }
}
