//! What the property tests (`fuzz_*.rs`) share: how many cases to run, and
//! seeds taken from the snapshot transcripts, so the generators start from
//! real requests and mutate them.

#![allow(dead_code)] // each test file uses a part of it

use proptest::prelude::*;
use proptest::test_runner::Config;

/// Cases per property: `PROPTEST_CASES` when set (a longer run by hand),
/// else a number small enough for CI (all `fuzz_*` files in a few seconds).
pub fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        // A failure is printed with its minimal input; it becomes a named
        // regression test by hand, not a file written beside the sources.
        failure_persistence: None,
        ..Config::default()
    }
}

/// The snapshot directory, and the names of its files that start with
/// `prefix`, sorted.
fn snapshots(prefix: &str) -> (std::path::PathBuf, Vec<String>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/snapshots")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix) && n.ends_with(".snap"))
        .collect();
    names.sort();
    (dir, names)
}

/// The client's lines (`C: ...`) of the snapshot files whose name starts
/// with `prefix`, unescaped (`\r`, `\n`, `\t`, `\\`), one transcript each.
/// Placeholders such as `<2000 bytes of G, no LF>` are kept as text.
pub fn client_transcripts(prefix: &str) -> Vec<Vec<u8>> {
    let (dir, names) = snapshots(prefix);
    assert!(!names.is_empty(), "no snapshot starts with {prefix}");
    names
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(name)).expect("a snapshot");
            let mut bytes = Vec::new();
            for line in text.lines().filter_map(|l| l.strip_prefix("C: ")) {
                bytes.extend_from_slice(&unescape(line));
            }
            bytes
        })
        .collect()
}

/// The lines of the client transcripts, each with its line end.
pub fn client_lines(prefix: &str) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for transcript in client_transcripts(prefix) {
        for line in transcript.split_inclusive(|&b| b == b'\n') {
            lines.push(line.to_vec());
        }
    }
    lines
}

fn unescape(line: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('\\') => out.push(b'\\'),
            Some(other) => {
                out.push(b'\\');
                let mut buf = [0; 4];
                out.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
            }
            None => out.push(b'\\'),
        }
    }
    out
}

/// One of `seeds`, then a few random edits: a byte replaced, inserted or
/// removed, or a piece repeated (what a coverage-guided fuzzer would try).
pub fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let edit = (
        0..4u8,
        any::<prop::sample::Index>(),
        any::<u8>(),
        1..64usize,
    );
    (
        prop::sample::select(seeds),
        prop::collection::vec(edit, 0..6),
    )
        .prop_map(|(mut bytes, edits)| {
            for (kind, at, byte, n) in edits {
                let i = if bytes.is_empty() {
                    0
                } else {
                    at.index(bytes.len())
                };
                match kind {
                    0 if !bytes.is_empty() => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    2 if !bytes.is_empty() => {
                        bytes.remove(i);
                    }
                    3 => {
                        let end = (i + n).min(bytes.len());
                        let piece = bytes[i..end].to_vec();
                        bytes.splice(i..i, piece);
                    }
                    _ => {}
                }
            }
            bytes
        })
}

/// What the members send in the snapshot files whose name starts with
/// `prefix` (the chat transcripts write `name -> line`), unescaped.
pub fn member_lines(prefix: &str) -> Vec<Vec<u8>> {
    let (dir, names) = snapshots(prefix);
    let mut lines = Vec::new();
    for name in names {
        let text = std::fs::read_to_string(dir.join(name)).expect("a snapshot");
        for line in text.lines() {
            if let Some((_, sent)) = line.split_once(" -> ") {
                lines.push(unescape(sent));
            }
        }
    }
    assert!(!lines.is_empty(), "no member lines in {prefix}*");
    lines
}
