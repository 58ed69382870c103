//! Property tests of the RFC 959 server's session (`ftpd`) fed any
//! command lines on its control connection (`tests::machines::ftpd`):
//! every reply is well formed (code, CRLF, multi-line form), no reply
//! shows what lies outside the root, nothing outside it changes. The
//! AFL++ target `fuzz-ftpd-session` runs the same check.
//!
//! `PROPTEST_CASES=5000 cargo test --release -p tests --test fuzz_ftpd_machine` runs longer.

mod fuzz_support;

use fuzz_support::{client_transcripts, config, mutated};
use proptest::prelude::*;
use tests::machines::ftpd::check;

/// A command line: a verb of the server's, an argument that is a path
/// (in, out, through links, with `..`), or noise.
fn command() -> impl Strategy<Value = Vec<u8>> {
    let verb = prop::sample::select(
        &[
            "USER", "PASS", "CWD", "CDUP", "PWD", "LIST", "NLST", "MLSD", "MLST", "SIZE", "MDTM",
            "RETR", "STOR", "DELE", "MKD", "RMD", "RNFR", "RNTO", "STAT", "PASV", "EPSV", "REST",
            "TYPE", "HELP", "FEAT", "NOOP", "OPTS", "XMKD", "STOU", "APPE", "QUIT",
        ][..],
    );
    let arg = prop::sample::select(
        &[
            "",
            " anonymous",
            " x",
            " a.txt",
            " sub",
            " sub/b.txt",
            " ..",
            " ../..",
            " /..",
            " out",
            " out/",
            " sub/abs",
            " sub/abs/x",
            " ../outside",
            " /tmp",
            " new",
            " sub/../new",
            " a\"b",
            " \u{e9}",
            " .",
            " //",
            " a.txt/",
            " I",
            " 100",
        ][..],
    );
    prop_oneof![
        6 => (verb, arg, prop::sample::select(&["\r\n", "\n"][..]))
            .prop_map(|(v, a, e)| format!("{v}{a}{e}").into_bytes()),
        1 => "[ -~]{0,20}\r\n".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..30),
    ]
}

proptest! {
    #![proptest_config(config(120))]

    /// Any command lines, logged in first or not.
    #[test]
    fn any_commands_get_well_formed_replies(
        login in any::<bool>(),
        commands in prop_oneof![
            3 => prop::collection::vec(command(), 0..25).prop_map(|c| c.concat()),
            1 => mutated(client_transcripts("ftpd_")),
        ],
    ) {
        let start: &[u8] = if login { b"USER anonymous\r\nPASS x\r\n" } else { b"" };
        check(&[start, &commands[..]].concat());
    }
}

/// A session that climbs out through every way in the fixture gets
/// refusals only (and the check sees no outside name in any reply).
#[test]
fn climbing_out_is_refused() {
    check(
        b"USER anonymous\r\nPASS x\r\nCWD ..\r\nLIST ..\r\nSTAT out\r\nSTAT out/\r\nMLST sub/abs\r\n\
          CWD out\r\nSIZE ../outside\r\nRNFR a.txt\r\nRNTO ../a.txt\r\nMKD ../x\r\nDELE out\r\nQUIT\r\n",
    );
}
