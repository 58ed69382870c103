# socketserver for Rust, and the network-programming course built on it.
# Every recipe is a plain cargo command (see .cargo/config.toml), so nothing
# here needs `just` to work: `cargo lesson 02` is `just lesson 02`.

# List the recipes.
default:
    @just --list --unsorted

# Run lesson NN (e.g. `just lesson 02`).
[group('course')]
lesson NN:
    cargo lesson {{NN}}

# List the lessons with their titles.
[group('course')]
lessons:
    cargo lessons

# Check your solution to exercise NN (e.g. `just exercise 01`).
[group('course')]
exercise NN:
    cargo exercise {{NN}}

# List the exercises with their state (done / not yet); `just exercises --check` checks them all again.
[group('course')]
exercises *ARGS:
    cargo exercises {{ARGS}}

# Watch mode: check the first unfinished exercise on every save (keys n/h/l/q).
[group('course')]
watch:
    cargo watch-exercises

# Print the hint of exercise NN.
[group('course')]
hint NN:
    cargo hint {{NN}}

# Run the whole test suite (what CI runs).
[group('dev')]
test:
    cargo test --workspace

# Format, lint and test, as CI does.
[group('dev')]
ci:
    bash .ci/run

# Run every benchmark (release builds; prints tables of ratios).
[group('bench')]
bench: bench-echo bench-ftp bench-ftpd bench-chat bench-http

# Echo server: connection rate and ping-pong, against Python's socketserver.
[group('bench')]
bench-echo *ARGS:
    cargo bench-echo {{ARGS}}

# FTP-style server: 1 GiB download/upload, 300 clients, RSS.
[group('bench')]
bench-ftp *ARGS:
    cargo bench-ftp {{ARGS}}

# Standard FTP (ftpd): 1 GiB RETR/STOR, 300 sessions, memory, against pyftpdlib and vsftpd.
[group('bench')]
bench-ftpd *ARGS:
    cargo bench-ftpd {{ARGS}}

# Chat room: delivery rate and latency with 100 members.
[group('bench')]
bench-chat *ARGS:
    cargo bench-chat {{ARGS}}

# HTTP server: wrk against python3 -m http.server and nginx.
[group('bench')]
bench-http *ARGS:
    cargo bench-http {{ARGS}}

# Demo: the echo server (threading, port 9999).
[group('demo')]
echo-server *ARGS:
    cargo echo-server {{ARGS}}

# Demo: the HTTP server (like `python3 -m http.server`; port 8000, this directory).
[group('demo')]
http-server *ARGS:
    cargo http-server {{ARGS}}

# Demo: the FTP-style file server (serves DIR, default the current directory; port 8080).
[group('demo')]
ftp-server *ARGS:
    cargo ftp-server {{ARGS}}

# Demo: standard FTP (RFC 959) for curl, lftp, ftplib (serves DIR; port 2121).
[group('demo')]
ftpd *ARGS:
    cargo ftpd {{ARGS}}

# FileZilla against ftpd, clicked through under Xvfb (`--active`, `--keep`; needs filezilla xvfb xdotool imagemagick; not in CI).
[group('dev')]
filezilla-check *ARGS:
    bash scripts/filezilla-check.sh {{ARGS}}

# Demo: the FTP-style client (menu; or `ADDR list|get NAME|put PATH`).
[group('demo')]
ftp-client *ARGS:
    cargo ftp-client {{ARGS}}

# Fuzz the HTTP head, path, Range and conditional parsers with AFL++ (`--seconds N --execs N`; default 120 s / 2,000,000).
[group('fuzz')]
fuzz-http *ARGS:
    cargo fuzz-http {{ARGS}}

# Fuzz the FTP-style frames, the bounded line reader and RFC 959 command lines with AFL++.
[group('fuzz')]
fuzz-ftp *ARGS:
    cargo fuzz-ftp {{ARGS}}

# Fuzz the chat datagrams and the TCP line framer with AFL++.
[group('fuzz')]
fuzz-chat *ARGS:
    cargo fuzz-chat {{ARGS}}

# Fuzz the HTTP server's event-loop protocol in memory: any bytes, any reads, end and timer, with AFL++ (`--seconds N --execs N`).
[group('fuzz')]
fuzz-http-loop *ARGS:
    cargo fuzz-http-loop {{ARGS}}

# Fuzz the Range (and If-Range) header through the HTTP protocol: a 206 is the file's slice, with AFL++ (`--seconds N --execs N`).
[group('fuzz')]
fuzz-http-range *ARGS:
    cargo fuzz-http-range {{ARGS}}

# Fuzz the conditional headers through the HTTP protocol: 304 only when asked, with AFL++ (`--seconds N --execs N`).
[group('fuzz')]
fuzz-http-conditional *ARGS:
    cargo fuzz-http-conditional {{ARGS}}

# Fuzz the request path through the HTTP protocol (links out, .., %2e%2e, NUL): nothing outside the root, with AFL++ (`--seconds N --execs N`).
[group('fuzz')]
fuzz-http-path *ARGS:
    cargo fuzz-http-path {{ARGS}}

# Fuzz the TCP chat room's state machine in memory, four clients, with AFL++ (`--seconds N --execs N`).
[group('fuzz')]
fuzz-chat-room *ARGS:
    cargo fuzz-chat-room {{ARGS}}

# Fuzz the UDP chat room fed datagrams in memory, with AFL++ (`--seconds N --execs N`).
[group('fuzz')]
fuzz-chat-udp *ARGS:
    cargo fuzz-chat-udp {{ARGS}}

# Fuzz the course's FTP-style server session in memory (requests, uploads, downloads), with AFL++ (`--seconds N --execs N`).
[group('fuzz')]
fuzz-ftp-session *ARGS:
    cargo fuzz-ftp-session {{ARGS}}

# Fuzz the RFC 959 server's command loop on its control connection (a socket pair; no data connections), with AFL++ (`--seconds N --execs N`).
[group('fuzz')]
fuzz-ftpd-session *ARGS:
    cargo fuzz-ftpd-session {{ARGS}}

# Fuzz the UDP echo handler and the broadcast receiver's line, with AFL++ (`--seconds N --execs N`).
[group('fuzz')]
fuzz-echo-udp *ARGS:
    cargo fuzz-echo-udp {{ARGS}}

# The property tests of the same parsers and state machines (what CI runs); `PROPTEST_CASES=100000` for a long run.
[group('fuzz')]
fuzz-props:
    cargo test -p tests --test fuzz_http --test fuzz_ftp --test fuzz_chat --test fuzz_http_machine --test fuzz_chat_machine --test fuzz_datagram_machine --test fuzz_ftp_machine --test fuzz_ftpd_machine

# Soak every server under load with faults (`--seconds 60 --clients 8 --only http,echo,ftp,ftpd,chat --model M|all`).
[group('bench')]
soak *ARGS:
    cargo soak {{ARGS}}
