//! The list of exercises: number, file, the lesson it practises, and the hint.

/// One exercise.
#[derive(Debug)]
pub struct Exercise {
    /// Two digits, as typed: `cargo exercise 01`.
    pub number: &'static str,
    /// Short title.
    pub title: &'static str,
    /// The file the learner edits, under `exercises/src/`.
    pub file: &'static str,
    /// The lesson (and note) it practises.
    pub lesson: &'static str,
    /// What `cargo hint NN` prints.
    pub hint: &'static str,
}

/// Every exercise, in course order.
pub const EXERCISES: &[Exercise] = &[
    Exercise {
        number: "01",
        title: "uppercase echo",
        file: "ex01_uppercase_echo.rs",
        lesson: "02 (notes/02-*.md)",
        hint: "Read lines with `req.rfile.read_line(&mut line)` until it returns 0 (end of file), \
and write each one back with `req.wfile.write_all(line.to_uppercase().as_bytes())`. \
Clear `line` after each one: read_line appends. Keep the newline: the client reads lines.",
    },
    Exercise {
        number: "02",
        title: "UDP time server",
        file: "ex02_udp_time.rs",
        lesson: "03 (notes/03-*.md)",
        hint: "The datagram is `req.packet()` (or read `req.rfile`). Trim it (a client may send \
\"time\\n\"), compare with \"time\", and write the reply into `req.wfile`: the framework sends \
whatever is there as ONE datagram after `finish`. Seconds since 1970: \
`SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs()`.",
    },
    Exercise {
        number: "03",
        title: "line framing codec (粘包)",
        file: "ex03_line_codec.rs",
        lesson: "04 (notes/04-*.md)",
        hint: "One read() is not one message: TCP is a byte stream. Append every chunk to \
`self.buffer`, then loop: find the first b'\\n' (`iter().position`), take the bytes before it \
out of the buffer (`drain(..=i)`), drop a trailing b'\\r', convert with String::from_utf8. \
What stays in the buffer waits for the next chunk. If the buffer holds MAX_LINE bytes and \
still no newline, return an error instead of growing forever.",
    },
    Exercise {
        number: "04",
        title: "a poll() server: many clients, one thread",
        file: "ex04_poll_server.rs",
        lesson: "09 (notes/09-*.md)",
        hint: "Keep a Vec of clients. Each turn, build PollFds: the listener first, then every \
client, all with PollFlags::POLLIN, and call nix::poll::poll(&mut fds, PollTimeout::NONE). \
Listener readable: accept (it never blocks then). Client readable: read() ONCE (it won't block), \
put the bytes in that client's buffer, answer every complete line, and forget the client when \
read() returns 0. Never call a read that can block on one client while others wait.",
    },
    Exercise {
        number: "05",
        title: "a forking server that counts its children",
        file: "ex05_forking_children.rs",
        lesson: "11 and 16 (notes/11-*.md, notes/16-*.md)",
        hint: "In the handler (it runs in the child): `std::process::id()` is the child's pid and \
`nix::unistd::getppid()` the server's. In serve(): bind a ForkingTcpServer, set a timeout \
(`server.set_timeout(Some(Duration::from_millis(100)))`) and loop on `server.handle_request()`: \
it returns after each request or timeout, and reaps finished children each time. After each \
call read `server.mixin().active_children()` and print `children: N` when N changed.",
    },
    Exercise {
        number: "06",
        title: "verify_request: an allow-list",
        file: "ex06_allow_list.rs",
        lesson: "16 and 20 (notes/20-own-handler.md)",
        hint: "Only internet addresses can match: `client.inet()` is None for a Unix socket. \
Compare `addr.ip()` with each allowed address; an IPv6 client may be an IPv4 one in disguise \
(::ffff:127.0.0.1): `Ipv6Addr::to_ipv4_mapped()` unwraps it. Return false by default.",
    },
    Exercise {
        number: "07",
        title: "a chat command: /who",
        file: "ex07_chat_who.rs",
        lesson: "18 (notes/18-*.md)",
        hint: "Lock `self.room.members`, collect the names (`.values().map(|m| m.name.clone())`), \
sort them, join them with \", \" and write `* online: alice, bob\\n` to `req.wfile` only: \
the sender asked, nobody else should see it. Do not hold the lock while you write to another \
client's socket for longer than needed.",
    },
    Exercise {
        number: "08",
        title: "an HTTP handler that serves JSON",
        file: "ex08_http_json.rs",
        lesson: "19 (notes/19-*.md)",
        hint: "Split the request line on spaces: method, target, version. Read header lines \
until an empty line (\"\\r\\n\"). Split the target at '?' and find `name=` in the query; \
percent-decode it (%20 -> space). Build the body with json_string() (escape \\\" and \\\\ and \
control characters), then write `HTTP/1.0 200 OK\\r\\nContent-Type: application/json\\r\\n\
Content-Length: <body.len()>\\r\\n\\r\\n` and the body. 404 and 405 get a JSON body too.",
    },
    Exercise {
        number: "09",
        title: "a mix-in of your own: a bounded thread pool",
        file: "ex09_bounded_pool.rs",
        lesson: "20 (notes/20-own-handler.md)",
        hint: "In new(): make a `std::sync::mpsc::sync_channel::<Job>(queue)` and start `workers` \
threads (named pool-0, pool-1...), each looping on `receiver.lock().recv()` (share the receiver \
in an Arc<Mutex<_>>) and calling the job. process_request only `send`s the job: it blocks while \
the queue is full, which stops the server accepting. server_close: drop the sender (take it out \
of a Mutex<Option<_>>), so recv() fails and the workers end, then join them.",
    },
    Exercise {
        number: "10",
        title: "a key-value store on the event loop",
        file: "ex10_kv_store.rs",
        lesson: "09 and 16 (notes/16-server-models.md)",
        hint: "Turn the line into text (`String::from_utf8_lossy`) and trim \"\\r\\n\". \
`splitn(3, ' ')` gives the command, the key and the rest (the value may hold spaces). Lock \
`self.store` for one map operation (insert / get / remove), build the answer, and \
`conn.write(format!(\"{answer}\\n\").as_bytes())`. Never wait in line_received: every \
other client of the loop would wait too. Lines already hands you whole lines, however \
the bytes arrived.",
    },
    Exercise {
        number: "11",
        title: "timeouts and limits on the event loop",
        file: "ex11_idle_and_limits.rs",
        lesson: "16 (notes/16-server-models.md)",
        hint: "configure(): `server.set_idle_timeout(Some(IDLE))` and \
`server.set_max_output(MAX_OUTPUT)`. protocol(): `Lines::with_max_line(Guarded, MAX_LINE)`. \
timed_out(): `conn.write(b\"bye: idle for too long\\n\")`: the framework sends it and then \
closes. line_too_long(): write \"ERROR line too long\\n\" and do NOT call conn.close(): Lines \
skips the rest of that line by itself and hands you the next one.",
    },
    Exercise {
        number: "12",
        title: "the select homework: sockets and terminal into a file",
        file: "ex12_select_to_file.rs",
        lesson: "09 (notes/09-io-multiplexing.md)",
        hint: "Keep a Vec of clients, each with its address and a buffer. Each turn, build PollFds: the \
listener, the terminal (`terminal.as_fd()`, only while it is open) and every client, all with \
POLLIN; poll(&mut fds, PollTimeout::NONE). Copy the ready flags out before changing the Vec. \
Terminal ready: `nix::unistd::read(terminal.as_fd(), &mut buf)` ONCE (not through Stdin's own \
buffer, which poll cannot see); 0 means closed: stop watching it. Client ready: read once, append \
to its buffer, write every complete line as `ADDR: line` (`writeln!(log, ...)` on a File is not \
buffered, so it is in the file at once), drop the client on 0. Listener ready: accept.",
    },
    Exercise {
        number: "13",
        title: "the driver and the conductor (司机和售票员)",
        file: "ex13_driver_conductor.rs",
        lesson: "13 (notes/13-signals.md)",
        hint: "Match on what `signals().wait()?` returns: `match signals().wait()? { Signal::SIGINT => ..., _ => {} }`. \
Send with `nix::sys::signal::kill(pid, Signal::SIGUSR1)?`. In the conductor, SIGUSR1 means the driver \
says we have arrived: print, then `return Ok(())` (ride() then _exits the child). In the driver, \
SIGCHLD means the conductor has exited: `nix::sys::wait::waitpid(conductor, None)?` collects its exit \
status (without it, it stays a zombie, 僵尸进程), then print and return.",
    },
    Exercise {
        number: "14",
        title: "the chat room's join and leave notices",
        file: "ex14_chat_join_leave.rs",
        lesson: "18 (notes/18-chat-room.md)",
        hint: "join(): inside a block, lock the members; if another ADDRESS has that name (`members.iter().any(|(a, n)| n == name && *a != req.client_address)`), \
write the ERR reply into req.wfile and return; else insert. Close the block (the lock is released), \
reply OK and `self.broadcast(req, &req.client_address, &format!(\"* {name} has joined the chat\"))`. \
leave(): `remove(&req.client_address)` gives the name the member joined with (None if it never joined); \
broadcast the notice AFTER removing, so the one leaving does not get it.",
    },
    Exercise {
        number: "15",
        title: "httpserver v2: the files of a directory",
        file: "ex15_http_static.rs",
        lesson: "19 (notes/19-http-server.md)",
        hint: "Not GET: 405 with `headers: vec![(\"Allow\", \"GET\".to_string())]`. Otherwise strip the leading '/', \
use \"index.html\" when nothing is left, and refuse any path whose `Path::new(rel).components()` are \
not all `Component::Normal` (that catches \"..\"): 404. Then `std::fs::read(self.root.join(rel))`: \
Ok(bytes) is a 200 with the type from the extension (html: text/html, css: text/css, txt: \
text/plain, else application/octet-stream); any error (missing, a directory) is a 404 with a short page.",
    },
    Exercise {
        number: "16",
        title: "the file server's get and put",
        file: "ex16_ftp_get_put.rs",
        lesson: "17 (notes/17-ftp-server.md)",
        hint: "get: `File::open(self.library.join(name))`; ErrorKind::NotFound is \"no such file\\n\"; then \
`file.metadata()?`: not `is_file()` is \"not a regular file\\n\"; else `writeln!(req.wfile, \"OK {}\", len)` \
and `io::copy(&mut file, &mut req.wfile)`. put: `fs::symlink_metadata(&target).is_ok()` means it exists. \
Create `.NAME.part`, write \"OK\\n\", `io::copy(&mut (&mut req.rfile).take(size), &mut part_file)`; if fewer \
than `size` bytes came, `fs::remove_file` the part and return; else `fs::rename(part, target)` and \"OK\\n\".",
    },
    Exercise {
        number: "17",
        title: "a process pool (进程池)",
        file: "ex17_process_pool.rs",
        lesson: "12 (notes/12-pools-and-ipc.md)",
        hint: "map(): `let n = self.workers.len();` then for `(i, &job)` in `jobs.iter().enumerate()`: \
`send_job(&mut self.workers[i % n].jobs, i, job)?`. Then `let mut results = vec![None; jobs.len()];` \
and jobs.len() times `let done = read_done(&mut self.results)?; results[done.index as usize] = Some((done.result, done.pid));` \
(results arrive in any order: the index puts them back). close(): collect the pids, `drop(self.workers)` \
(closes the job pipes: each worker reads end-of-file and exits), then `nix::sys::wait::waitpid(pid, None)?` for each.",
    },
];

/// Looks an exercise up by number; "1" and "01" both work.
pub fn find(number: &str) -> Option<&'static Exercise> {
    let wanted = format!("{:0>2}", number.trim());
    EXERCISES.iter().find(|e| e.number == wanted)
}
