//! broadcast-recv: prints the broadcast datagrams that arrive on a port.
//! The program lives in `examples::broadcast::recv`, so that lessons can run it too.

fn main() -> std::process::ExitCode {
    examples::broadcast::recv::main(std::env::args_os())
}
