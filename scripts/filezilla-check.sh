#!/usr/bin/env bash
# FileZilla against ftpd, end to end, for real: a check by hand, not run
# in CI (it needs a GUI program). Debian's packages:
#
#   apt-get install -y filezilla xvfb xdotool imagemagick
#   bash scripts/filezilla-check.sh [--active] [--keep] [--shots DIR]
#
# What it does: builds ftpd (debug), serves a fresh directory with
# --writable, puts a logging proxy (scripts/ftp-control-log.py) in front
# of it, starts FileZilla under Xvfb with a site-manager entry for it, and
# drives it with xdotool as a person would: list the root, enter a
# folder and come back, upload a file (its date must be kept: MFMT),
# download a 5 MiB file and a UTF-8 name, resume a cut download (REST),
# rename, delete, make and remove a folder. Then it compares checksums,
# names and dates on both sides, reads FileZilla's own message log for
# errors, prints the commands FileZilla sent, and ends with PASS or FAIL.
#
# The clicks use positions in FileZilla 3.63's default layout on a
# 1280x900 screen; every step waits for what it must cause (a line in the
# control log, a file on disk) with a deadline, so a click that misses is
# a FAIL that says which step, not a hang. --keep keeps the work
# directory (logs, screenshots); --shots DIR copies the screenshots there.
# FTPD=/path/to/ftpd uses that binary instead of building one.
set -u -o pipefail

keep=0
shots_to=""
mode=MODE_PASSIVE
while [ $# -gt 0 ]; do
    case "$1" in
    --keep) keep=1 ;;
    --active) mode=MODE_ACTIVE ;;
    --shots) shots_to="$2"; shift ;;
    *) echo "usage: $0 [--active] [--keep] [--shots DIR]" >&2; exit 2 ;;
    esac
    shift
done

repo="$(cd "$(dirname "$0")/.." && pwd)"
for tool in filezilla Xvfb xdotool import python3 sha256sum; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIPPED: $tool is not installed" \
            "(apt-get install -y filezilla xvfb xdotool imagemagick)" >&2
        exit 2
    fi
done

work="$(mktemp -d /tmp/filezilla-check.XXXXXX)"
pids=()
cleanup() {
    # Only the processes this script started, newest first.
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill "${pids[$i]}" 2>/dev/null
    done
    wait 2>/dev/null
    if [ "$keep" = 1 ]; then
        echo "kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

failures=()
fail() { failures+=("$1"); echo "  FAIL: $1"; }
ok() { echo "  ok: $1"; }

# wait_for FILE PATTERN SECONDS: true once FILE has a line matching the
# extended regular expression PATTERN, false after SECONDS.
wait_for() {
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do
        grep -q -E -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}

# wait_until SECONDS COMMAND...: true once COMMAND succeeds.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    while [ $SECONDS -lt $deadline ]; do
        "$@" && return 0
        sleep 0.2
    done
    return 1
}

sha() { sha256sum "$1" | cut -d' ' -f1; }
size_is() { [ -f "$1" ] && [ "$(stat -c %s "$1")" = "$2" ]; }

# --- the server --------------------------------------------------------
if [ -n "${FTPD:-}" ]; then
    ftpd="$FTPD" # another build of ftpd, e.g. an older one to compare
else
    echo "== building ftpd"
    target="${CARGO_TARGET_DIR:-$repo/target}"
    (cd "$repo" && nice -n 15 cargo build -q -p examples --bin ftpd) || exit 1
    ftpd="$target/debug/ftpd"
fi

served="$work/served"
local_dir="$work/local"
mkdir -p "$served/sub" "$served/名前 with spaces" "$local_dir" "$work/shots"
head -c $((5 * 1024 * 1024)) /dev/urandom >"$served/big.bin"
printf 'ünïcödé text\n' >"$served/café menu ☕.txt"
printf 'hello from ftpd\n' >"$served/hello.txt"
printf 'inside\n' >"$served/sub/inner.txt"
head -c 3000000 /dev/urandom >"$local_dir/up load ü.bin"
# An old date, which FileZilla keeps on the server only through MFMT.
touch -d '2020-01-02 03:04:05 UTC' "$local_dir/up load ü.bin"

