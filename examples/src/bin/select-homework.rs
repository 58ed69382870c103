//! select-homework: see `examples::multiplex::homework` (the program lives in the library so lessons can run it too).

fn main() -> std::process::ExitCode {
    examples::multiplex::homework::main(std::env::args_os())
}
