//! `cargo lesson 19` runs by itself, shows every exchange it promises, ends
//! within 15 s (`run_lesson`'s deadline), and leaves no process behind.

use std::time::Duration;

#[test]
fn lesson_19_runs_and_cleans_up() {
    let run = tests::run_lesson(&["19"], Duration::from_secs(15));
    let text = &run.stdout;
    assert!(run.status.success(), "{text}\n{}", run.stderr);
    for marker in [
        "[server] Serving HTTP on 127.0.0.1 port ",
        "[client] > GET /hello.txt HTTP/1.1\\r\\n",
        "[client] < HTTP/1.1 200 OK\\r\\n",
        "[client] < HTTP/1.1 206 Partial Content\\r\\n",
        "[client] < Content-Range: bytes 0-4/23\\r\\n",
        "Directory listing for /pictures/",
        "cat%20%26%20dog.txt",
        "[client] < HTTP/1.1 301 Moved Permanently\\r\\n",
        "[client] < Location: /docs/\\r\\n",
        "[client] < HTTP/1.1 404 File not found\\r\\n",
        "[client] < HTTP/1.1 304 Not Modified\\r\\n",
        "\"GET /hello.txt HTTP/1.1\" 200 23",
        "the server closed the connection: yes",
        "Keyboard interrupt received, exiting.",
        "has exited: yes",
        "Read next: notes/19-http-server.md",
    ] {
        assert!(text.contains(marker), "missing {marker:?} in:\n{text}");
    }
    // Keep-alive: steps 2 and 3 used one local port.
    let ports: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split("local port ").nth(1))
        .map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next().unwrap())
        .collect();
    assert_eq!(ports.len(), 2, "{text}");
    assert_eq!(
        ports[0], ports[1],
        "the second request used a new connection"
    );
    // The server it started is gone.
    let server_pid = text
        .split("http-server runs as process ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap();
    assert!(!std::path::Path::new(&format!("/proc/{server_pid}")).exists());
    assert!(
        run.leftovers.is_empty(),
        "lesson 19 left processes behind: {:?}",
        run.leftovers
    );
}