"$ftpd" --directory "$served" --writable 0 >"$work/ftpd.log" 2>&1 &
pids+=($!)
wait_for "$work/ftpd.log" '^Serving .* port [0-9]+' 20 || { echo "ftpd did not start"; exit 1; }
ftpd_port="$(grep -o -E 'port [0-9]+' "$work/ftpd.log" | head -1 | cut -d' ' -f2)"

control="$work/control.log"
: >"$control"
python3 "$repo/scripts/ftp-control-log.py" 0 "$ftpd_port" "$control" >"$work/proxy.out" 2>&1 &
pids+=($!)
wait_for "$work/proxy.out" '^Serving proxy .* port [0-9]+' 10 || { echo "the proxy did not start"; exit 1; }
port="$(grep -o -E 'port [0-9]+' "$work/proxy.out" | cut -d' ' -f2)"
echo "== ftpd on port $ftpd_port, seen through the logging proxy on port $port"

# --- FileZilla's settings: a site for ftpd, nothing to click away -------
home="$work/home"
config="$home/.config/filezilla"
mkdir -p "$config"
version="$(dpkg-query -W -f '${Version}' filezilla 2>/dev/null | cut -d- -f1)"
messages="$work/filezilla-messages.log"
cat >"$config/filezilla.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<FileZilla3 version="$version" platform="*nix">
  <Settings>
    <Setting name="Greeting version">$version</Setting>
    <Setting name="Preserve timestamps">1</Setting>
    <Setting name="Logging file" platform="unix">$messages</Setting>
    <Setting name="Logging Debug Level">2</Setting>
  </Settings>
</FileZilla3>
EOF
# Protocol 6: plain FTP only (no AUTH TLS first); anonymous login.
cat >"$config/sitemanager.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<FileZilla3 version="$version" platform="*nix">
  <Servers>
    <Server>
      <Host>127.0.0.1</Host>
      <Port>$port</Port>
      <Protocol>6</Protocol>
      <Type>0</Type>
      <Logontype>0</Logontype>
      <PasvMode>$mode</PasvMode>
      <EncodingType>Auto</EncodingType>
      <Name>ftpd</Name>
      <LocalDir>$local_dir</LocalDir>
    </Server>
  </Servers>
</FileZilla3>
EOF
# "Always allow insecure plain FTP for this server", ticked in advance.
cat >"$config/trustedcerts.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<FileZilla3 version="$version" platform="*nix">
  <InsecureHosts>
    <Host Port="$port">127.0.0.1</Host>
  </InsecureHosts>
</FileZilla3>
EOF

# --- an X server and FileZilla on it ----------------------------------
exec 3>"$work/display"
Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
exec 3>&-
wait_until 10 test -s "$work/display" || { echo "Xvfb did not start"; exit 1; }
export DISPLAY=":$(head -1 "$work/display")"

HOME="$home" LANG=C.UTF-8 filezilla --site="0/ftpd" --local="$local_dir" \
    >"$work/filezilla.out" 2>&1 &
pids+=($!)

shot_number=0
shot() {
    shot_number=$((shot_number + 1))
    import -window root "$work/shots/$(printf %02d $shot_number)-$1.png"
}
# Mouse actions, with a short pause so that GTK sees press and release.
click() { xdotool mousemove "$1" "$2" click 1; sleep 0.3; }
double_click() { xdotool mousemove "$1" "$2" click --repeat 2 --delay 80 1; sleep 0.3; }
right_click() { xdotool mousemove "$1" "$2" click 3; sleep 0.5; }
# A window by its title, or nothing.
window() { xdotool search --onlyvisible --name "$1" 2>/dev/null | head -1; }
# Types text slowly: a character missing from the keymap (é, ✓) is typed
# through a keycode remapped for it, and a fast typist loses the race.
type_text() { xdotool type --delay 80 "$1"; }
# Answers "Yes" in FileZilla's "Confirmation needed" dialog, once shown.
confirm() {
    wait_until 10 test -n "$(window 'Confirmation needed')" || return 1
    sleep 0.5
    eval "$(xdotool getwindowgeometry --shell "$(window 'Confirmation needed')")"
    click $((X + WIDTH * 3 / 4)) $((Y + HEIGHT - 18))
}
# Rows of the two file lists (FileZilla 3.63 on 1280x900): row 0 is "..".
local_row() { echo 105 $((471 + 23 * $1)); }
remote_row() { echo 700 $((471 + 23 * $1)); }
# Lines of the control log after the first N (to wait for new ones).
mark() { wc -l <"$control"; }
after() { tail -n +"$(($1 + 1))" "$control"; }
# wait_reply MARK PATTERN SECONDS: a line matching PATTERN after MARK.
wait_reply() {
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do
        after "$1" | grep -q -E -- "$2" && return 0
        sleep 0.2
    done
    return 1
}

