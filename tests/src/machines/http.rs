//! The HTTP server's event-loop protocol ([`HttpProtocol`]) driven in
//! memory, and what its answers must be whatever a client sends.
//!
//! The served directory ([`HttpFixture`]) holds files small and large (the
//! large one goes out as a file range, `sendfile` on a real loop), and
//! symbolic links that lead out of it to a file whose bytes
//! ([`SECRET`]) must never appear in an answer.

use std::collections::{HashSet, VecDeque};
use std::io;
use std::sync::Arc;
use std::time::Duration;

use examples::http::handler::Settings;
use examples::http::path::{Target, resolve};
use examples::http::{HttpProtocol, Site, Version};
use framework::{CloseReason, MemoryLoop, Protocol, Timeout};

use super::Script;
use crate::http::Response;

/// The bytes of the file outside the served directory.
pub const SECRET: &[u8] = b"SECRET-OUTSIDE-THE-ROOT-5d41402a";

/// Whatever the input, an answer is at most this much more than the
/// largest file it could carry (a head, an error or listing page).
const PAGE: usize = 16 * 1024;

/// A served directory, and the files in it.
pub struct HttpFixture {
    /// The server's shared state, on `root/`.
    pub site: Arc<Site>,
    /// `(name below the root, bytes)` of every regular file served.
    pub files: Vec<(String, Vec<u8>)>,
    dir: tempfile::TempDir,
}

/// `len` bytes that tell their offset apart (a slice from elsewhere differs).
pub fn pattern(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 31 + 7 + usize::from(salt)) % 251) as u8 + 1)
        .collect()
}

impl HttpFixture {
    /// Makes `root/` (files, a directory, links in and out) and
    /// `outside/secret.txt` beside it, in a temporary directory.
    pub fn new() -> io::Result<HttpFixture> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("root");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(root.join("dir"))?;
        std::fs::create_dir_all(&outside)?;
        std::fs::write(outside.join("secret.txt"), SECRET.repeat(3))?;
        std::fs::create_dir_all(root.join("docs"))?;
        let files = vec![
            // The names the snapshot transcripts (the fuzzers' seeds) ask for.
            ("hello.txt".to_string(), b"Hello, world!\n".to_vec()),
            ("docs/a & b.html".to_string(), b"<p>a</p>\n".to_vec()),
            ("small.txt".to_string(), pattern(200, 1)),
            // Larger than the small-file cache takes: a file range.
            ("big.bin".to_string(), pattern(100_000, 2)),
            ("empty.txt".to_string(), Vec::new()),
            ("dir/inner.txt".to_string(), pattern(50, 3)),
            ("a b%.txt".to_string(), pattern(20, 4)),
        ];
        for (name, bytes) in &files {
            std::fs::write(root.join(name), bytes)?;
        }
        use std::os::unix::fs::symlink;
        symlink("../outside", root.join("out"))?;
        symlink("../outside/secret.txt", root.join("secret.txt"))?;
        symlink(outside.join("secret.txt"), root.join("dir/abs"))?;
        symlink("small.txt", root.join("inside.txt"))?;
        let settings = Settings {
            protocol: Version::HTTP_11,
            keep_alive: true,
            timeout: Duration::from_secs(10),
            max_connections: 64,
            access_log: false,
        };
        let site = Site::open(&root, settings)?;
        Ok(HttpFixture { site, files, dir })
    }

    /// The bytes of the file a request path names (after `..`, `.`,
    /// `//` and percent-decoding), following the one link that stays inside.
    pub fn file_at(&self, path: &[u8]) -> Option<&[u8]> {
        let resolved = resolve(Target::split(path).raw_path).ok()?;
        let mut name = String::from_utf8(resolved.relative()).ok()?;
        if name == "inside.txt" {
            name = "small.txt".into();
        }
        self.files
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, bytes)| &bytes[..])
    }

    /// The served directory.
    pub fn site_root(&self) -> std::path::PathBuf {
        self.dir.path().join("root")
    }

    /// The `n`-th (modulo their count) of the files whose name a request
    /// target can carry as it is.
    pub fn plain_name(&self, n: u8) -> &str {
        let plain: Vec<&str> = self
            .files
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| {
                name.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b))
            })
            .collect();
        plain[usize::from(n) % plain.len()]
    }

    /// The largest file.
    pub fn largest(&self) -> usize {
        self.files.iter().map(|(_, b)| b.len()).max().unwrap_or(0)
    }
}

