//! `cargo lesson NN` (or `just lesson NN`): runs one numbered lesson.
//!
//! `cargo lesson` or `cargo lesson list` lists them. A lesson starts real
//! programs by running this same executable as `lesson __program NAME ARGS`,
//! which is why the table of programs below exists.

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

/// The programs a lesson can start with `Program::start(label, NAME, args)`.
fn program(name: &str) -> Option<fn(Vec<OsString>) -> ExitCode> {
    Some(match name {
        "echo-server" => |args| examples::echo::main(args),
        "plain-echo" => |args| examples::plain_echo::main(args),
        _ => return None,
    })
}

fn list() {
    println!("Lessons (run one with `cargo lesson NN` or `just lesson NN`):");
    for lesson in LESSONS {
        println!("  {}  {}", lesson.number, lesson.title);
    }
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let first = args.get(1).and_then(|a| a.to_str()).unwrap_or("list");
    if first == "__program" {
        let name = args.get(2).and_then(|a| a.to_str()).unwrap_or("");
        let Some(main) = program(name) else {
            eprintln!("lesson: no program named {name:?}");
            return ExitCode::from(2);
        };
        // The program sees its own name as argv[0], then its arguments.
        return main(args[2..].to_vec());
    }
    if first == "list" {
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
    examples::lesson_kit::kill_all_started();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("lesson {} failed: {err}", lesson.number);
            ExitCode::FAILURE
        }
    }
}
