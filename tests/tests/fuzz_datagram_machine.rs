//! Property tests of the datagram handlers fed datagrams in memory
//! (`tests::machines::datagram`): the UDP echo answers every datagram
//! with itself, the broadcast receiver prints one clean line, and the UDP
//! chat room answers `OK` / `EXIT` / `ERR`, sends clean lines only to
//! members, never a member's message back to it. The AFL++ targets
//! `fuzz-echo-udp` and `fuzz-chat-udp` run the same checks.
//!
//! `PROPTEST_CASES=20000 cargo test --release -p tests --test fuzz_datagram_machine` runs longer.

mod fuzz_support;

use fuzz_support::{config, member_lines};
use proptest::prelude::*;
use tests::machines::datagram::{check_echo_and_broadcast, check_udp_chat};

/// One chat event: `[what, length, bytes]`, the bytes a datagram from the
/// UDP snapshot, a made-up request, or noise.
fn event() -> impl Strategy<Value = Vec<u8>> {
    let bytes = prop_oneof![
        3 => prop::sample::select(member_lines("chat_udp")),
        3 => "(L|C|Q|H) (alice|bob|carol|admin|x)( [ a-z]{0,12})?".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..60),
        1 => Just([b"C alice ".to_vec(), vec![b'a'; 240]].concat()),
    ];
    (0u8..8, 0u8..4, bytes).prop_map(|(what, who, bytes)| {
        let bytes = &bytes[..bytes.len().min(255)];
        [&[what | (who << 3), bytes.len() as u8][..], bytes].concat()
    })
}

proptest! {
    #![proptest_config(config(500))]

    /// Any datagram is echoed as it is and printed as one clean line.
    #[test]
    fn echo_and_broadcast_take_any_datagram(
        data in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..2000),
            "\\PC{0,40}".prop_map(String::into_bytes),
            Just(b"\x1b[2J\r\n\0\x7f".to_vec()),
        ],
    ) {
        check_echo_and_broadcast(&data);
    }

    /// Any sequence of datagrams keeps the UDP room's promises.
    #[test]
    fn the_udp_room_keeps_its_promises(
        pick in any::<u8>(),
        events in prop::collection::vec(event(), 0..40),
    ) {
        check_udp_chat(&[&[pick][..], &events.concat()].concat());
    }
}
