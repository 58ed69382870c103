//! Property tests of the FTP parsers, from `cargo test`: the course's
//! FTP-style frames (`L`, `G name`, `P size name`, `Q`; `OK [size]` or a
//! reason) round-trip and bad ones are refused without panic; the bounded
//! line reader never holds more than its limit; RFC 959 command lines never
//! panic and keep their verb and argument.
//!
//! `PROPTEST_CASES=100000 cargo test -p tests --test fuzz_ftp` runs longer.

mod fuzz_support;

use std::io::{BufReader, Cursor};

use examples::ftp::protocol::{self, LineError, MAX_NAME, Reply, Request, name_problem};
use examples::ftp::rfc959::command::{Command, MAX_COMMAND_LINE};
use fuzz_support::{client_lines, config, mutated};
use proptest::prelude::*;

/// The request lines of the FTP-style snapshot transcripts, without LF.
fn ftp_lines() -> Vec<Vec<u8>> {
    client_lines("ftp_transcript")
        .into_iter()
        .map(|l| l.strip_suffix(b"\n").unwrap_or(&l).to_vec())
        .collect()
}

/// A name the library accepts: 1 to 255 bytes, no `/`, `\`, control
/// character or leading dot; spaces and any other Unicode allowed.
fn good_name() -> impl Strategy<Value = String> {
    "[^./\\\\\\p{Cc}][^/\\\\\\p{Cc}]{0,40}"
        .prop_filter("at most 255 bytes", |n| n.len() <= MAX_NAME && n != "..")
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        Just(Request::List),
        Just(Request::Quit),
        good_name().prop_map(Request::Get),
        (any::<u64>(), good_name()).prop_map(|(size, name)| Request::Put { size, name }),
    ]
}

proptest! {
    #![proptest_config(config(3000))]

    /// Every request goes out as one line and parses back the same.
    #[test]
    fn a_request_round_trips(request in request()) {
        let line = request.to_line();
        prop_assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
        let without_lf = &line.as_bytes()[..line.len() - 1];
        prop_assert_eq!(Request::parse(without_lf), Ok(request));
    }

    /// Any line parses or is refused with a reason, never a panic; what is
    /// accepted names a file the library may hold, and writes back the same.
    /// (Found by a long run: `P 00  ` is size 0, name " ", written `P 0  `.)
    #[test]
    fn any_request_line_is_answered(
        line in prop_oneof![
            mutated(ftp_lines()),
            prop::collection::vec(any::<u8>(), 0..64),
            "[LGPQ ]{0,3}[0-9 ]{0,22}[a-z./\\\\ ]{0,6}".prop_map(String::into_bytes),
        ],
    ) {
        match Request::parse(&line) {
            Ok(request) => {
                if let Request::Get(name) | Request::Put { name, .. } = &request {
                    prop_assert_eq!(name_problem(name), None);
                }
                // Written out again it reads the same; the bytes may differ
                // only in a size's leading zeros (`P 007 a` is `P 7 a`).
                let again = request.to_line();
                prop_assert_eq!(Request::parse(again.trim_end_matches('\n').as_bytes()), Ok(request));
                let stripped = line.strip_prefix(b"P 0").is_some_and(|rest| rest.first().is_some_and(u8::is_ascii_digit));
                if !stripped {
                    prop_assert_eq!(again.as_bytes(), &[&line[..], b"\n"].concat()[..]);
                }
            }
            Err(reason) => {
                prop_assert!(!reason.is_empty() && !reason.contains('\n'), "{:?}", reason);
            }
        }
    }

    /// A reply line round-trips: `OK`, `OK size`, or a reason that does not
    /// look like either. Any bytes at all parse or are refused, no panic.
    #[test]
    fn a_reply_round_trips(
        reply in prop_oneof![
            Just(Reply::Ok(None)),
            any::<u64>().prop_map(|n| Reply::Ok(Some(n))),
            "[^\n]{0,40}"
                .prop_filter("not an OK line", |r| r != "OK" && !r.starts_with("OK "))
                .prop_map(Reply::Refused),
        ],
        noise in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        prop_assert_eq!(Reply::parse(reply.to_string().as_bytes()), Ok(reply));
        let _ = Reply::parse(&noise);
    }

    /// A size is exactly a decimal `u64`: digits only, no sign, no spaces.
    #[test]
    fn a_size_is_a_plain_u64(text in "[0-9+ -]{0,22}") {
        let expected = if text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse::<u64>().ok()
        } else {
            None
        };
        prop_assert_eq!(protocol::parse_size(&text), expected);
    }

    /// The bounded line reader, whatever the bytes and the read sizes: each
    /// line comes back as sent (without LF), none is longer than the limit,
    /// and an error ends the reading (the server then hangs up).
    #[test]
    fn lines_are_read_whole_and_bounded(
        input in prop::collection::vec(prop_oneof![4 => Just(b'a'), 1 => Just(b'\n'), 1 => any::<u8>()], 0..300),
        capacity in 1usize..40,
        limit in 1usize..40,
    ) {
        let mut reader = BufReader::with_capacity(capacity, Cursor::new(input.clone()));
        let mut expected = input.split_inclusive(|&b| b == b'\n');
        loop {
            match protocol::read_line(&mut reader, limit) {
                Ok(Some(line)) => {
                    prop_assert!(line.len() < limit);
                    let sent = expected.next().unwrap();
                    prop_assert_eq!(&[&line[..], b"\n"].concat()[..], sent);
                }
                Ok(None) => {
                    prop_assert_eq!(expected.next(), None);
                    break;
                }
                Err(LineError::TooLong) => {
                    // `limit` bytes and no LF among them: even if the peer
                    // then closes, the line with its LF could not fit.
                    let rest = expected.next().unwrap();
                    prop_assert!(rest.len() + usize::from(!rest.ends_with(b"\n")) > limit);
                    break;
                }
                Err(LineError::Truncated) => {
                    let rest = expected.next().unwrap();
                    prop_assert!(!rest.ends_with(b"\n") && rest.len() < limit);
                    break;
                }
                Err(LineError::Io(err)) => prop_assert!(false, "{}", err),
            }
        }
    }

    /// RFC 959 command lines: any bytes give a command or a 500/501 text,
    /// never a panic; a command's verb is 1 to 4 upper-case letters.
    #[test]
    fn any_command_line_is_answered(
        line in prop_oneof![
            mutated(client_lines("ftpd_")),
            prop::collection::vec(any::<u8>(), 0..MAX_COMMAND_LINE / 8),
        ],
    ) {
        let line = line.strip_suffix(b"\n").unwrap_or(&line);
        if let Ok(command) = Command::parse(line) {
            prop_assert!((1..=4).contains(&command.verb.len()));
            prop_assert!(command.verb.bytes().all(|b| b.is_ascii_uppercase()));
            prop_assert_ne!(command.arg.as_deref(), Some(""));
        }
    }

    /// `VERB arg` (CRLF or LF) comes back as the verb in upper case and the
    /// argument unchanged, spaces and any Unicode included.
    #[test]
    fn a_command_round_trips(
        verb in "[A-Za-z]{1,4}",
        arg in proptest::option::of("[^\r\n]{1,30}"),
        crlf in any::<bool>(),
    ) {
        let mut line = verb.clone();
        if let Some(arg) = &arg {
            line.push(' ');
            line.push_str(arg);
        }
        if crlf {
            line.push('\r');
        }
        let command = Command::parse(line.as_bytes()).unwrap();
        prop_assert_eq!(command.verb, verb.to_ascii_uppercase());
        prop_assert_eq!(command.arg, arg);
    }
}
