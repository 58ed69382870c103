//! mux-echo-server: see `examples::multiplex` (the program lives in the library so lessons can run it too).

fn main() -> std::process::ExitCode {
    examples::multiplex::main(std::env::args_os())
}
