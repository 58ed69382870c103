//! AFL++ target: [`fuzz::check_chat`] on each input (persistent mode).
fn main() {
    afl::fuzz!(|data: &[u8]| fuzz::check_chat(data));
}
