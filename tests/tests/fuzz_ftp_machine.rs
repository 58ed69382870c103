//! Property tests of the course's FTP-style server session driven in
//! memory (`tests::machines::ftp`): requests and uploads from bytes in
//! any reads, replies and downloads to bytes. Every reply is well formed
//! (and a download exactly its announced size), nothing outside the
//! library is sent or changed, no file is overwritten, and only whole
//! uploads appear. The AFL++ target `fuzz-ftp-session` runs the same check.
//!
//! `PROPTEST_CASES=20000 cargo test --release -p tests --test fuzz_ftp_machine` runs longer.

mod fuzz_support;

use fuzz_support::{client_transcripts, config, mutated};
use proptest::prelude::*;
use tests::machines::Script;
use tests::machines::ftp::check;

/// One request, with the bytes of an upload (sometimes fewer than it
/// announced: the input then ends mid-upload).
fn request() -> impl Strategy<Value = Vec<u8>> {
    let name = prop::sample::select(
        &[
            "a.txt",
            "new",
            "new",
            "big.bin",
            "link",
            "../outside/secret",
            "/etc/passwd",
            ".",
            "..",
            ".upload-x",
            "a\0b",
            "sp ace",
            "",
            "root/x",
        ][..],
    );
    prop_oneof![
        2 => Just(b"L\n".to_vec()),
        2 => name.clone().prop_map(|n| format!("G {n}\n").into_bytes()),
        3 => (name, prop::collection::vec(any::<u8>(), 0..40), 0usize..3).prop_map(
            |(n, body, short)| {
                let mut line = format!("P {} {n}\n", body.len()).into_bytes();
                line.extend_from_slice(&body[..body.len().saturating_sub(short / 2 * 5)]);
                line
            }
        ),
        1 => Just(b"Q\n".to_vec()),
        1 => "[LGPQ ]{0,3}[ -~]{0,10}\r?\n".prop_map(String::into_bytes),
        1 => Just([vec![b'G'; 1500], b"\n".to_vec()].concat()),
    ]
}

fn script() -> impl Strategy<Value = Script> {
    let input = prop_oneof![
        3 => prop::collection::vec(request(), 1..8).prop_map(|r| r.concat()),
        2 => mutated(client_transcripts("ftp_transcript")),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ];
    (input, prop::collection::vec(1usize..64, 0..20)).prop_map(|(input, cuts)| Script {
        input,
        cuts,
        ..Script::default()
    })
}

proptest! {
    #![proptest_config(config(300))]

    /// Any session keeps the server's promises.
    #[test]
    fn any_session_keeps_the_library_whole(script in script()) {
        check(&script);
    }
}

/// An upload cut short (the client leaves mid-file) leaves nothing behind.
#[test]
fn an_upload_cut_short_leaves_no_file() {
    check(&Script {
        input: b"P 100 half\nonly forty bytes of the hundred promised..".to_vec(),
        cuts: vec![7, 3],
        ..Script::default()
    });
}