echo "== FileZilla $version on $DISPLAY, $mode"
step() { echo "-- $1"; }

step "connect and list /"
if wait_for "$control" 'S: 226 Directory send OK' 30; then
    ok "logged in, MLSD of / sent"
else
    shot connect-failed
    fail "no listing of / within 30 s"
fi
sleep 1
shot connected

step "enter sub/ (double-click), then back up (..)"
m=$(mark)
double_click $(remote_row 1)
if wait_reply "$m" 'C: CWD sub' 10 && wait_reply "$m" 'S: 226' 10; then
    ok "CWD sub and its listing"
else
    fail "entering sub/"
fi
sleep 0.5
shot in-sub
m=$(mark)
double_click $(remote_row 0)
wait_reply "$m" 'C: CDUP|C: CWD /$' 10 && wait_reply "$m" 'S: 257 "/"' 10 &&
    ok "back in /" || fail "going back up to /"
sleep 0.5

step "upload 'up load ü.bin' (double-click in the local list)"
m=$(mark)
double_click $(local_row 1)
upload="$served/up load ü.bin"
if wait_reply "$m" 'S: 226 Transfer complete' 30 && wait_until 10 size_is "$upload" 3000000; then
    [ "$(sha "$upload")" = "$(sha "$local_dir/up load ü.bin")" ] &&
        ok "uploaded, sha256 $(sha "$upload")" || fail "the uploaded file differs"
else
    fail "upload did not complete"
fi
if wait_reply "$m" 'C: MFMT' 10 && wait_reply "$m" 'S: 213 Modify=' 5; then
    when="$(TZ=UTC stat -c %y "$upload" 2>/dev/null | cut -d. -f1)"
    [ "$when" = "2020-01-02 03:04:05" ] && ok "MFMT kept the date ($when UTC)" ||
        fail "the uploaded file is dated $when, not 2020-01-02 03:04:05"
else
    fail "no MFMT after the upload (FileZilla's 'preserve timestamps')"
fi
sleep 1

# The remote list now: .., sub, 名前 with spaces, big.bin, café menu ☕.txt,
# hello.txt, up load ü.bin.
step "download big.bin (5 MiB) and 'café menu ☕.txt' (double-click)"
m=$(mark)
double_click $(remote_row 3)
wait_reply "$m" 'C: RETR big.bin' 20 && wait_reply "$m" 'S: 226 Transfer complete' 30 &&
    wait_until 10 size_is "$local_dir/big.bin" $((5 * 1024 * 1024))
big_sha="$(sha "$served/big.bin")"
if [ -f "$local_dir/big.bin" ] && [ "$(sha "$local_dir/big.bin")" = "$big_sha" ]; then
    ok "big.bin downloaded, sha256 $big_sha"
else
    fail "big.bin: downloaded copy missing or different"
fi
sleep 0.5
m=$(mark)
double_click $(remote_row 4)
text="café menu ☕.txt"
wait_reply "$m" "C: RETR $text" 20 && wait_reply "$m" 'S: 226 Transfer complete' 20 &&
    wait_until 10 size_is "$local_dir/$text" "$(stat -c %s "$served/$text")"
if [ -f "$local_dir/$text" ] && [ "$(sha "$local_dir/$text")" = "$(sha "$served/$text")" ]; then
    ok "'$text' downloaded, sha256 $(sha "$local_dir/$text")"
