//! Property tests of the chat parsers, from `cargo test`: datagrams of any
//! bytes are answered without panic and well-formed ones keep their parts;
//! the TCP line framer gives back every line whatever the reads, and never
//! a line over the limit.
//!
//! `PROPTEST_CASES=100000 cargo test -p tests --test fuzz_chat` runs longer.

mod fuzz_support;

use examples::chat::protocol::{MAX_MESSAGE, Request, check_name, check_text, parse_datagram};
use examples::chat::tcp_input::{Input, InputBuffer};
use fuzz_support::{config, mutated};
use proptest::prelude::*;

/// What the members send in the chat snapshot transcripts (`name -> line`).
fn chat_lines() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut lines = Vec::new();
    for name in [
        "chat_tcp__tcp_chat_session_transcript.snap",
        "chat_udp__udp_chat_session_transcript.snap",
    ] {
        let text = std::fs::read_to_string(dir.join(name)).expect("a chat snapshot");
        for line in text.lines() {
            if let Some((_, sent)) = line.split_once(" -> ") {
                let sent = sent.replace("\\r", "\r").replace("\\n", "\n");
                lines.push(sent.into_bytes());
            }
        }
    }
    assert!(lines.len() > 5, "too few seeds: {}", lines.len());
    lines
}

fn good_name() -> impl Strategy<Value = String> {
    "[^\\s\\p{Cc}]{1,32}".prop_filter("valid", |n| check_name(n).is_ok())
}

proptest! {
    #![proptest_config(config(3000))]

    /// Any datagram is a request or a refusal, never a panic.
    #[test]
    fn any_datagram_is_answered(
        packet in prop_oneof![
            mutated(chat_lines()),
            prop::collection::vec(any::<u8>(), 0..80),
            prop::collection::vec(any::<u8>(), MAX_MESSAGE - 2..MAX_MESSAGE + 3),
        ],
    ) {
        // A name with a space (`L two words`) is parsed, then refused by
        // `check_name`; only a message's name ends at the first space.
        match parse_datagram(&packet) {
            Ok(Request::Say(name, text)) => {
                prop_assert!(!name.contains(' '));
                let _ = (check_name(name), check_text(text));
            }
            Ok(Request::Join(name) | Request::Quit(name) | Request::Heartbeat(name)) => {
                let _ = check_name(name);
            }
            Err(refusal) => prop_assert!(!refusal.to_string().is_empty()),
        }
    }

    /// `C name text` keeps the name and the whole text, spaces included.
    #[test]
    fn a_message_round_trips(name in good_name(), text in "[^\\p{Cc}]{1,60}", eol in "(\r\n|\n|)") {
        prop_assert_eq!(check_text(&text), Ok(()));
        let packet = format!("C {name} {text}{eol}");
        prop_assume!(packet.len() <= MAX_MESSAGE);
        prop_assert_eq!(parse_datagram(packet.as_bytes()), Ok(Request::Say(&name, &text)));
    }

    /// Lines come out of the framer as they were sent, whatever the reads,
    /// and a line over the limit is refused once, never kept.
    #[test]
    fn the_framer_gives_back_every_line(
        lines in prop::collection::vec(
            prop_oneof![
                8 => "[^\n]{0,40}",
                1 => "x{1020,1030}",
                1 => prop::collection::vec(any::<u8>(), 0..20)
                    .prop_map(|b| String::from_utf8_lossy(&b).replace('\n', "")),
            ],
            0..8,
        ),
        cuts in prop::collection::vec(1usize..50, 1..20),
        noise in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut sent = Vec::new();
        for line in &lines {
            sent.extend_from_slice(line.as_bytes());
            sent.push(b'\n');
        }
        // The same bytes in reads of the given sizes (the last one: the rest).
        let mut input = InputBuffer::default();
        let mut got = Vec::new();
        let mut rest = &sent[..];
        for cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (read, after) = rest.split_at((*cut).min(rest.len()));
            input.extend(read);
            rest = after;
            while let Some(line) = input.next_line() {
                got.push(line);
            }
        }
        prop_assert_eq!(input.last_line(), None);
        let expected: Vec<Input> = lines
            .iter()
            .map(|l| {
                let text = l.strip_suffix('\r').unwrap_or(l);
                if text.len() > MAX_MESSAGE { Input::TooLong } else { Input::Text(text.to_string()) }
            })
            .collect();
        prop_assert_eq!(got, expected);
        // Then noise: whatever comes, no panic and no text over the limit.
        input.extend(&noise);
        while let Some(line) = input.next_line() {
            if let Input::Text(text) = line {
                prop_assert!(text.len() <= MAX_MESSAGE);
            }
        }
        let _ = input.last_line();
    }
}
