//! http-server: Python's `http.server`, in Rust, and better.
//! The program lives in `examples::http`, so that lessons can run it too.

fn main() -> std::process::ExitCode {
    examples::http::main(std::env::args_os())
}
