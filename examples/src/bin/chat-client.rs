//! chat-client: joins the UDP chat room and talks.
//! The program lives in `examples::chat::client`, so that lessons can run it too.

fn main() -> std::process::ExitCode {
    examples::chat::client::main(std::env::args_os())
}