/// Plays the event loop for one connection: `connected`, the reads of
/// `script`, the client reading (then `writable`) when the queue is full
/// or when the script says it keeps up, end of input, the timer, and
/// `closed`. Returns every byte the client would have read.
///
/// A protocol error ends the connection, as on the loop; a panic is a bug
/// and is not caught.
pub fn drive(fixture: &HttpFixture, script: &Script) -> Vec<u8> {
    let mut memory = MemoryLoop::new();
    let id = memory.open().expect("a socket pair");
    let mut protocol = HttpProtocol::new(Arc::clone(&fixture.site));
    let mut out = Vec::new();
    let mut ok = protocol.connected(&mut memory.conn(id)).is_ok();
    for read in script.reads() {
        if !ok || memory.is_closing(id) {
            break;
        }
        if script.reader_keeps_up || !memory.is_reading(id) {
            ok = read_answers(&mut memory, id, &mut protocol, &mut out);
        }
        if !ok || memory.is_closing(id) || !memory.is_reading(id) {
            break;
        }
        ok = protocol.data_received(&mut memory.conn(id), read).is_ok();
    }
    if ok && script.eof && !memory.is_closing(id) {
        ok = protocol.eof_received(&mut memory.conn(id)).is_ok();
    }
    if ok && script.timeout && !memory.is_closing(id) {
        ok = protocol
            .timed_out(&mut memory.conn(id), Timeout::Timer)
            .is_ok();
    }
    if ok {
        read_answers(&mut memory, id, &mut protocol, &mut out);
    }
    out.extend(memory.take_output(id));
    let reason = if ok {
        CloseReason::PeerClosed
    } else {
        CloseReason::ProtocolError
    };
    protocol.closed(&mut memory.conn(id), &reason);
    memory.remove(id);
    out
}

/// The client reads everything queued; the loop tells the protocol the
/// queue is empty (`writable`), which may queue more (held-back pipelined
/// answers). Returns `false` if the protocol failed.
fn read_answers(
    memory: &mut MemoryLoop,
    id: framework::ConnId,
    protocol: &mut HttpProtocol,
    out: &mut Vec<u8>,
) -> bool {
    // Every turn answers at least one more request or stops: a bound far
    // above any input's request count catches a protocol that never stops.
    for _ in 0..100_000 {
        let taken = memory.take_output(id);
        if taken.is_empty() {
            return true;
        }
        out.extend(taken);
        if memory.is_closing(id) || memory.is_write_shut(id) {
            return true;
        }
        if protocol.writable(&mut memory.conn(id)).is_err() {
            return false;
        }
    }
    panic!("writable kept queueing answers: a loop that never ends");
}

/// Reads one response head at `bytes`: the response without its body,
/// the head's length and the `Content-Length` (`None`: to the end).
fn parse_head(bytes: &[u8]) -> Result<(Response, usize, Option<usize>), String> {
    let mut fields = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut fields);
    let len = match response.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Err("a response head cut short".into()),
        Err(err) => return Err(format!("not an HTTP response head: {err}")),
    };
    let status = response.code.unwrap_or(0);
    if !(100..=599).contains(&status) || response.version != Some(1) && response.version != Some(0)
    {
        return Err(format!("status {status}, version {:?}", response.version));
    }
    let mut headers = Vec::new();
    for field in response.headers.iter() {
        let value = std::str::from_utf8(field.value)
            .map_err(|_| format!("header {} is not text", field.name))?;
        headers.push((field.name.to_string(), value.to_string()));
    }
    // The status line, as the tests' HTTP client keeps it.
    let status_line = bytes[..len]
        .split(|&b| b == b'\n')
        .next()
        .map(|line| String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line)).into_owned())
        .unwrap_or_default();
    let response = Response {
        status_line,
        code: status,
        headers,
        body: Vec::new(),
    };
    let length = match response.header("content-length") {
        Some(n) => Some(
            n.parse::<usize>()
                .map_err(|_| format!("Content-Length {n:?}"))?,
        ),
        None => None,
    };
    Ok((response, len, length))
}

/// Whether a response with this status never carries a body.
fn bodiless(status: u16) -> bool {
    status < 200 || status == 204 || status == 304
}

/// Splits `out` into responses, when each request's method is known
/// (`true`: HEAD). Informational answers (`100 Continue`) are skipped and
/// not counted; the result has one response per request answered.
pub fn split_responses(out: &[u8], heads: &[bool]) -> Result<Vec<Response>, String> {
    let mut responses = Vec::new();
    let mut at = 0;
    while at < out.len() {
        let (mut response, head_len, length) = parse_head(&out[at..])?;
        at += head_len;
        if response.code < 200 {
            continue;
        }
        let is_head = heads.get(responses.len()).copied().unwrap_or(false);
        if !bodiless(response.code) && !is_head {
            let length = length.unwrap_or(out.len() - at);
            if out.len() - at < length {
                return Err(format!("a body of {length} bytes cut short"));
            }
            response.body = out[at..at + length].to_vec();
            at += length;
        }
        responses.push(response);
    }
    Ok(responses)
}

