//! Property tests of the HTTP parsers, from `cargo test` (the always-there
//! fallback of the coverage-guided fuzzer in `fuzz/`): no input panics the
//! request-head reader, its answers agree with `httparse` wherever both
//! accept, a path never resolves outside the root, a `Range` answer lies in
//! the file, and conditional headers never panic.
//!
//! `PROPTEST_CASES=100000 cargo test -p tests --test fuzz_http` runs longer.

mod fuzz_support;

use std::time::{Duration, UNIX_EPOCH};

use examples::http::conditional::Validators;
use examples::http::head::{Head, HeadError, Version, is_complete_head, read_head};
use examples::http::path::{Target, resolve};
use examples::http::range::{self, Ranged};
use fuzz_support::{client_lines, client_transcripts, config, mutated};
use proptest::prelude::*;

fn parse(bytes: &[u8]) -> Result<Head, HeadError> {
    read_head(&mut &bytes[..], &mut Vec::new())
}

/// The request heads of the HTTP snapshot transcripts, one seed each.
fn http_heads() -> Vec<Vec<u8>> {
    let mut heads = Vec::new();
    for transcript in client_transcripts("http_") {
        let mut rest = &transcript[..];
        while let Some(end) = find(rest, b"\r\n\r\n") {
            heads.push(rest[..end + 4].to_vec());
            rest = &rest[end + 4..];
        }
        if !rest.is_empty() {
            heads.push(rest.to_vec());
        }
    }
    assert!(heads.len() > 5, "too few seeds: {}", heads.len());
    heads
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn pick(options: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(options).prop_map(<[u8]>::to_vec)
}

fn bytes_of(alphabet: &'static [u8], max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(alphabet), 0..max)
}

/// A request head built from pieces, most of them valid, some not: odd
/// separators (Python's whitespace that is not HTTP's), odd versions, line
/// ends, header names and values with bytes `httparse` refuses.
fn built_head() -> impl Strategy<Value = Vec<u8>> {
    let method = pick(&[
        b"GET", b"HEAD", b"POST", b"get", b"OPTIONS", b"G@T", b"X-Y", b"",
    ]);
    let sep = || {
        pick(&[
            b" ", b" ", b" ", b"  ", b"\t", b"\x0b", b"\x0c", b"\x1c", b"\x85", b"\xa0",
        ])
    };
    let target = (
        pick(&[b"/", b"/", b"//", b"///", b"", b"http://h/", b"*"]),
        bytes_of(b"aZ09%2e./?#=&:@!$'()*+,;~-_\x80\xa0\x85\xff \t\"<\\", 16),
    )
        .prop_map(|(a, b)| [a, b].concat());
    let version = pick(&[
        b"HTTP/1.1",
        b"HTTP/1.1",
        b"HTTP/1.0",
        b"HTTP/0.9",
        b"HTTP/2.0",
        b"HTTP/1.10",
        b"HTTP/01.1",
        b"http/1.1",
        b"HTTP/1.1 ",
        b"HTTP/1",
    ]);
    let eol = || pick(&[b"\r\n", b"\r\n", b"\n", b"\r", b"\n\r"]);
    let name = bytes_of(b"HostX-aZ09!#_.:; \t\x7f\x80", 10);
    let value = bytes_of(b"abc 09\t/:;=,\"\x80\xff\x7f\x00\r", 12);
    let header = (name, pick(&[b":", b": ", b":  ", b" :", b""]), value, eol())
        .prop_map(|(n, c, v, e)| [n, c, v, e].concat());
    (
        method,
        sep(),
        target,
        sep(),
        version,
        eol(),
        prop::collection::vec(header, 0..5),
        pick(&[b"\r\n", b"\r\n", b"\n", b""]),
    )
        .prop_map(|(m, s1, t, s2, v, e, headers, end)| {
            [m, s1, t, s2, v, e, headers.concat(), end].concat()
        })
}

/// Any head to try: built from pieces, a mutated snapshot head, or noise.
fn any_head() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => built_head(),
        4 => mutated(http_heads()),
        1 => prop::collection::vec(any::<u8>(), 0..256),
    ]
}

/// What `httparse` makes of `bytes` when it accepts a whole head:
/// method, target, minor version, header fields.
type Parsed = (String, Vec<u8>, u8, Vec<(String, Vec<u8>)>);