else
    fail "'$text': downloaded copy missing or different"
fi
sleep 1
shot downloaded

step "resume a cut download of big.bin (REST + RETR)"
truncate -s $((1024 * 1024)) "$local_dir/big.bin"
m=$(mark)
double_click $(remote_row 3)
if wait_until 10 test -n "$(window 'Target file already exists')"; then
    dialog="$(window 'Target file already exists')"
    eval "$(xdotool getwindowgeometry --shell "$dialog")"
    shot overwrite-dialog
    # Its width follows the longest path shown: place from the right edge.
    click $((X + WIDTH - 302)) $((Y + 152)) # the "Resume" choice
    click $((X + WIDTH - 62)) $((Y + 339))  # OK
    if wait_reply "$m" 'C: REST 1048576' 10 && wait_reply "$m" 'S: 226 Transfer complete' 30 &&
        wait_until 10 size_is "$local_dir/big.bin" $((5 * 1024 * 1024)) &&
        [ "$(sha "$local_dir/big.bin")" = "$big_sha" ]; then
        ok "resumed from 1048576, sha256 $big_sha"
    else
        fail "resuming the download"
    fi
else
    fail "no 'Target file already exists' dialog"
fi
sleep 1

step "rename hello.txt (F2)"
m=$(mark)
click $(remote_row 5)
xdotool key F2
sleep 0.5
xdotool key ctrl+a
type_text "hello renamed é.txt"
xdotool key Return
if wait_reply "$m" 'S: 250 Rename successful' 10 && [ -f "$served/hello renamed é.txt" ] &&
    [ ! -e "$served/hello.txt" ]; then
    ok "RNFR/RNTO: 'hello renamed é.txt'"
else
    fail "renaming hello.txt"
fi
sleep 1

step "delete 'up load ü.bin' (Delete key, confirm)"
m=$(mark)
click $(remote_row 6)
xdotool key Delete
confirm
if wait_reply "$m" 'S: 250 Delete operation successful' 10 && [ ! -e "$upload" ]; then
    ok "DELE"
else
    fail "deleting 'up load ü.bin'"
fi
sleep 1

step "make a folder (context menu), then delete it"
m=$(mark)
right_click 900 660
click 987 468 # "Create directory"
# The name field has the focus, "/New directory" in it.
sleep 1
xdotool key ctrl+a
type_text "/made by fz ✓"
xdotool key Return
if wait_reply "$m" 'S: 257 "/made by fz ✓" created' 10 && [ -d "$served/made by fz ✓" ]; then
    ok "MKD"
else
    fail "making a folder"
fi
sleep 1
shot folder-made
m=$(mark)
# Folders come first, sorted: made by fz ✓, sub, 名前 with spaces.
click $(remote_row 1)
xdotool key Delete
confirm
if wait_reply "$m" 'S: 250 Remove directory operation successful' 10 &&
    [ ! -e "$served/made by fz ✓" ]; then
    ok "RMD"
else
    fail "removing the folder"
fi
sleep 1
shot done

# --- what FileZilla said and sent ------------------------------------
echo "== FileZilla's message log: errors"
if grep -E '(Error|Warning):' "$messages"; then
    fail "FileZilla logged errors (above)"
else
    echo "  (none)"
fi
echo "== replies 4xx/5xx that FileZilla got"
grep -E 'S: [45][0-9][0-9] ' "$control" || echo "  (none)"
echo "== the commands FileZilla sent (verbs, in order of first use)"
grep -o -E 'C: [A-Z]+' "$control" | cut -c4- | awk '!seen[$0]++' | tr '\n' ' '
echo

if [ -n "$shots_to" ]; then
    mkdir -p "$shots_to" && cp "$work"/shots/*.png "$shots_to"/ &&
        echo "== screenshots copied to $shots_to"
fi
if [ ${#failures[@]} -eq 0 ]; then
    echo "PASS: FileZilla $version against ftpd, $mode (big.bin sha256 $big_sha)"
    exit 0
fi
echo "FAIL: ${#failures[@]} step(s): ${failures[*]}"
keep=1
exit 1
