//! Property tests of the TCP chat room's state machine driven in memory
//! (`tests::machines::chat`): up to four clients connect, send lines
//! (whole, cut, too long, not UTF-8), end, read or not, drop; the room
//! ticks, the terminal speaks, the server stops. Every client reads whole
//! UTF-8 lines, no queue passes the limit, names stay unique, and no
//! talker is held back for ever. The AFL++ target `fuzz-chat-room` runs
//! the same check.
//!
//! `PROPTEST_CASES=20000 cargo test --release -p tests --test fuzz_chat_machine` runs longer.

mod fuzz_support;

use fuzz_support::{config, member_lines};
use proptest::prelude::*;

/// One event: `[what, length, bytes]`, the bytes a chat line from the
/// snapshots, a made-up line, or noise.
fn event() -> impl Strategy<Value = Vec<u8>> {
    let lines = member_lines("chat_");
    let bytes = prop_oneof![
        3 => prop::sample::select(lines),
        2 => "(alice|bob|carol|quit|admin|x{1,3})?[ a-z]{0,12}\n".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..40),
        1 => Just([vec![b'a'; 200], b"\n".to_vec()].concat()),
    ];
    // Connect and send most often; then read; the rest now and then.
    let what = prop_oneof![
        3 => Just(0u8), 6 => Just(1), 1 => Just(2), 3 => Just(3), 1 => Just(4),
        1 => Just(5), 1 => Just(6), 1 => Just(7),
    ];
    (what, 0u8..4, bytes).prop_map(|(what, who, bytes)| {
        let bytes = &bytes[..bytes.len().min(255)];
        [&[what | (who << 3), bytes.len() as u8][..], bytes].concat()
    })
}

proptest! {
    #![proptest_config(config(300))]

    /// Any sequence of clients' actions keeps the room's promises.
    #[test]
    fn the_room_keeps_its_promises(
        pick in any::<u8>(),
        events in prop::collection::vec(event(), 0..40),
    ) {
        tests::machines::chat::check(&[&[pick][..], &events.concat()].concat());
    }
}

/// A burst from one talker to a member that does not read (with the
/// tiny queue: the talker is held back, the listener cut off): once
/// everyone has read, no one is left held back, every line read is whole.
#[test]
fn a_burst_to_a_listener_that_does_not_read_leaves_no_one_stuck() {
    let mut data = vec![1u8]; // the tiny queue, default timeouts
    let event = |what: u8, who: u8, bytes: &[u8]| {
        [&[what | (who << 3), bytes.len() as u8][..], bytes].concat()
    };
    data.extend(event(0, 0, b""));
    data.extend(event(1, 0, b"alice\n"));
    data.extend(event(0, 1, b""));
    data.extend(event(1, 1, b"bob\n"));
    for _ in 0..40 {
        data.extend(event(1, 0, b"a fairly long line of chat to fill a queue\n"));
    }
    data.extend(event(3, 1, b""));
    tests::machines::chat::check(&data);
}
