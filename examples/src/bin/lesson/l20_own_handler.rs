//! Lesson 20: write your own handler — the framework from the inside.
//!
//! Runs `trace-server` (examples/src/own_handler/) once per model and sends
//! it one request each time. The server prints every step the request
//! takes: serve_forever polls, get_request accepts (or recvfroms),
//! verify_request lets it in, the mix-in's process_request runs the job
//! inline, in a thread or in a forked child, and the handler's setup /
//! handle / finish run there. The trace says which thread and which process
//! each step ran in. Every server is its own process (a forking server must
//! not be forked from this multi-threaded lesson).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream, UdpSocket};
use std::time::Duration;

use examples::lesson_kit::{Program, heading, read_next, say};

use crate::LessonResult;

const DEADLINE: Duration = Duration::from_secs(5);

/// Runs the lesson.
pub fn run() -> LessonResult {
    heading("The path of one request");
    say("serve_forever -> poll(socket, wake-up pipe) -> get_request (accept / recvfrom)");
    say("  -> verify_request -> mixin.process_request(job) -> [inline | thread | fork]");
    say("  -> handler.setup -> handle -> finish -> close the request -> back to the loop");
    say("trace-server wraps the transport, the mix-in and the handler to print each step.");

    tcp_round(
        "sequential",
        "the job ran in thread main of the server process itself: while it runs, \
         the loop is not polling, so no other client is accepted (the loop server)",
    )?;
    tcp_round(
        "threading",
        "the job ran in a thread named \"request\" of the same process; \
         process_request returned at once and the loop went back to poll",
    )?;
    tcp_round(
        "forking",
        "the job ran in a CHILD process (another pid); the parent closed its copy of \
         the connection at once, and reaps the child (waitpid) in service_actions",
    )?;
    udp_round()?;

    heading("A mix-in of your own");
    say("TracingMixIn (examples/src/own_handler/mixin.rs) is a whole MixIn: it receives the");
    say("request as a Job (one closure: handler, handle_error, close), wraps it with two trace");
    say("lines, and hands it to the mix-in it wraps. Any model is a process_request that runs");
    say("the job somewhere, plus service_actions (reaping) and server_close (waiting).");
    say("Now write one: exercise 09, a bounded thread pool (`cargo exercise 09`).");

    read_next(
        "notes/20-own-handler.md",
        &[
            "framework/src/server.rs (serve_forever, handle_one_request, job)",
            "framework/src/mixin/mod.rs, sequential.rs, threading.rs, forking.rs",
            "framework/src/handler.rs (run_handler: setup / handle / finish)",
            "framework/src/transport.rs (get_request), framework/src/request.rs (close)",
            "examples/src/own_handler/ (the tracing wrappers)",
            "exercises/src/ex09_bounded_pool.rs (your turn)",
        ],
    );
    Ok(())
}

/// Starts the traced server, sends one request over TCP, shows the trace.
fn tcp_round(model: &str, lesson: &str) -> LessonResult {
    heading(&format!("TCP, {model}"));
    let server = Program::server("server", "trace-server", &["--model", model, "0"])?;
    say(&format!("server pid {}", server.pid()));
    let mut client = TcpStream::connect(("127.0.0.1", server.port))?;
    client.set_read_timeout(Some(DEADLINE))?;
    say("the client sends \"hello\\n\"");
    client.write_all(b"hello\n")?;
    let mut reply = String::new();
    BufReader::new(&client).read_line(&mut reply)?;
    say(&format!("the client got {reply:?}; it closes its side"));
    client.shutdown(Shutdown::Write)?;
    let mut rest = Vec::new();
    (&client).read_to_end(&mut rest)?;
    let started = server
        .wait_for("the job starts", DEADLINE)
        .ok_or("the server printed no trace of the job")?;
    server
        .wait_for("the job ended", DEADLINE)
        .ok_or("the job did not end")?;
    if model == "forking" {
        // The child has exited; the next pass of the loop (within 0.5 s) reaps it.
        server
            .wait_for("service_actions, back in the loop: 0 child", DEADLINE)
            .ok_or("the server did not reap its child")?;
    }
    stop(server)?;
    say(&format!("seen: {}", started.trim()));
    say(&format!("so: {lesson}"));
    Ok(())
}

/// The same with one UDP datagram: get_request is recvfrom, the reply goes
/// out after finish.
fn udp_round() -> LessonResult {
    heading("UDP, sequential");
    let server = Program::server(
        "server",
        "trace-server",
        &["--transport", "udp", "--model", "sequential", "0"],
    )?;
    say(&format!("server pid {}", server.pid()));
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(DEADLINE))?;
    say("the client sends the datagram \"hello\"");
    socket.send_to(b"hello", ("127.0.0.1", server.port))?;
    let mut buf = [0u8; 512];
    let n = socket.recv(&mut buf)?;
    say(&format!(
        "the client got the datagram {:?}",
        String::from_utf8_lossy(&buf[..n])
    ));
    server
        .wait_for("the job ended", DEADLINE)
        .ok_or("the job did not end")?;
    stop(server)?;
    say("so: one datagram is one request; no connection, nothing to close; the reply");
    say("    written into wfile left as one datagram after finish (DatagramRequest::complete)");
    Ok(())
}

/// Ctrl+C, then wait until the server has printed its last line and exited.
fn stop(server: Program) -> LessonResult {
    say("Ctrl+C to the server:");
    let pid = nix::unistd::Pid::from_raw(server.pid() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT)?;
    server
        .wait_for("the program ends", DEADLINE)
        .ok_or("the server did not shut down on Ctrl+C")?;
    // Dropping the Program waits for the process (and kills anything left).
    drop(server);
    Ok(())
}