fn httparse_head(bytes: &[u8]) -> Option<Parsed> {
    let mut fields = [httparse::EMPTY_HEADER; 128];
    let mut request = httparse::Request::new(&mut fields);
    match request.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => Some((
            request.method?.to_string(),
            request.path?.as_bytes().to_vec(),
            request.version?,
            request
                .headers
                .iter()
                .map(|h| (h.name.to_string(), h.value.to_vec()))
                .collect(),
        )),
        _ => None,
    }
}

/// Python's whitespace that HTTP does not use as a separator.
fn has_python_only_space(line: &[u8]) -> bool {
    line.iter()
        .any(|&b| matches!(b, b'\x0b' | b'\x0c' | b'\x1c'..=b'\x1f' | 0x85 | 0xa0))
}

proptest! {
    #![proptest_config(config(3000))]

    /// Nothing a client sends panics the head reader or the completeness check.
    #[test]
    fn no_head_panics(bytes in any_head()) {
        let _ = is_complete_head(&bytes);
        let _ = parse(&bytes);
    }

    /// Where both accept a head, `httparse` and ours read the same method,
    /// target, version and header fields.
    ///
    /// Two differences are on purpose: a target starting with `//` has its
    /// slashes collapsed (CPython gh-87389), and the request line is split at
    /// Python's whitespace (`str.split()` on Latin-1 text, which includes
    /// `\x0b`, `\x0c`, `\x1c`-`\x1f`, `\x85` and `\xa0`), as `http.server` does.
    #[test]
    fn agrees_with_httparse(bytes in any_head()) {
        let line_end = bytes.iter().position(|&b| b == b'\n').unwrap_or(bytes.len());
        if let (Ok(ours), Some((method, mut target, minor, headers))) =
            (parse(&bytes), httparse_head(&bytes))
        {
            prop_assume!(!has_python_only_space(&bytes[..line_end]));
            if target.starts_with(b"//") {
                let slashes = target.iter().take_while(|&&b| b == b'/').count();
                target.drain(..slashes - 1);
            }
            prop_assert_eq!(&ours.method, &method);
            prop_assert_eq!(&ours.target, &target);
            prop_assert_eq!(ours.version, Version { major: 1, minor: u64::from(minor) });
            prop_assert_eq!(&ours.headers, &headers);
        }
    }

    /// A head that `is_complete_head` calls whole reads the same whatever
    /// follows it: the event loop never parses a head that would change.
    #[test]
    fn a_complete_head_needs_no_more_bytes(
        bytes in any_head(),
        more in prop::collection::vec(any::<u8>(), 0..32),
    ) {
        if is_complete_head(&bytes) {
            let alone = format!("{:?}", parse(&bytes));
            let followed = format!("{:?}", parse(&[&bytes[..], &more[..]].concat()));
            prop_assert_eq!(alone, followed);
        }
    }

    /// A resolved path is a list of plain names: no `..`, no `.`, no empty
    /// part, no `/` and no NUL, so joined under the root it stays there.
    #[test]
    fn a_path_never_leaves_the_root(
        raw in prop_oneof![
            bytes_of(b"/.%2eE5cfF0a\\\x00?#:", 24),
            mutated(client_lines("http_").into_iter()
                .filter_map(|l| l.split(|&b| b == b' ').nth(1).map(<[u8]>::to_vec))
                .collect()),
        ],
    ) {
        let target = Target::split(&raw);
        if let Ok(resolved) = resolve(target.raw_path) {
            for part in &resolved.parts {
                prop_assert!(!part.is_empty() && part != b"." && part != b"..", "{:?}", part);
                prop_assert!(!part.contains(&b'/') && !part.contains(&0), "{:?}", part);
            }
            let root = std::path::Path::new("/srv/root");
            let relative = &resolved.relative();
            let relative = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(relative);
            let joined = root.join(relative);
            let mut depth = 0i32;
            for component in joined.strip_prefix(root).unwrap().components() {
                match component {
                    std::path::Component::Normal(_) => depth += 1,
                    std::path::Component::CurDir => {}
                    other => prop_assert!(false, "{:?} in {:?}", other, joined),
                }
            }
            prop_assert!(depth >= 0);
        }
    }

    /// A `Range` answer agrees with a plain reading of RFC 9110 for one
    /// range, lies inside the file, and the bytes it selects (as the
    /// handler sends them: `count` bytes from `start`) are the file's slice.
    #[test]
    fn a_range_selects_the_files_slice(
        header in prop_oneof![
            (pick(&[b"bytes=", b"BYTES =", b"bytes= ", b"lines=", b"bytes"]),
             bytes_of(b"0123456789-, x", 12))
                .prop_map(|(a, b)| String::from_utf8([a, b].concat()).unwrap()),
            (0u64..300, 0u64..300).prop_map(|(a, b)| format!("bytes={a}-{b}")),
            (0u64..300).prop_map(|a| format!("bytes={a}-")),
            (0u64..300).prop_map(|a| format!("bytes=-{a}")),
            ".*",
        ],
        file in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let len = file.len() as u64;
        let answer = range::parse(Some(&header), len);
        prop_assert_eq!(answer, reference_range(&header, len), "{:?} len {}", header, len);
        if let Ranged::Part { start, end } = answer {
            prop_assert!(start <= end && end < len);
            let count = (end - start + 1) as usize;
            let sent: Vec<u8> = file.iter().skip(start as usize).take(count).copied().collect();
            prop_assert_eq!(&sent[..], &file[start as usize..=end as usize]);
        }
    }

    /// Conditional headers of any text never panic, and a client that
    /// names our own ETag always gets "not modified".
    #[test]
    fn conditional_headers_never_panic(
        value in prop_oneof![
            ".*",
            pick(&[b"Sun, 06 Nov 1994 08:49:37 GMT", b"Sunday, 06-Nov-94 08:49:37 GMT",
                   b"Sun Nov  6 08:49:37 1994", b"\"x\"", b"W/\"x\"", b"*"])
                .prop_map(|v| String::from_utf8(v).unwrap()),
        ],
        name in prop::sample::select(&["If-None-Match", "If-Modified-Since", "If-Range"][..]),
        secs in any::<u32>(),
        len in any::<u64>(),
    ) {
        let validators = Validators::new(UNIX_EPOCH + Duration::from_secs(u64::from(secs)), len);
        let head = head_with(&[(name, value.as_bytes())]);
        let _ = validators.not_modified(&head);
        let _ = validators.range_allowed(&head);
        let own = head_with(&[("If-None-Match", validators.etag.as_bytes())]);
        prop_assert!(validators.not_modified(&own));
    }
}

