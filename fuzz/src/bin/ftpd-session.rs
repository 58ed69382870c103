//! AFL++ target: the RFC 959 server's session fed any command lines on its
//! control connection, [`tests::machines::ftpd::check`] (persistent mode).

fn main() {
    afl::fuzz!(|data: &[u8]| tests::machines::ftpd::check(data));
}
