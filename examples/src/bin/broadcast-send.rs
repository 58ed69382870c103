//! broadcast-send: sends datagrams to a broadcast address.
//! The program lives in `examples::broadcast::send`, so that lessons can run it too.

fn main() -> std::process::ExitCode {
    examples::broadcast::send::main(std::env::args_os())
}
