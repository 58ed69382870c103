//! Property tests of the HTTP server's event-loop protocol driven in
//! memory (`tests::machines::http`): any bytes, in any reads, with or
//! without the client reading, ending or timing out, get answers that read
//! as HTTP responses, bounded, never from outside the served directory;
//! plain pipelined requests get one right answer each; `Range`,
//! conditional headers and request paths each have their own property.
//! The AFL++ targets `fuzz-http-loop`, `fuzz-http-range`,
//! `fuzz-http-conditional` and `fuzz-http-path` run the same checks.
//!
//! `PROPTEST_CASES=20000 cargo test --release -p tests --test fuzz_http_machine` runs longer.

mod fuzz_support;

use fuzz_support::{client_transcripts, config, mutated};
use proptest::prelude::*;
use tests::machines::Script;
use tests::machines::http::{
    HttpFixture, check, check_conditional, check_path, check_range, count_responses, drive,
    get_with,
};

fn pick(options: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(options).prop_map(str::to_string)
}

/// A plain request: GET or HEAD of a file, a directory, a link in or
/// out, with `..` and `.`; sometimes a `Range` or a condition.
fn plain_request() -> impl Strategy<Value = Vec<u8>> {
    let target = pick(&[
        "/small.txt",
        "/big.bin",
        "/empty.txt",
        "/dir/inner.txt",
        "/dir/",
        "/dir",
        "/",
        "/inside.txt",
        "/secret.txt",
        "/out/secret.txt",
        "/dir/abs",
        "/dir/../small.txt",
        "/./big.bin",
        "/../small.txt",
        "/missing",
        "/small.txt/",
    ]);
    let field = prop_oneof![
        (0u32..300, 0u32..300).prop_map(|(a, b)| format!("Range: bytes={a}-{b}")),
        (0u32..120_000).prop_map(|a| format!("Range: bytes={a}-")),
        (0u32..300).prop_map(|a| format!("Range: bytes=-{a}")),
        pick(&[
            "Range: bytes=0-0,5-9",
            "Range: lines=1-2",
            "If-None-Match: *",
            "If-None-Match: \"x\"",
            "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT",
            "If-Modified-Since: Sun, 06 Nov 2094 08:49:37 GMT",
            "If-Range: \"x\"",
            "Accept: */*",
        ]),
    ];
    (
        pick(&["GET", "GET", "GET", "HEAD"]),
        target,
        prop::collection::vec(field, 0..3),
        pick(&["\r\n", "\n"]),
    )
        .prop_map(|(method, target, fields, eol)| {
            let mut request = format!("{method} {target} HTTP/1.1{eol}Host: t{eol}");
            for field in fields {
                request.push_str(&field);
                request.push_str(&eol);
            }
            request.push_str(&eol);
            request.into_bytes()
        })
}

/// Reads of 1..=64 bytes, or all at once.
fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..64, 0..40)
}

