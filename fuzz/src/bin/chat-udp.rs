//! AFL++ target: the UDP chat room fed datagrams in memory:
//! [`tests::machines::datagram::check_udp_chat`] (persistent mode).

use tests::machines::datagram::check_udp_chat;

fn main() {
    afl::fuzz!(|data: &[u8]| check_udp_chat(data));
}