/// Whether `input` has an HTTP/0.9 request line (`GET /path`, two
/// words, or a version of `HTTP/0.9`): its answer is the bare body, with
/// no head (as Python's `http.server` answers it).
pub fn has_http09_request(input: &[u8]) -> bool {
    input.split(|&b| b == b'\n').any(|line| {
        let words: Vec<&[u8]> = line
            // Python's `str.split()` on Latin-1 text: ASCII whitespace
            // with `\x0b`, and `\x1c`-`\x1f`, `\x85`, `\xa0`.
            .split(|b| matches!(b, b'\t'..=b'\r' | b' ' | 0x1c..=0x1f | 0x85 | 0xa0))
            .filter(|w| !w.is_empty())
            .collect();
        words.len() == 2 && words[0] == b"GET" || words.len() == 3 && words[2] == b"HTTP/0.9"
    })
}

/// Whether `out` reads as a sequence of HTTP responses, for some choice
/// of which requests were HEAD (allowed only if `head_possible`), the
/// last one perhaps an HTTP/0.9 answer with no head (only if
/// `http09_possible`). Returns how many final responses the shortest
/// reading has.
pub fn count_responses(
    out: &[u8],
    head_possible: bool,
    http09_possible: bool,
) -> Result<usize, String> {
    // Breadth first over the offsets where a response may start.
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([(0usize, 0usize)]);
    let mut first_error = None;
    while let Some((at, count)) = queue.pop_front() {
        if at == out.len() {
            return Ok(count);
        }
        if !seen.insert(at) {
            continue;
        }
        let (response, head_len, length) = match parse_head(&out[at..]) {
            Ok(parsed) => parsed,
            Err(_) if http09_possible => {
                queue.push_back((out.len(), count + 1));
                continue;
            }
            Err(err) => {
                first_error.get_or_insert(format!("at byte {at}: {err}"));
                continue;
            }
        };
        let body_at = at + head_len;
        let counted = count + usize::from(response.code >= 200);
        if bodiless(response.code) || head_possible {
            queue.push_back((body_at, counted));
        }
        if !bodiless(response.code) {
            match length {
                Some(n) if body_at + n <= out.len() => queue.push_back((body_at + n, counted)),
                Some(n) => {
                    first_error.get_or_insert(format!("at byte {at}: a body of {n} cut short"));
                }
                None => queue.push_back((out.len(), counted)),
            }
        }
    }
    Err(first_error.unwrap_or_else(|| "no reading reaches the end".into()))
}

/// A request of the simple, well-formed kind whose answers can be
/// predicted one by one.
#[derive(Debug, Clone)]
pub struct PlainRequest {
    /// `GET` or `HEAD`.
    pub method: String,
    /// The request target.
    pub target: Vec<u8>,
    /// The header fields.
    pub headers: Vec<(String, String)>,
}

/// Header fields a plain request may carry: none of them changes how the
/// request is framed or whether the connection stays open.
const PLAIN_FIELDS: [&str; 7] = [
    "host",
    "accept",
    "user-agent",
    "range",
    "if-range",
    "if-none-match",
    "if-modified-since",
];

/// `input` as a sequence of plain, whole requests (HTTP/1.1 `GET` or
/// `HEAD`, a target of letters, digits and `/._-`, header fields of
/// printable ASCII from [`PLAIN_FIELDS`]); `None` if it is anything else.
pub fn plain_requests(input: &[u8]) -> Option<Vec<PlainRequest>> {
    let mut requests = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        // `httparse` skips empty lines before a request; Python's server
        // (and ours) takes an empty request line as the end.
        if rest.starts_with(b"\r") || rest.starts_with(b"\n") {
            return None;
        }
        let mut fields = [httparse::EMPTY_HEADER; 16];
        let mut request = httparse::Request::new(&mut fields);
        let Ok(httparse::Status::Complete(len)) = request.parse(rest) else {
            return None;
        };
        let method = request.method?;
        let target = request.path?.as_bytes();
        let plain_target = target.starts_with(b"/")
            && target.len() <= 200
            && target
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b"/._-".contains(&b));
        let plain_head = rest[..len].split(|&b| b == b'\n').all(|line| {
            line.iter()
                .all(|&b| (0x20..0x7f).contains(&b) || b == b'\r')
        }) && !rest[..len].windows(2).any(|w| w == b"\n ")
            && !rest[..len].windows(2).any(|w| w == b"\n\t");
        if !matches!(method, "GET" | "HEAD")
            || request.version != Some(1)
            || !plain_target
            || !plain_head
        {
            return None;
        }
        let mut headers = Vec::new();
        for field in request.headers.iter() {
            if !PLAIN_FIELDS.contains(&field.name.to_ascii_lowercase().as_str()) {
                return None;
            }
            let value = std::str::from_utf8(field.value).ok()?;
            headers.push((field.name.to_string(), value.to_string()));
        }
        requests.push(PlainRequest {
            method: method.to_string(),
            target: target.to_vec(),
            headers,
        });
        rest = &rest[len..];
    }
    Some(requests)
}

