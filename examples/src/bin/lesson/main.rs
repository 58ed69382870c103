//! `cargo lesson NN` (or `just lesson NN`): runs one numbered lesson.
//!
//! `cargo lesson` or `cargo lesson list` lists them. A lesson starts real
//! programs by running this same executable as `lesson __program NAME ARGS`,
//! which is why the table of programs below exists.

mod common_b;
mod l01_addresses;
mod l02_tcp_echo;
mod l03_udp;
mod l04_sticky_packets;
mod l05_socket_options;
mod l06_udp_broadcast;
mod l07_http_by_hand;
mod l08_blocking_timeouts;
mod l09_io_multiplexing;
mod l10_unix_sockets;
mod l11_processes;
mod l12_pools_and_ipc;
mod l13_signals;
mod l14_synchronisation;
mod l15_threads_and_gil;
mod l16_server_models;
mod l17_ftp_server;
mod l18_chat_room;
mod l19_http_server;
mod l20_own_handler;
mod tcp_states;

use std::ffi::OsString;
use std::process::ExitCode;

/// What a lesson returns: any error ends it with a message and exit code 1.
pub type LessonResult = Result<(), Box<dyn std::error::Error>>;

/// One entry of the course.
struct Lesson {
    number: &'static str,
    title: &'static str,
    run: fn() -> LessonResult,
}

const LESSONS: &[Lesson] = &[
    Lesson {
        number: "01",
        title: "addresses, ports and name look-ups",
        run: l01_addresses::run,
    },
    Lesson {
        number: "02",
        title: "TCP sockets: echo server and client",
        run: l02_tcp_echo::run,
    },
    Lesson {
        number: "03",
        title: "UDP sockets",
        run: l03_udp::run,
    },
    Lesson {
        number: "04",
        title: "sticky packets (粘包) and framing",
        run: l04_sticky_packets::run,
    },
    Lesson {
        number: "05",
        title: "socket options and attributes",
        run: l05_socket_options::run,
    },
    Lesson {
        number: "06",
        title: "UDP broadcast",
        run: l06_udp_broadcast::run,
    },
    Lesson {
        number: "07",
        title: "HTTP request and response by hand",
        run: l07_http_by_hand::run,
    },
    Lesson {
        number: "08",
        title: "blocking, non-blocking and timeouts",
        run: l08_blocking_timeouts::run,
    },
    Lesson {
        number: "09",
        title: "IO multiplexing: select, poll, epoll",
        run: l09_io_multiplexing::run,
    },
    Lesson {
        number: "10",
        title: "Unix domain sockets",
        run: l10_unix_sockets::run,
    },
    Lesson {
        number: "11",
        title: "processes: fork, orphans, zombies, wait",
        run: l11_processes::run,
    },
    Lesson {
        number: "12",
        title: "process pools and IPC",
        run: l12_pools_and_ipc::run,
    },
    Lesson {
        number: "13",
        title: "signals",
        run: l13_signals::run,
    },
    Lesson {
        number: "14",
        title: "synchronisation: Event, Lock, Semaphore, deadlock",
        run: l14_synchronisation::run,
    },
    Lesson {
        number: "15",
        title: "threads and the GIL question",
        run: l15_threads_and_gil::run,
    },
    Lesson {
        number: "16",
        title: "server models side by side",
        run: l16_server_models::run,
    },
    Lesson {
        number: "17",
        title: "the FTP-style file server",
        run: l17_ftp_server::run,
    },
    Lesson {
        number: "18",
        title: "the chat room",
        run: l18_chat_room::run,
    },
    Lesson {
        number: "19",
        title: "the HTTP server",
        run: l19_http_server::run,
    },
    Lesson {
        number: "20",
        title: "write your own handler",
        run: l20_own_handler::run,
    },
];

/// The programs a lesson can start with `Program::start(label, NAME, args)`:
/// the project's servers, and small programs that belong to one lesson
/// (their code lives beside that lesson, e.g. `l02_tcp_echo/raw_server.rs`).
fn program(name: &str) -> Option<fn(Vec<OsString>) -> ExitCode> {
    Some(match name {
        "echo-server" => |args| examples::echo::main(args),
        "raw-echo-server" => l02_tcp_echo::raw_server::main,
        "raw-udp-server" => l03_udp::raw_server::main,
        "sticky-server" => l04_sticky_packets::server::main,
        "tiny-http-server" => l07_http_by_hand::tiny_server::main,
        "mux-echo-server" => |args| examples::multiplex::main(args),
        "select-homework" => |args| examples::multiplex::homework::main(args),
        "process-demo" => l11_processes::demo::main,
        "ipc-demo" => l12_pools_and_ipc::demo::main,
        "signal-demo" => l13_signals::demo::main,
        "sync-demo" => l14_synchronisation::processes::main,
        "gil-worker" => l15_threads_and_gil::jobs::main,
        "daemon-demo" => l15_threads_and_gil::daemon::main,
        "trace-server" => |args| examples::own_handler::main(args),
        "http-server" => |args| examples::http::main(args),
        "ftp-server" => |args| examples::ftp::server::main(args),
        "ftp-client" => |args| examples::ftp::client::main(args),
        "chat-server" => |args| examples::chat::server::main(args),
        "chat-client" => |args| examples::chat::client::main(args),
        "broadcast-send" => |args| examples::broadcast::send::main(args),
        "broadcast-recv" => |args| examples::broadcast::recv::main(args),
        _ => return None,
    })
}

fn list() {
    println!("Lessons (run one with `cargo lesson NN` or `just lesson NN`):");
    for lesson in LESSONS {
        println!("  {}  {}", lesson.number, lesson.title);
    }
}

/// Makes `cargo lesson 02 | head` end quietly: when the reader of stdout
/// goes away, printing panics (Rust ignores SIGPIPE); the panic unwinds,
/// which stops the lesson's programs (their `Drop`), and needs no report.
fn quiet_on_closed_stdout() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if !message.starts_with("failed printing to stdout") {
            default_hook(info);
        }
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let args: Vec<OsString> = std::env::args_os().collect();
    // A missing argument lists; an argument that is not UTF-8 is simply
    // not a lesson number (it must not turn into "list").
    let first = args
        .get(1)
        .map_or_else(|| "list".into(), |a| a.to_string_lossy().into_owned());
    let first = first.as_str();
    if first == "__program" {
        let name = args.get(2).and_then(|a| a.to_str()).unwrap_or("");
        let Some(main) = program(name) else {
            eprintln!("lesson: no program named {name:?}");
            return ExitCode::from(2);
        };
        // The program sees its own name as argv[0], then its arguments.
        return main(args[2..].to_vec());
    }
    if matches!(first, "list" | "help" | "-h" | "--help") {
        list();
        return ExitCode::SUCCESS;
    }
    // Accept "2" as well as "02".
    let wanted = format!("{:0>2}", first);
    let Some(lesson) = LESSONS.iter().find(|l| l.number == wanted) else {
        eprintln!("lesson: there is no lesson {first:?}\n");
        list();
        return ExitCode::from(2);
    };
    println!("Lesson {}: {}", lesson.number, lesson.title);
    let result = (lesson.run)();
    // On Ctrl+C the kit's handler stops everything and exits with 130.
    examples::lesson_kit::wait_if_interrupted();
    examples::lesson_kit::kill_all_started();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("lesson {} failed: {err}", lesson.number);
            ExitCode::FAILURE
        }
    }
}