/// RFC 9110 section 14.1.2 for one range, written out plainly (anything
/// unreadable or several ranges: the whole file).
fn reference_range(header: &str, len: u64) -> Ranged {
    let Some((unit, spec)) = header.split_once('=') else {
        return Ranged::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return Ranged::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ranged::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
    // Big numbers: as u128 (a header here has at most ~40 digits, u128 is exact
    // up to 38; saturate past that, which is past any file anyway).
    let num = |t: &str| t.parse::<u128>().unwrap_or(u128::MAX);
    let len = u128::from(len);
    let part = |s: u128, e: u128| Ranged::Part {
        start: s as u64,
        end: e as u64,
    };
    match (a.is_empty(), b.is_empty()) {
        (true, false) if digits(b) => {
            let n = num(b);
            if n == 0 || len == 0 {
                Ranged::Unsatisfiable
            } else {
                part(len - n.min(len), len - 1)
            }
        }
        (false, true) if digits(a) => {
            if num(a) >= len {
                Ranged::Unsatisfiable
            } else {
                part(num(a), len - 1)
            }
        }
        (false, false) if digits(a) && digits(b) => {
            let (s, e) = (num(a), num(b));
            if e < s {
                Ranged::Full
            } else if s >= len {
                Ranged::Unsatisfiable
            } else {
                part(s, e.min(len - 1))
            }
        }
        _ => Ranged::Full,
    }
}

fn head_with(headers: &[(&str, &[u8])]) -> Head {
    Head {
        line: "GET / HTTP/1.1".into(),
        method: "GET".into(),
        target: b"/".to_vec(),
        version: Version::HTTP_11,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_vec()))
            .collect(),
    }
}

/// The property above compares something: the snapshot heads are accepted
/// by both parsers, and read the same.
#[test]
fn snapshot_heads_read_the_same_as_httparse() {
    let mut compared = 0;
    for head in http_heads() {
        let (Ok(ours), Some((method, target, minor, headers))) =
            (parse(&head), httparse_head(&head))
        else {
            continue;
        };
        assert_eq!((ours.method, ours.target), (method, target));
        assert_eq!(ours.version.minor, u64::from(minor));
        assert_eq!(ours.headers, headers);
        compared += 1;
    }
    assert!(compared >= 5, "only {compared} snapshot heads compared");
}