/// Any session: pipelined plain requests, mutated snapshot transcripts,
/// or noise, cut into reads, with any ending.
fn any_script() -> impl Strategy<Value = Script> {
    let input = prop_oneof![
        3 => prop::collection::vec(plain_request(), 1..6).prop_map(|r| r.concat()),
        3 => mutated(client_transcripts("http_")),
        1 => prop::collection::vec(any::<u8>(), 0..300),
    ];
    (input, cuts(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(input, cuts, reader_keeps_up, eof, timeout)| Script {
            input,
            cuts,
            reader_keeps_up,
            eof,
            timeout,
        },
    )
}

/// Whatever a client sends, in whatever reads, the answers read as HTTP
/// responses, stay bounded and never carry the file outside the root;
/// plain pipelined requests get one right answer each.
#[test]
fn any_session_gets_http_answers() {
    let fixture = HttpFixture::new().unwrap();
    proptest!(config(400), |(script in any_script())| check(&fixture, &script));
}

/// Pipelined plain requests, cut anywhere, with a client that reads only
/// when the server stops: one answer each (the check counts them).
#[test]
fn pipelined_requests_get_one_answer_each() {
    let fixture = HttpFixture::new().unwrap();
    let script =
        (prop::collection::vec(plain_request(), 1..12), cuts()).prop_map(|(requests, cuts)| {
            Script {
                input: requests.concat(),
                cuts,
                ..Script::default()
            }
        });
    proptest!(config(150), |(script in script)| {
        check(&fixture, &script);
        let count = count_responses(&drive(&fixture, &script), true, false).unwrap();
        prop_assert!(count > 0);
    });
}

/// A fuzzed `Range` (and `If-Range`) on each file: a 206 is the slice.
#[test]
fn a_range_answer_is_the_files_slice() {
    let fixture = HttpFixture::new().unwrap();
    let data = (
        any::<u8>(),
        prop_oneof![
            (0u32..300, 0u32..300).prop_map(|(a, b)| format!("bytes={a}-{b}")),
            (0u32..120_000, 0u32..120_000).prop_map(|(a, b)| format!("bytes={a}-{b}")),
            (0u32..300).prop_map(|a| format!("bytes=-{a}")),
            "(bytes|BYTES| bytes)[ =]{0,2}[0-9 ,-]{0,12}(\\|[\"x*W/]{0,4})?",
            ".{0,30}",
        ],
    )
        .prop_map(|(which, range)| [&[which][..], range.as_bytes()].concat());
    proptest!(config(250), |(data in data)| check_range(&fixture, &data));
}

/// Fuzzed conditional headers: 304 only when asked, with no body; a
/// file's own `ETag` always gets 304.
#[test]
fn conditional_headers_answer_right() {
    let fixture = HttpFixture::new().unwrap();
    let value = prop_oneof![
        pick(&[
            "*",
            "\"x\"",
            "W/\"x\"",
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 2094",
            "bytes=0-9",
        ]),
        ".{0,20}",
    ];
    let data = (any::<u8>(), prop::collection::vec(value, 0..4))
        .prop_map(|(which, values)| [&[which][..], values.join("|").as_bytes()].concat());
    proptest!(config(150), |(data in data)| check_conditional(&fixture, &data));
}

/// Fuzzed request paths (links out, `..`, `%2e%2e`, NUL, long runs):
/// nothing outside the root is ever served.
#[test]
fn a_path_never_reaches_outside_the_root() {
    let fixture = HttpFixture::new().unwrap();
    let part = pick(&[
        "..",
        "%2e%2e",
        "%2E%2e",
        ".%2e",
        "%2f",
        "%5c",
        "\\",
        "%00",
        "\0",
        "secret.txt",
        "out",
        "abs",
        "dir",
        "/",
        "//",
        "?",
        "#",
        "%",
        "inside.txt",
        ".",
    ]);
    let data = (any::<u8>(), prop::collection::vec(part, 0..10), 0usize..3).prop_map(
        |(which, parts, long)| {
            let mut target = parts.join("/").into_bytes();
            // Now and then a very long path: past the limits of a name, a
            // path and a request line.
            target.extend(std::iter::repeat_n(b'a', [0, 300, 70_000][long]));
            [&[which][..], &target[..]].concat()
        },
    );
    proptest!(config(250), |(data in data)| check_path(&fixture, &data));
}

/// The fixture does what the properties rely on: its links lead out, and
/// the secret is readable through them (so the server refusing is what
/// keeps it in).
#[test]
fn the_fixtures_links_lead_out_of_the_root() {
    let fixture = HttpFixture::new().unwrap();
    let out = drive(
        &fixture,
        &Script {
            input: get_with(b"/small.txt", &[]),
            eof: true,
            ..Script::default()
        },
    );
    assert!(
        out.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&out)
    );
    assert!(out.ends_with(fixture.file_at(b"/small.txt").unwrap()));
    let root = fixture.site_root();
    let secret = std::fs::read(root.join("secret.txt")).unwrap();
    assert!(secret.starts_with(tests::machines::http::SECRET));
    for target in [&b"/secret.txt"[..], b"/out/secret.txt", b"/dir/abs"] {
        let out = drive(
            &fixture,
            &Script {
                input: get_with(target, &[]),
                eof: true,
                ..Script::default()
            },
        );
        assert!(
            !out.starts_with(b"HTTP/1.1 200"),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
    }
}

/// Found by `fuzz-http-loop`, in the check: a request line of two words
/// once `\x0b` counts as the space it is to Python (`GET /\x1aHTTP/1.x`
/// then `\r\x0b`) is HTTP/0.9, answered with a bare body and no head.
#[test]
fn a_vertical_tab_can_make_an_http09_request() {
    let fixture = HttpFixture::new().unwrap();
    for input in [
        &b"GET /\x1aHTTP/1.x\r\x0b\r\n"[..],
        b"GET /\xff\xff\x00\x00P/1.x\r\x0b\r\n",
    ] {
        let script = Script {
            input: input.to_vec(),
            eof: true,
            ..Script::default()
        };
        let out = drive(&fixture, &script);
        assert!(
            out.starts_with(b"<!DOCTYPE HTML>"),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
        check(&fixture, &script);
    }
}

/// Found by `fuzz-http-loop`, in the check: an empty line after a request
/// ends the connection (as in Python), so the request after it is not
/// answered and is not a plain pipelined one; and a request line with the
/// version `HTTP/0.9` gets a bare body.
#[test]
fn an_empty_line_ends_the_pipeline_and_http09_gets_a_bare_body() {
    let fixture = HttpFixture::new().unwrap();
    let input = b"GET /hello.txt HTTP/1.1\r\nIf-None-Match: \"<ETAG>\"\r\n\n\r\nGET /nothing HTTP/1.1\r\n\r\n";
    let script = Script {
        input: input.to_vec(),
        eof: true,
        ..Script::default()
    };
    assert_eq!(
        count_responses(&drive(&fixture, &script), false, false),
        Ok(1)
    );
    check(&fixture, &script);
    let script = Script {
        input: b"GET /hello.txt HTTP/0.9\r\n\r\n".to_vec(),
        ..Script::default()
    };
    assert_eq!(drive(&fixture, &script), b"Hello, world!\n");
    check(&fixture, &script);
}
