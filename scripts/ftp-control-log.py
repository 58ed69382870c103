#!/usr/bin/env python3
"""A logging TCP proxy for an FTP control connection.

    ftp-control-log.py LISTEN_PORT TARGET_PORT LOGFILE

Listens on 127.0.0.1:LISTEN_PORT (0 picks one), prints
`Serving proxy on 127.0.0.1 port N` first, and forwards every
connection to 127.0.0.1:TARGET_PORT, writing each line that passes to
LOGFILE as `[conn] C: line` (client to server) or `[conn] S: line`.
Passwords are written as `PASS ****`.

Only the control connection passes here: the server's PASV/EPSV replies
name the server's own data ports, so data connections go to the server
directly. Used by scripts/filezilla-check.sh to see exactly what
FileZilla sends; stops when killed.
"""

import socket
import sys
import threading

LOCK = threading.Lock()


def log(out, conn, side, line):
    text = line.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
    if side == "C" and text[:5].upper() == "PASS ":
        text = "PASS ****"
    with LOCK:
        out.write(f"[{conn}] {side}: {text}\n")
        out.flush()


def pump(src, dst, out, conn, side):
    pending = b""
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            # Logged before it is passed on, so that the log's order is
            # the order of events (no reply before its command).
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                log(out, conn, side, line)
            dst.sendall(chunk)
    except OSError:
        pass
    if pending:
        log(out, conn, side, pending + b" (no newline)")
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    with LOCK:
        out.write(f"[{conn}] {side}: (closed)\n")
        out.flush()


def main():
    listen_port, target_port, logfile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    out = open(logfile, "a", encoding="utf-8")
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen_port))
    server.listen(16)
    print(f"Serving proxy on 127.0.0.1 port {server.getsockname()[1]}", flush=True)
    conn = 0
    while True:
        client, _ = server.accept()
        conn += 1
        upstream = socket.create_connection(("127.0.0.1", target_port))
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pump, args=(client, upstream, out, conn, "C"), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, out, conn, "S"), daemon=True).start()


if __name__ == "__main__":
    main()
