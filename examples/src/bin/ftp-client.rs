//! ftp-client: the menu-driven client of ftp-server, with one-shot forms.
//! The program lives in `examples::ftp::client`, so that lessons can run it too.

fn main() -> std::process::ExitCode {
    examples::ftp::client::main(std::env::args_os())
}
