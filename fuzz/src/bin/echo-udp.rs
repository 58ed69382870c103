//! AFL++ target: the UDP echo handler and the broadcast receiver's line:
//! [`tests::machines::datagram::check_echo_and_broadcast`] (persistent mode).

use tests::machines::datagram::check_echo_and_broadcast;

fn main() {
    afl::fuzz!(|data: &[u8]| check_echo_and_broadcast(data));
}
