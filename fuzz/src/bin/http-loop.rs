//! AFL++ target: the HTTP server's event-loop protocol driven in memory:
//! [`tests::machines::http::check`] on the session
//! [`tests::machines::Script::from_fuzz`] reads from each input (persistent
//! mode).

use std::panic::AssertUnwindSafe;

use tests::machines::Script;
use tests::machines::http::{HttpFixture, check};

fn main() {
    // A panic ends the process (AFL++ records a crash): no state after it
    // is ever used, so the fixture's locks may cross the unwind boundary.
    let fixture = AssertUnwindSafe(HttpFixture::new().expect("the served directory"));
    afl::fuzz!(|data: &[u8]| {
        // The whole wrapper, not the field a closure would capture alone.
        let fixture = &fixture;
        check(&fixture.0, &Script::from_fuzz(data))
    });
}
