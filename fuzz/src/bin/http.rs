//! AFL++ target: [`fuzz::check_http`] on each input (persistent mode).
fn main() {
    afl::fuzz!(|data: &[u8]| fuzz::check_http(data));
}
