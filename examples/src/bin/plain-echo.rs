//! plain-echo: a thread-per-connection echo server without the framework,
//! the benchmark's reference. The program lives in `examples::plain_echo`.

fn main() -> std::process::ExitCode {
    examples::plain_echo::main(std::env::args_os())
}