/// Everything that must hold of a session, whatever the input:
///
/// - nothing panics (a panic fails the caller);
/// - the bytes read as HTTP responses, one after the other;
/// - no answer carries a byte of the file outside the root;
/// - the output is bounded: at most one answer per line the client sent
///   (plus one for the end or the timer), each at most the largest file
///   plus a page;
/// - for plain pipelined requests (and no timer or end cut them short):
///   exactly one answer per request, in order, each right for its
///   request (a 200 carries the file, a 206 the slice its
///   `Content-Range` names, HEAD no body, nothing reached through a link
///   that leaves the root).
pub fn check(fixture: &HttpFixture, script: &Script) {
    let out = drive(fixture, script);
    let head_possible = script.input.windows(4).any(|w| w == b"HEAD");
    let http09_possible = has_http09_request(&script.input);
    let count = match count_responses(&out, head_possible, http09_possible) {
        Ok(count) => count,
        Err(err) => panic!(
            "{err}\ninput: {:?}\noutput: {:?}",
            String::from_utf8_lossy(&script.input),
            String::from_utf8_lossy(&out[..out.len().min(2000)])
        ),
    };
    assert!(
        !out.windows(SECRET.len()).any(|w| w == SECRET),
        "the file outside the root was served for {:?}",
        String::from_utf8_lossy(&script.input)
    );
    let lines = script.input.iter().filter(|&&b| b == b'\n').count();
    assert!(
        count <= lines + 2,
        "{count} answers to {lines} lines: {:?}",
        String::from_utf8_lossy(&script.input)
    );
    assert!(
        out.len() <= (count + 1) * (fixture.largest() + PAGE) + 4 * script.input.len(),
        "{} bytes out for {} in",
        out.len(),
        script.input.len()
    );
    if let Some(requests) = plain_requests(&script.input) {
        check_plain(fixture, &requests, &out);
    }
}

/// Each plain request's answer, in order.
fn check_plain(fixture: &HttpFixture, requests: &[PlainRequest], out: &[u8]) {
    let heads: Vec<bool> = requests.iter().map(|r| r.method == "HEAD").collect();
    let responses = split_responses(out, &heads).expect("plain requests get plain answers");
    assert_eq!(
        responses.len(),
        requests.len(),
        "one answer per pipelined request: {requests:?}"
    );
    for (request, response) in requests.iter().zip(&responses) {
        let what = format!(
            "{} {} -> {}",
            request.method,
            String::from_utf8_lossy(&request.target),
            response.code
        );
        if request.method == "HEAD" {
            assert!(response.body.is_empty(), "{what}: a body for HEAD");
        }
        let Some(file) = fixture.file_at(&request.target) else {
            // Not a file: a directory (listing or redirect), a link out
            // (refused), or nothing there.
            assert!(
                !matches!(response.code, 206 | 304)
                    || response.header("content-type") == Some("text/html;charset=utf-8"),
                "{what}: a partial or cached answer for no file"
            );
            continue;
        };
        match response.code {
            200 if request.method == "GET" => {
                assert!(response.body == file, "{what}: not the file's bytes")
            }
            206 if request.method == "GET" => {
                let (start, end, len) = content_range(response).expect("a Content-Range");
                assert_eq!(len, file.len() as u64, "{what}");
                assert!(
                    start <= end && end < len,
                    "{what}: Content-Range {start}-{end}/{len}"
                );
                assert!(
                    response.body == file[start as usize..=end as usize],
                    "{what}: not the file's slice {start}-{end}"
                );
            }
            416 => assert_eq!(
                response.header("content-range"),
                Some(format!("bytes */{}", file.len()).as_str()),
                "{what}"
            ),
            _ => {}
        }
    }
}

/// `Content-Range: bytes A-B/LEN`.
fn content_range(response: &Response) -> Option<(u64, u64, u64)> {
    let value = response.header("content-range")?.strip_prefix("bytes ")?;
    let (range, len) = value.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    Some((start.parse().ok()?, end.parse().ok()?, len.parse().ok()?))
}

