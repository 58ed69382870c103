//! AFL++ target: the course's FTP-style server session driven in memory,
//! [`tests::machines::ftp::check`] on the session
//! [`tests::machines::Script::from_fuzz`] reads from each input (persistent
//! mode).

use tests::machines::Script;
use tests::machines::ftp::check;

fn main() {
    afl::fuzz!(|data: &[u8]| check(&Script::from_fuzz(data)));
}
