//! What each fuzz target checks on one input, beside "no panic". A broken
//! property is an `assert!`, so AFL++ records the input as a crash.
//!
//! The same properties, with generated inputs, run in CI as property tests
//! (`tests/tests/fuzz_*.rs`); here a coverage-guided fuzzer picks the inputs.

use std::io::{BufReader, Cursor};
use std::time::{Duration, UNIX_EPOCH};

use examples::chat::protocol::{MAX_MESSAGE, parse_datagram};
use examples::chat::tcp_input::{Input, InputBuffer};
use examples::ftp::protocol::{self, Reply, Request, name_problem};
use examples::ftp::rfc959::command::Command;
use examples::http::conditional::Validators;
use examples::http::head::{Head, HeadError, Version, is_complete_head, read_head};
use examples::http::path::{Target, resolve};
use examples::http::range::{self, Ranged};

fn parse_head(bytes: &[u8]) -> Result<Head, HeadError> {
    read_head(&mut &bytes[..], &mut Vec::new())
}

/// The HTTP request head, and what the handler does with it: the target's
/// path, `Range` and the conditional headers.
pub fn check_http(data: &[u8]) {
    // A head called complete reads the same whatever follows it.
    let head = parse_head(data);
    if is_complete_head(data) {
        let followed = parse_head(&[data, b"GET / HTTP/1.1\r\n\r\n"].concat());
        assert_eq!(format!("{head:?}"), format!("{followed:?}"));
    }
    let Ok(head) = head else {
        return;
    };
    agree_with_httparse(data, &head);

    let target = Target::split(&head.target);
    if let Ok(resolved) = resolve(target.raw_path) {
        for part in &resolved.parts {
            assert!(!part.is_empty() && part != b"." && part != b"..");
            assert!(!part.contains(&b'/') && !part.contains(&0));
        }
    }

    let len = (data.len() as u64 * 7) % 5000;
    if let Ranged::Part { start, end } = range::parse(head.header("range"), len) {
        assert!(start <= end && end < len, "{start}-{end} of {len}");
    }
    let validators = Validators::new(UNIX_EPOCH + Duration::from_secs(1_000_000_000), len);
    let _ = validators.not_modified(&head);
    let _ = validators.range_allowed(&head);
}

/// Where `httparse` accepts the head too, both read the same. On purpose,
/// ours collapses a leading `//` and splits the request line at Python's
/// whitespace (`\x0b`, `\x0c`, `\x1c`-`\x1f`, `\x85`, `\xa0` too).
fn agree_with_httparse(data: &[u8], ours: &Head) {
    let mut fields = [httparse::EMPTY_HEADER; 128];
    let mut theirs = httparse::Request::new(&mut fields);
    let Ok(httparse::Status::Complete(_)) = theirs.parse(data) else {
        return;
    };
    let line_end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    if data[..line_end]
        .iter()
        .any(|&b| matches!(b, b'\x0b' | b'\x0c' | b'\x1c'..=b'\x1f' | 0x85 | 0xa0))
    {
        return;
    }
    let mut target = theirs.path.unwrap().as_bytes().to_vec();
    if target.starts_with(b"//") {
        let slashes = target.iter().take_while(|&&b| b == b'/').count();
        target.drain(..slashes - 1);
    }
    assert_eq!(ours.method, theirs.method.unwrap());
    assert_eq!(ours.target, target);
    let minor = u64::from(theirs.version.unwrap());
    assert_eq!(ours.version, Version { major: 1, minor });
    let headers: Vec<(String, Vec<u8>)> = theirs
        .headers
        .iter()
        .map(|h| (h.name.to_string(), h.value.to_vec()))
        .collect();
    assert_eq!(ours.headers, headers);
}

/// The course's FTP-style frames, the bounded line reader and RFC 959
/// command lines.
pub fn check_ftp(data: &[u8]) {
    let line = data.split(|&b| b == b'\n').next().unwrap_or(data);
    if let Ok(request) = Request::parse(line) {
        if let Request::Get(name) | Request::Put { name, .. } = &request {
            assert_eq!(name_problem(name), None);
        }
        // Written out again, it reads the same (`P 007 a` is written `P 7 a`).
        let again = request.to_line();
        assert_eq!(
            Request::parse(again.trim_end_matches('\n').as_bytes()),
            Ok(request)
        );
    }
    if let Ok(reply) = Reply::parse(line) {
        assert_eq!(Reply::parse(reply.to_string().as_bytes()), Ok(reply));
    }
    if let Ok(command) = Command::parse(line) {
        assert!((1..=4).contains(&command.verb.len()));
        assert!(command.verb.bytes().all(|b| b.is_ascii_uppercase()));
    }
    // Every line the bounded reader gives is shorter than its limit, and
    // is the input's next line.
    let limit = 64;
    let mut reader = BufReader::with_capacity(7, Cursor::new(data));
    let mut lines = data.split_inclusive(|&b| b == b'\n');
    while let Ok(Some(got)) = protocol::read_line(&mut reader, limit) {
        assert!(got.len() < limit);
        assert_eq!([&got[..], b"\n"].concat(), lines.next().unwrap());
    }
}

/// Chat datagrams, and the TCP line framer fed in reads of 13 bytes.
pub fn check_chat(data: &[u8]) {
    let _ = parse_datagram(data);
    let mut input = InputBuffer::default();
    for read in data.chunks(13) {
        input.extend(read);
        while let Some(line) = input.next_line() {
            if let Input::Text(text) = line {
                assert!(text.len() <= MAX_MESSAGE && !text.contains('\n'));
            }
        }
    }
    if let Some(Input::Text(text)) = input.last_line() {
        assert!(text.len() <= MAX_MESSAGE);
    }
}
