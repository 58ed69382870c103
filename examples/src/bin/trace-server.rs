//! trace-server: prints the path of every request through the framework (lesson 20).
//! The program lives in `examples::own_handler`, so that lessons can run it too.

fn main() -> std::process::ExitCode {
    examples::own_handler::main(std::env::args_os())
}
