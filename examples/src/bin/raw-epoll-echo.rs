//! raw-epoll-echo: a hand-written epoll echo server without the framework,
//! the event-loop benchmark's reference. The program lives in
//! `examples::raw_epoll_echo`.

fn main() -> std::process::ExitCode {
    examples::raw_epoll_echo::main(std::env::args_os())
}
