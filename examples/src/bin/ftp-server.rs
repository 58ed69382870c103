//! ftp-server: serves a directory to ftp-clients (list, download, upload).
//! The program lives in `examples::ftp::server`, so that lessons can run it too.

fn main() -> std::process::ExitCode {
    examples::ftp::server::main(std::env::args_os())
}
