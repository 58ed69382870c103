//! AFL++ target: a fuzzed `Range` (and `If-Range`) through the HTTP protocol:
//! [`tests::machines::http::check_range`] (persistent mode).

use std::panic::AssertUnwindSafe;

use tests::machines::http::{HttpFixture, check_range};

fn main() {
    // A panic ends the process (AFL++ records a crash): no state after it
    // is ever used, so the fixture's locks may cross the unwind boundary.
    let fixture = AssertUnwindSafe(HttpFixture::new().expect("the served directory"));
    afl::fuzz!(|data: &[u8]| {
        // The whole wrapper, not the field a closure would capture alone.
        let fixture = &fixture;
        check_range(&fixture.0, data)
    });
}
