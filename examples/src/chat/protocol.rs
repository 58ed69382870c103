//! What both chat servers agree on: names, limits, requests and the text of
//! every line a member receives.
//!
//! Requests over UDP are the course's, one per datagram (协议设定):
//!
//! ```text
//! L <name>          join               reply: OK, or ERR <reason>
//! C <name> <text>   say something      relayed to the others as "<name>: <text>"
//! Q <name>          leave              reply: EXIT; the others get a leave notice
//! H <name>          heartbeat          no reply (ERR if not a member)
//! ```
//!
//! The server's lines are `OK`, `EXIT`, `ERR <reason>`, a message
//! `<name>: <text>`, or a notice `* <text>`. A name never contains a space,
//! so a notice (`* ` then text) can never be mistaken for a message, even
//! from a member called `*`.

use std::fmt;

/// Longest datagram (UDP) or line without its newline (TCP), in bytes. The
/// course reads with `recvfrom(1024)`, which silently cuts longer ones;
/// here they are refused instead.
pub const MAX_MESSAGE: usize = 1024;

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 32;

/// The name the server's own terminal speaks as (the course's 管理员).
pub const ADMIN: &str = "admin";

/// Why a request was refused; its `Display` is the text after `ERR `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The datagram or line is longer than [`MAX_MESSAGE`].
    TooLong,
    /// The bytes are not UTF-8 text.
    NotUtf8,
    /// An empty datagram.
    Empty,
    /// The first letter is not a command.
    UnknownCommand(String),
    /// The name breaks a rule of [`check_name`].
    BadName(&'static str),
    /// `admin` (in any case) belongs to the server.
    Reserved,
    /// Another member already has this name.
    NameTaken(String),
    /// This address already joined, under another name.
    AlreadyJoined(String),
    /// `C`, `Q` or `H` from an address that has not joined.
    NotJoined,
    /// The request names someone else than the sender (impersonation).
    NotYou {
        /// The sender's real name.
        you: String,
        /// The name written in the request.
        claimed: String,
    },
    /// `C <name>` with nothing to say.
    EmptyMessage,
    /// A control character (escape sequences could repaint others' terminals).
    ControlCharacter,
    /// The server is stopping and takes no new members.
    ShuttingDown,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::TooLong => write!(f, "message too long (limit {MAX_MESSAGE} bytes)"),
            Refusal::NotUtf8 => write!(f, "not UTF-8 text"),
            Refusal::Empty => write!(f, "empty request"),
            Refusal::UnknownCommand(cmd) => {
                write!(f, "unknown command {cmd:?}: use L, C, Q or H")
            }
            Refusal::BadName(why) => write!(f, "{why}"),
            Refusal::Reserved => write!(f, "the name {ADMIN:?} is reserved"),
            Refusal::NameTaken(name) => write!(f, "the name {name:?} is taken"),
            Refusal::AlreadyJoined(name) => write!(f, "already joined as {name:?}"),
            Refusal::NotJoined => write!(f, "not joined: send \"L <name>\" first"),
            Refusal::NotYou { you, claimed } => write!(f, "you are {you:?}, not {claimed:?}"),
            Refusal::EmptyMessage => write!(f, "empty message"),
            Refusal::ControlCharacter => write!(f, "control characters are not allowed"),
            Refusal::ShuttingDown => write!(f, "the server is shutting down"),
        }
    }
}

/// The `ERR <reason>` line for a refusal.
pub fn error_line(refusal: &Refusal) -> String {
    format!("ERR {refusal}")
}

/// Checks the naming rules: 1 to 32 characters, no whitespace or control
/// characters, and not `admin` in any capitalisation.
pub fn check_name(name: &str) -> Result<(), Refusal> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(Refusal::BadName("a name has 1 to 32 characters"));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Refusal::BadName(
            "a name has no spaces or control characters",
        ));
    }
    if name.eq_ignore_ascii_case(ADMIN) {
        return Err(Refusal::Reserved);
    }
    Ok(())
}

/// Checks what a member says: not empty, no control characters.
pub fn check_text(text: &str) -> Result<(), Refusal> {
    if text.is_empty() {
        return Err(Refusal::EmptyMessage);
    }
    if text.chars().any(char::is_control) {
        return Err(Refusal::ControlCharacter);
    }
    Ok(())
}

