//! chat-server: the chat room server (UDP, or TCP lines with --tcp).
//! The program lives in `examples::chat::server`, so that lessons can run it too.

fn main() -> std::process::ExitCode {
    examples::chat::server::main(std::env::args_os())
}
