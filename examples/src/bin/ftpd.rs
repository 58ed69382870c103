//! ftpd: serves a directory over standard FTP (RFC 959), for curl, lftp,
//! Python's ftplib, FileZilla. The program lives in `examples::ftp::rfc959`.

fn main() -> std::process::ExitCode {
    examples::ftp::rfc959::handler::main(std::env::args_os())
}
