//! A command line from the client: a verb and, maybe, an argument.
//!
//! `RETR my file.txt\r\n` is the verb `RETR` and the argument `my
//! file.txt`: everything after the first space, spaces included (a name
//! may contain spaces). Verbs are case-insensitive. Telnet control
//! sequences (`IAC IP`, `IAC DM`, which some clients send before `ABOR`)
//! are dropped: the control connection is a Telnet connection in RFC 959.

/// The longest command line, CRLF included. A longer line is refused and
/// the connection closed: the server cannot tell where the next begins.
pub const MAX_COMMAND_LINE: usize = 1024;

/// Telnet's "interpret as command" byte: it and the byte after it are a
/// Telnet command, not text. It cannot occur in UTF-8 text.
const IAC: u8 = 0xff;

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The verb, in upper case (`RETR`).
    pub verb: String,
    /// The argument, if any (`None` for `PWD` and for `CWD ` alike).
    pub arg: Option<String>,
}

impl Command {
    /// Parses a line read up to its LF (the LF removed; a CR before it is
    /// removed here). An `Err` is the text of a 500/501 reply.
    pub fn parse(line: &[u8]) -> Result<Command, &'static str> {
        let line = without_telnet(line);
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        let Ok(text) = std::str::from_utf8(line) else {
            return Err("Command is not UTF-8.");
        };
        let (verb, arg) = match text.split_once(' ') {
            Some((verb, arg)) => (verb, Some(arg)),
            None => (text, None),
        };
        if verb.is_empty() || verb.len() > 4 || !verb.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err("Syntax error, command unrecognized.");
        }
        Ok(Command {
            verb: verb.to_ascii_uppercase(),
            arg: arg.filter(|a| !a.is_empty()).map(str::to_string),
        })
    }
}

/// The line without Telnet commands (`IAC x` pairs, and a lone Synch
/// mark `DM` that arrived as urgent data).
fn without_telnet(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut bytes = line.iter().copied();
    while let Some(b) = bytes.next() {
        match b {
            IAC => {
                bytes.next();
            }
            // Data Mark, sent as TCP urgent data after IAC: with the
            // urgent byte kept inline it arrives alone.
            0xf2 if out.is_empty() => {}
            _ => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verb_and_argument() {
        let c = Command::parse(b"retr my file.txt\r").unwrap();
        assert_eq!(c.verb, "RETR");
        assert_eq!(c.arg.as_deref(), Some("my file.txt"));
        assert_eq!(Command::parse(b"PWD").unwrap().arg, None);
        assert_eq!(Command::parse(b"CWD \r").unwrap().arg, None);
        assert!(Command::parse(b"").is_err());
        assert!(Command::parse(b"HELLO").is_err());
        assert!(Command::parse(b"R3TR x").is_err());
        assert!(Command::parse(&[b'C', b'W', b'D', b' ', 0xe9]).is_err());
    }

    #[test]
    fn telnet_interrupt_before_abor() {
        let c = Command::parse(b"\xff\xf4\xff\xf2ABOR\r").unwrap();
        assert_eq!(c.verb, "ABOR");
        let c = Command::parse(b"\xf2ABOR\r").unwrap();
        assert_eq!(c.verb, "ABOR");
    }
}