/// One UDP request, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    /// `L name`: join.
    Join(&'a str),
    /// `C name text`: say `text`.
    Say(&'a str, &'a str),
    /// `Q name`: leave.
    Quit(&'a str),
    /// `H name`: still here.
    Heartbeat(&'a str),
}

/// Parses one datagram. A trailing `\n` or `\r\n` is ignored, so that
/// `nc -u` works as a client too.
pub fn parse_datagram(packet: &[u8]) -> Result<Request<'_>, Refusal> {
    if packet.len() > MAX_MESSAGE {
        return Err(Refusal::TooLong);
    }
    let text = std::str::from_utf8(packet).map_err(|_| Refusal::NotUtf8)?;
    let text = strip_newline(text);
    if text.is_empty() {
        return Err(Refusal::Empty);
    }
    // The course splits with `data.split(' ', 2)`: command, name, the rest.
    let (command, rest) = text.split_once(' ').unwrap_or((text, ""));
    match command {
        "L" => Ok(Request::Join(rest)),
        "C" => {
            let (name, message) = rest.split_once(' ').unwrap_or((rest, ""));
            Ok(Request::Say(name, message))
        }
        "Q" => Ok(Request::Quit(rest)),
        "H" => Ok(Request::Heartbeat(rest)),
        other => Err(Refusal::UnknownCommand(shorten(other))),
    }
}

/// Removes one trailing `\n` or `\r\n`.
pub fn strip_newline(text: &str) -> &str {
    let text = text.strip_suffix('\n').unwrap_or(text);
    text.strip_suffix('\r').unwrap_or(text)
}

/// At most 16 characters of an unknown command, for the error reply.
fn shorten(command: &str) -> String {
    command.chars().take(16).collect()
}

/// What the others see when `name` speaks.
pub fn message_line(name: &str, text: &str) -> String {
    format!("{name}: {text}")
}

/// The notice to the others when someone joins.
pub fn joined_notice(name: &str) -> String {
    format!("* {name} has joined the chat")
}

/// Why a member left the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Departure {
    /// Sent `Q` (or `quit`, or closed the connection).
    Quit,
    /// No datagram for longer than the timeout (UDP).
    TimedOut,
    /// Did not read its messages fast enough (TCP).
    TooSlow,
    /// The connection failed.
    ConnectionLost,
}

/// The notice to the others when someone leaves.
pub fn left_notice(name: &str, why: Departure) -> String {
    match why {
        Departure::Quit => format!("* {name} has left the chat"),
        Departure::TimedOut => format!("* {name} has left the chat (timed out)"),
        Departure::TooSlow => format!("* {name} has left the chat (not reading; disconnected)"),
        Departure::ConnectionLost => format!("* {name} has left the chat (connection lost)"),
    }
}

/// The last notice before the server stops.
pub const SHUTDOWN_NOTICE: &str = "* the server is shutting down";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rules() {
        assert_eq!(check_name("alice"), Ok(()));
        assert_eq!(check_name("李雷"), Ok(()));
        assert_eq!(check_name(&"x".repeat(32)), Ok(()));
        assert!(matches!(check_name(""), Err(Refusal::BadName(_))));
        assert!(matches!(
            check_name(&"x".repeat(33)),
            Err(Refusal::BadName(_))
        ));
        assert!(matches!(check_name("a b"), Err(Refusal::BadName(_))));
        assert!(matches!(check_name("a\u{1b}"), Err(Refusal::BadName(_))));
        assert_eq!(check_name("Admin"), Err(Refusal::Reserved));
    }

    #[test]
    fn datagrams_parse_like_the_course() {
        assert_eq!(parse_datagram(b"L alice"), Ok(Request::Join("alice")));
        assert_eq!(
            parse_datagram(b"C alice hello there\n"),
            Ok(Request::Say("alice", "hello there"))
        );
        assert_eq!(parse_datagram(b"C alice"), Ok(Request::Say("alice", "")));
        assert_eq!(parse_datagram(b"Q alice\r\n"), Ok(Request::Quit("alice")));
        assert_eq!(parse_datagram(b"H bob"), Ok(Request::Heartbeat("bob")));
        assert_eq!(parse_datagram(b"L"), Ok(Request::Join("")));
        assert_eq!(
            parse_datagram(b"X y"),
            Err(Refusal::UnknownCommand("X".into()))
        );
        assert_eq!(parse_datagram(b""), Err(Refusal::Empty));
        assert_eq!(parse_datagram(&[b'C', b' ', 0xff]), Err(Refusal::NotUtf8));
        assert_eq!(
            parse_datagram(&[b'C'; MAX_MESSAGE + 1]),
            Err(Refusal::TooLong)
        );
    }

    #[test]
    fn texts_are_checked() {
        assert_eq!(check_text("hi"), Ok(()));
        assert_eq!(check_text(""), Err(Refusal::EmptyMessage));
        assert_eq!(check_text("\u{1b}[2J"), Err(Refusal::ControlCharacter));
    }
}
