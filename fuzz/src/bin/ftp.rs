//! AFL++ target: [`fuzz::check_ftp`] on each input (persistent mode).
fn main() {
    afl::fuzz!(|data: &[u8]| fuzz::check_ftp(data));
}
