"""Drives ftpd with Python's standard ftplib, as a person's script would.

Usage: ftplib_session.py PORT WORKDIR
Downloads every size-*.bin of the server's root into WORKDIR/down/, uploads
every file of WORKDIR/up/ to the server's folder up/, then exercises REST
(both ways), RNFR/RNTO, DELE, MKD/RMD. Prints one line per step; the Rust
test compares the bytes on both sides.
"""

import ftplib
import io
import os
import sys

port, work = int(sys.argv[1]), sys.argv[2]
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", port, timeout=20)
print("welcome", ftp.getwelcome())
print("login", ftp.login())

lines = []
ftp.retrlines("LIST", lines.append)
print("LIST", len(lines), "lines")
names = sorted(ftp.nlst())
print("NLST", names)
facts = sorted((name, f["type"], f.get("size")) for name, f in ftp.mlsd())
print("MLSD", facts)

os.makedirs(os.path.join(work, "down"), exist_ok=True)
for name in names:
    if name.startswith("size-"):
        with open(os.path.join(work, "down", name), "wb") as out:
            ftp.retrbinary("RETR " + name, out.write)
        print("RETR", name, ftp.size(name))

print("MKD", ftp.mkd("up"))
for name in sorted(os.listdir(os.path.join(work, "up"))):
    with open(os.path.join(work, "up", name), "rb") as source:
        print("STOR", name, ftp.storbinary("STOR up/" + name, source))

# REST for RETR: the last 1000 bytes of the largest file.
largest = max((n for n in names if n.startswith("size-")), key=ftp.size)
size = ftp.size(largest)
tail = io.BytesIO()
ftp.retrbinary("RETR " + largest, tail.write, rest=size - 1000)
with open(os.path.join(work, "down", "tail.bin"), "wb") as out:
    out.write(tail.getvalue())
print("REST+RETR", largest, len(tail.getvalue()))

# REST for STOR: the first half, then the rest from where it stopped.
data = bytes(range(256)) * 4000
ftp.storbinary("STOR resumed.bin", io.BytesIO(data[:400000]))
ftp.storbinary("STOR resumed.bin", io.BytesIO(data[400000:]), rest=400000)
with open(os.path.join(work, "resumed.expected"), "wb") as out:
    out.write(data)
print("REST+STOR", ftp.size("resumed.bin"))

print("RNFR/RNTO", ftp.rename("resumed.bin", "renamed.bin"))
print("MKD", ftp.mkd("empty"))
print("RMD", ftp.rmd("empty"))
ftp.storbinary("STOR doomed.bin", io.BytesIO(b"x"))
print("DELE", ftp.delete("doomed.bin"))
try:
    ftp.delete("doomed.bin")
except ftplib.error_perm as err:
    print("DELE again", err)
print("QUIT", ftp.quit())
