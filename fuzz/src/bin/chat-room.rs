//! AFL++ target: the TCP chat room's state machine driven in memory:
//! [`tests::machines::chat::check`] (persistent mode).

use tests::machines::chat::check;

fn main() {
    afl::fuzz!(|data: &[u8]| check(data));
}
