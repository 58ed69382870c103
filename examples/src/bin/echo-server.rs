//! echo-server: echoes every line back, over any transport, in any model.
//! The program lives in `examples::echo`, so that lessons can run it too.

fn main() -> std::process::ExitCode {
    examples::echo::main(std::env::args_os())
}