/// A plain `GET` of `target` with extra header lines, for the targets
/// that fuzz one header or the path: the fuzzer's bytes become a field
/// value or the target (line ends and spaces taken out, so that the
/// request stays one request).
pub fn get_with(target: &[u8], fields: &[(&str, &[u8])]) -> Vec<u8> {
    let mut request = b"GET ".to_vec();
    request.extend(
        target
            .iter()
            .filter(|&&b| !matches!(b, b'\r' | b'\n' | b' ')),
    );
    request.extend_from_slice(b" HTTP/1.1\r\nHost: fuzz\r\n");
    for (name, value) in fields {
        request.extend_from_slice(name.as_bytes());
        request.extend_from_slice(b": ");
        request.extend(value.iter().filter(|&&b| !matches!(b, b'\r' | b'\n')));
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    request
}

/// The `Range` target: a fuzzed `Range` (and `If-Range`) on a file of
/// the root, checked as a plain request: a 206 is the file's slice, a
/// 200 the whole file, a 416 names the length.
pub fn check_range(fixture: &HttpFixture, data: &[u8]) {
    let (which, rest) = data.split_first().unwrap_or((&0, &[]));
    let name = fixture.plain_name(*which);
    let (range, if_range) = match rest.iter().position(|&b| b == b'|') {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let mut fields: Vec<(&str, &[u8])> = vec![("Range", range)];
    if let Some(if_range) = if_range {
        fields.push(("If-Range", if_range));
    }
    let input = get_with(format!("/{name}").as_bytes(), &fields);
    check(fixture, &script_of(input));
}

/// The conditional-headers target: the fuzzer's bytes, split at `|`,
/// become `If-None-Match`, `If-Modified-Since`, `If-Range` and `Range`
/// on a file. Beside [`check`]'s properties: a 304 only when a
/// condition was asked, with no body, and the file's own `ETag` always
/// gets 304.
pub fn check_conditional(fixture: &HttpFixture, data: &[u8]) {
    let (which, rest) = data.split_first().unwrap_or((&0, &[]));
    let name = fixture.plain_name(*which);
    let target = format!("/{name}");
    let names = ["If-None-Match", "If-Modified-Since", "If-Range", "Range"];
    let fields: Vec<(&str, &[u8])> = names
        .iter()
        .copied()
        .zip(rest.split(|&b| b == b'|'))
        .collect();
    let input = get_with(target.as_bytes(), &fields);
    check(fixture, &script_of(input.clone()));
    let out = drive(fixture, &script_of(input));
    let responses = split_responses(&out, &[false]).expect("one answer");
    let conditional = fields.iter().any(|(n, v)| {
        matches!(*n, "If-None-Match" | "If-Modified-Since") && !v.trim_ascii().is_empty()
    });
    if responses[0].code == 304 {
        assert!(conditional, "304 without a condition");
        assert!(responses[0].body.is_empty());
    }
    // The file's own tag, from a first answer, makes the second a 304.
    let first = drive(fixture, &script_of(get_with(target.as_bytes(), &[])));
    let first = &split_responses(&first, &[false]).expect("one answer")[0];
    if let Some(etag) = first.header("etag") {
        let again = get_with(target.as_bytes(), &[("If-None-Match", etag.as_bytes())]);
        let again = drive(fixture, &script_of(again));
        let again = &split_responses(&again, &[false]).expect("one answer")[0];
        assert_eq!(again.code, 304, "{name}: its own ETag {etag}");
    }
}

/// The path target: the fuzzer's bytes are the request target (after a
/// first byte that picks a prefix: links out, `..`, `%2e%2e`, a long
/// run of slashes). Nothing outside the root is ever served ([`check`]).
pub fn check_path(fixture: &HttpFixture, data: &[u8]) {
    const PREFIXES: [&[u8]; 8] = [
        b"/",
        b"/out/",
        b"/dir/",
        b"/../outside/",
        b"/%2e%2e/outside/",
        b"/dir/..%2f..%2f",
        b"//////////",
        b"/secret.txt",
    ];
    let (which, rest) = data.split_first().unwrap_or((&0, &[]));
    let mut target = PREFIXES[usize::from(*which) % PREFIXES.len()].to_vec();
    target.extend_from_slice(rest);
    let input = get_with(&target, &[]);
    check(fixture, &script_of(input));
}

/// A session that sends `input` in one read and then ends.
fn script_of(input: Vec<u8>) -> Script {
    Script {
        input,
        eof: true,
        ..Script::default()
    }
}
