//! TLS on the event loop (`examples::tls`): protocols wrapped in `Tls` on an
//! `EpollTcpServer` in the test process, with a certificate the test makes.
//! Clients: rustls (trusting only the test's CA) and curl with `--cacert`.

mod tls_support;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::Shutdown;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use examples::tls::{MaybeTls, Tls, TlsArgs, TlsConfig};
use framework::{Conn, EpollTcpServer, LineProtocol, Lines, Protocol};
use parking_lot::Mutex;
use tests::in_process::RunningLoop;
use tls_support::{IO_TIMEOUT, Pki, arg, have, plain_connect, tls_connect};

const POLL: Duration = Duration::from_millis(50);

/// Echoes every line.
struct Echo;

impl LineProtocol for Echo {
    fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
        conn.write(line);
        Ok(())
    }
}

fn echo_server(
    tls: TlsConfig,
) -> RunningLoop<Tls<Lines<Echo>>, impl Fn() -> Tls<Lines<Echo>> + Send + Sync + 'static> {
    let server =
        EpollTcpServer::bind("127.0.0.1:0", move || Tls::new(&tls, Lines::new(Echo))).unwrap();
    RunningLoop::start(server, POLL)
}

/// One line over a TLS stream, and its echo.
fn ask_line(stream: &mut tls_support::TlsStream, line: &str) -> String {
    stream.write_all(line.as_bytes()).unwrap();
    stream.flush().unwrap();
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).unwrap();
    answer
}

#[test]
fn lines_echo_over_tls_to_a_client_that_checks_the_certificate() {
    let pki = Pki::new();
    let tls = TlsConfig::from_files(&pki.cert_pem, Some(&pki.key_pem), None).unwrap();
    let running = echo_server(tls);
    let client = pki.client_config();
    // Both names in the certificate: a DNS name and an IP address.
    for name in ["localhost", "127.0.0.1"] {
        let mut stream = tls_connect(running.addr(), &client, name);
        assert_eq!(ask_line(&mut stream, "hello\n"), "hello\n");
        assert_eq!(ask_line(&mut stream, "second line\n"), "second line\n");
        let version = stream.conn.protocol_version().unwrap();
        assert_eq!(version, rustls::ProtocolVersion::TLSv1_3);
    }
    running.stop();
}

#[test]
fn a_name_not_in_the_certificate_is_refused_by_the_client_and_the_server_goes_on() {
    let pki = Pki::new();
    let tls = TlsConfig::from_files(&pki.cert_pem, Some(&pki.key_pem), None).unwrap();
    let running = echo_server(tls);
    let client = pki.client_config();
    let mut wrong = tls_connect(running.addr(), &client, "example.com");
    let err = wrong.write_all(b"hello\n").unwrap_err();
    assert!(
        err.to_string().contains("certificate"),
        "the client names the certificate problem: {err}"
    );
    let mut right = tls_connect(running.addr(), &client, "localhost");
    assert_eq!(ask_line(&mut right, "still here\n"), "still here\n");
    running.stop();
}

/// A digest both sides compute (FNV-1a, 64 bits).
fn fnv(hash: u64, data: &[u8]) -> u64 {
    data.iter().fold(hash, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// The byte at offset `i` of the test's 8 MiB.
fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

/// Counts and digests everything the client sends; at the client's end of
/// data answers `bytes digest` and closes.
struct Sink {
    bytes: usize,
    hash: u64,
}

impl Protocol for Sink {
    fn data_received(&mut self, _conn: &mut Conn<'_>, data: &[u8]) -> io::Result<()> {
        self.bytes += data.len();
        self.hash = fnv(self.hash, data);
        Ok(())
    }

    fn eof_received(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        conn.write(format!("{} {:x}\n", self.bytes, self.hash).as_bytes());
        conn.close();
        Ok(())
    }
}

/// On a line `N\n`, sends N bytes of the pattern in parts as the client
/// takes them (on `writable`), then closes.
struct Source {
    total: usize,
    sent: usize,
}

impl Source {
    fn fill(&mut self, conn: &mut Conn<'_>) {
        while self.sent < self.total && conn.output_len() < 1024 * 1024 {
            let part: Vec<u8> = (self.sent..self.total.min(self.sent + 256 * 1024))
                .map(pattern)
                .collect();
            conn.write(&part);
            self.sent += part.len();
        }
        if self.sent == self.total {
            conn.close();
        }
    }
}

impl Protocol for Source {
    fn data_received(&mut self, conn: &mut Conn<'_>, data: &[u8]) -> io::Result<()> {
        let asked = std::str::from_utf8(data).map_err(io::Error::other)?;
        self.total = asked.trim().parse().map_err(io::Error::other)?;
        self.fill(conn);
        Ok(())
    }

    fn writable(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        if self.total > 0 {
            self.fill(conn);
        }
        Ok(())
    }
}

const EIGHT_MIB: usize = 8 * 1024 * 1024;

#[test]
fn eight_mib_each_way_arrive_byte_exact_and_end_with_close_notify() {
    let pki = Pki::new();
    let tls = TlsConfig::from_files(&pki.cert_pem, Some(&pki.key_pem), None).unwrap();
    let client = pki.client_config();

    // Up: the client sends 8 MiB, then its close_notify; the server answers.
    let up_tls = tls.clone();
    let sink = EpollTcpServer::bind("127.0.0.1:0", move || {
        Tls::new(
            &up_tls,
            Sink {
                bytes: 0,
                hash: FNV_START,
            },
        )
    })
    .unwrap();
    let sink = RunningLoop::start(sink, POLL);
    let mut stream = tls_connect(sink.addr(), &client, "localhost");
    let data: Vec<u8> = (0..EIGHT_MIB).map(pattern).collect();
    for part in data.chunks(100_000) {
        stream.write_all(part).unwrap();
    }
    stream.conn.send_close_notify();
    stream.flush().unwrap();
    let mut answer = String::new();
    // read_to_string fails on a TCP end without the server's close_notify.
    stream.read_to_string(&mut answer).unwrap();
    assert_eq!(answer, format!("{EIGHT_MIB} {:x}\n", fnv(FNV_START, &data)));
    sink.stop();

    // Down: the server sends 8 MiB as the client reads, then close_notify.
    let source = EpollTcpServer::bind("127.0.0.1:0", move || {
        Tls::new(&tls, Source { total: 0, sent: 0 })
    })
    .unwrap();
    let source = RunningLoop::start(source, POLL);
    let mut stream = tls_connect(source.addr(), &client, "localhost");
    stream
        .write_all(format!("{EIGHT_MIB}\n").as_bytes())
        .unwrap();
    let mut got = Vec::new();
    stream.read_to_end(&mut got).unwrap();
    assert_eq!(got.len(), EIGHT_MIB);
    assert!(got == data, "the bytes changed on the way");
    source.stop();
}

/// Answers any request (once its head has arrived) with a short page and
/// `Connection: close`.
struct Hello {
    head: Vec<u8>,
}

impl Protocol for Hello {
    fn data_received(&mut self, conn: &mut Conn<'_>, data: &[u8]) -> io::Result<()> {
        self.head.extend_from_slice(data);
        if self.head.windows(4).any(|w| w == b"\r\n\r\n") {
            let body = "hello over TLS\n";
            conn.write(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
            conn.close();
        }
        Ok(())
    }
}

fn hello_server(
    tls: TlsConfig,
) -> RunningLoop<Tls<Hello>, impl Fn() -> Tls<Hello> + Send + Sync + 'static> {
    let server = EpollTcpServer::bind("127.0.0.1:0", move || {
        Tls::new(&tls, Hello { head: Vec::new() })
    })
    .unwrap();
    RunningLoop::start(server, POLL)
}

fn curl(args: &[&str]) -> std::process::Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn curl_with_cacert_gets_the_page_and_without_it_refuses() {
    if !have("curl", "--version") {
        eprintln!("SKIPPED: curl is not installed (.ci/run installs it)");
        return;
    }
    let pki = Pki::new();
    // As http-server builds it from --tls-cert and --tls-key.
    let options = TlsArgs {
        tls_cert: Some(pki.cert_pem.clone()),
        tls_key: Some(pki.key_pem.clone()),
        tls_password_file: None,
    };
    let running = hello_server(options.https_config().unwrap().unwrap());
    let port = running.addr().port();

    let by_ip = format!("https://127.0.0.1:{port}/");
    let out = curl(&["--cacert", arg(&pki.ca_pem), &by_ip]);
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"hello over TLS\n");

    let by_name = format!("https://localhost:{port}/");
    let resolve = format!("localhost:{port}:127.0.0.1");
    let out = curl(&[
        "--cacert",
        arg(&pki.ca_pem),
        "--resolve",
        &resolve,
        &by_name,
    ]);
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"hello over TLS\n");

    // Without the CA, curl cannot check the certificate: exit code 60.
    let out = curl(&[&by_ip]);
    assert_eq!(
        out.status.code(),
        Some(60),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Plain HTTP to the TLS port: a readable 400, and the connection ends.
    let started = Instant::now();
    let plain = format!("http://127.0.0.1:{port}/");
    let out = curl(&["-w", "%{http_code}\n", &plain]);
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("plain HTTP request was sent to a TLS port"),
        "{text}"
    );
    assert!(text.ends_with("400\n"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5), "no hang");
    running.stop();
}

/// Reads until the server closes; the time it took.
fn read_until_closed(stream: &mut std::net::TcpStream) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    // A hang would end in the read timeout (an error), not in Ok.
    stream
        .read_to_end(&mut got)
        .expect("the server closes the connection before the client's read timeout");
    (got, started.elapsed())
}

#[test]
fn bytes_that_are_not_tls_get_a_prompt_close_and_others_are_still_served() {
    let pki = Pki::new();
    let tls = TlsConfig::from_files(&pki.cert_pem, Some(&pki.key_pem), None).unwrap();
    let running = echo_server(tls.clone());
    let addr = running.addr();

    // An HTTP request to a server that does not answer plain HTTP: closed,
    // after at most rustls's alert record (type 21), never a hang.
    let mut plain = plain_connect(addr);
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let (got, took) = read_until_closed(&mut plain);
    assert!(got.is_empty() || got[0] == 21, "got {got:?}");
    assert!(took < IO_TIMEOUT);

    // Three bytes of text: fewer than a record header, still closed.
    let mut short = plain_connect(addr);
    short.write_all(b"hi\n").unwrap();
    let (_, took) = read_until_closed(&mut short);
    assert!(took < IO_TIMEOUT);

    // A handshake record holding a whole ClientHello (type 1) of one byte,
    // which cannot be one: a TLS alert, then the close.
    let mut broken = plain_connect(addr);
    broken
        .write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 1, 0, 0, 1, 0xff])
        .unwrap();
    let (got, _) = read_until_closed(&mut broken);
    assert_eq!(got.first(), Some(&21), "an alert record: {got:?}");

    // A client that leaves in the middle of its handshake.
    let mut gone = plain_connect(addr);
    gone.write_all(&[0x16, 0x03, 0x01]).unwrap();
    gone.shutdown(Shutdown::Write).unwrap();
    let (got, _) = read_until_closed(&mut gone);
    assert!(got.is_empty(), "nothing to say to it: {got:?}");

    let mut good = tls_connect(addr, &pki.client_config(), "localhost");
    assert_eq!(ask_line(&mut good, "after them\n"), "after them\n");
    assert!(
        tests::procfs::wait_until(IO_TIMEOUT, || running.server.connection_count() == 1),
        "the bad clients' connections are gone"
    );
    running.stop();
}

#[test]
fn an_http_server_answers_plain_http_with_a_readable_400() {
    let pki = Pki::new();
    let tls = TlsConfig::from_files(&pki.cert_pem, Some(&pki.key_pem), None)
        .unwrap()
        .answering_plain_http();
    let running = hello_server(tls);
    let mut plain = plain_connect(running.addr());
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let (got, _) = read_until_closed(&mut plain);
    let text = String::from_utf8(got).unwrap();
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert!(
        text.ends_with("a plain HTTP request was sent to a TLS port\n"),
        "{text}"
    );
    running.stop();
}

#[test]
fn an_encrypted_key_works_with_its_password_and_fails_clearly_without() {
    let pki = Pki::new();
    let key = pki.encrypted_key("key-encrypted.pem", "correct horse");
    let right = pki.file("right.txt", b"correct horse\n");
    let wrong = pki.file("wrong.txt", b"battery staple\n");

    let tls = TlsConfig::from_files(&pki.cert_pem, Some(&key), Some(&right)).unwrap();
    let running = echo_server(tls);
    let mut stream = tls_connect(running.addr(), &pki.client_config(), "localhost");
    assert_eq!(ask_line(&mut stream, "decrypted\n"), "decrypted\n");
    running.stop();

    let message = |result: io::Result<TlsConfig>| match result {
        Ok(_) => panic!("the config was accepted"),
        Err(err) => err.to_string(),
    };
    let err = message(TlsConfig::from_files(
        &pki.cert_pem,
        Some(&key),
        Some(&wrong),
    ));
    assert!(err.contains("wrong password"), "{err}");
    assert!(err.contains("key-encrypted.pem"), "names the file: {err}");
    let err = message(TlsConfig::from_files(&pki.cert_pem, Some(&key), None));
    assert!(err.contains("a password file is needed"), "{err}");
    let empty = pki.file("empty.txt", b"");
    let err = message(TlsConfig::from_files(
        &pki.cert_pem,
        Some(&key),
        Some(&empty),
    ));
    assert!(err.contains("the password file is empty"), "{err}");
}

#[test]
fn a_key_encrypted_by_openssl_is_read_too() {
    if !have("openssl", "version") {
        eprintln!("SKIPPED: openssl is not installed");
        return;
    }
    let pki = Pki::new();
    let password = pki.file("password.txt", b"from openssl\n");
    let key = pki.dir.path().join("openssl-encrypted.pem");
    // OpenSSL 3's defaults: PBES2, PBKDF2 with HMAC-SHA256, AES-256-CBC.
    let status = Command::new("openssl")
        .args([
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            arg(&pki.key_pem),
        ])
        .args(["-out", arg(&key), "-passout"])
        .arg(format!("file:{}", arg(&password)))
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&key).unwrap();
    assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let tls = TlsConfig::from_files(&pki.cert_pem, Some(&key), Some(&password)).unwrap();
    let running = echo_server(tls);
    let mut stream = tls_connect(running.addr(), &pki.client_config(), "127.0.0.1");
    assert_eq!(ask_line(&mut stream, "openssl\n"), "openssl\n");
    running.stop();
}

#[test]
fn bad_files_give_errors_that_say_what_is_wrong() {
    let pki = Pki::new();
    let message =
        |cert: &std::path::Path, key: Option<&std::path::Path>| match TlsConfig::from_files(
            cert, key, None,
        ) {
            Ok(_) => panic!("accepted"),
            Err(err) => (err.kind(), err.to_string()),
        };
    let missing = pki.dir.path().join("missing.pem");
    let (kind, text) = message(&missing, Some(&pki.key_pem));
    assert_eq!(kind, io::ErrorKind::NotFound);
    assert!(
        text.contains("missing.pem") && text.contains("certificate file"),
        "{text}"
    );

    // No --tls-key: the key must then be in the certificate file.
    let (_, text) = message(&pki.cert_pem, None);
    assert!(text.contains("no private key"), "{text}");
    let mut both = std::fs::read(&pki.cert_pem).unwrap();
    both.extend(std::fs::read(&pki.key_pem).unwrap());
    let both = pki.file("both.pem", &both);
    TlsConfig::from_files(&both, None, None).expect("certificate and key in one file");

    let (_, text) = message(&pki.key_pem, Some(&pki.key_pem));
    assert!(text.contains("no certificate"), "{text}");

    // A key that is not the certificate's.
    let other = Pki::new();
    let (_, text) = message(&pki.cert_pem, Some(&other.key_pem));
    assert!(
        text.contains("cannot use this key with the certificate"),
        "{text}"
    );
}

/// Writes a greeting when connected, before the handshake has ended, and
/// counts how its connection ended.
struct Greeter {
    closes: Arc<Mutex<Vec<String>>>,
}

impl LineProtocol for Greeter {
    fn connected(&mut self, conn: &mut Conn<'_>) -> io::Result<()> {
        conn.write(b"welcome\n");
        Ok(())
    }

    fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
        if line == b"quit\n" {
            conn.write(b"bye\n");
            conn.close();
            // As on a plain connection: closing, and later writes ignored.
            assert!(conn.is_closing());
            conn.write(b"never sent\n");
        } else {
            conn.write(line);
        }
        Ok(())
    }

    fn closed(&mut self, _conn: &mut Conn<'_>, reason: &framework::CloseReason) {
        self.closes.lock().push(format!("{reason:?}"));
    }
}

#[test]
fn a_greeting_waits_for_the_handshake_and_quit_ends_with_close_notify() {
    let pki = Pki::new();
    let tls = TlsConfig::from_files(&pki.cert_pem, Some(&pki.key_pem), None).unwrap();
    let closes: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&closes);
    let server = EpollTcpServer::bind("127.0.0.1:0", move || {
        Tls::new(
            &tls,
            Lines::new(Greeter {
                closes: Arc::clone(&log),
            }),
        )
    })
    .unwrap();
    let running = RunningLoop::start(server, POLL);
    let mut stream = tls_connect(running.addr(), &pki.client_config(), "localhost");
    stream.write_all(b"echo me\nquit\n").unwrap();
    let mut all = String::new();
    stream
        .read_to_string(&mut all)
        .expect("a clean TLS end (close_notify)");
    assert_eq!(all, "welcome\necho me\nbye\n");
    assert!(tests::procfs::wait_until(IO_TIMEOUT, || closes
        .lock()
        .len()
        == 1));
    assert_eq!(closes.lock()[0], "Closed");
    running.stop();
}

/// Says why when the server's idle timeout ends the connection.
struct Patient;

impl LineProtocol for Patient {
    fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
        conn.write(line);
        Ok(())
    }

    fn timed_out(&mut self, conn: &mut Conn<'_>, timeout: framework::Timeout) -> io::Result<()> {
        conn.write(format!("bye: {timeout:?}\n").as_bytes());
        Ok(())
    }
}

#[test]
fn the_idle_timeout_says_goodbye_in_tls_and_ends_with_close_notify() {
    let pki = Pki::new();
    let tls = TlsConfig::from_files(&pki.cert_pem, Some(&pki.key_pem), None).unwrap();
    let mut server =
        EpollTcpServer::bind("127.0.0.1:0", move || Tls::new(&tls, Lines::new(Patient))).unwrap();
    server.set_idle_timeout(Some(Duration::from_millis(300)));
    let running = RunningLoop::start(server, POLL);
    let mut stream = tls_connect(running.addr(), &pki.client_config(), "localhost");
    stream.write_all(b"one line\n").unwrap();
    let mut all = String::new();
    // Then silence: the timeout's words arrive encrypted, then a clean end.
    stream
        .read_to_string(&mut all)
        .expect("a clean TLS end (close_notify) after the timeout");
    assert_eq!(all, "one line\nbye: Idle\n");

    // A client silent from the start (no handshake at all) is closed too.
    let mut silent = plain_connect(running.addr());
    let (got, took) = read_until_closed(&mut silent);
    assert!(got.is_empty(), "{got:?}");
    assert!(took < IO_TIMEOUT);
    running.stop();
}

#[test]
fn maybe_tls_serves_plain_or_tls_from_one_factory_and_https_offers_http_1_1() {
    let pki = Pki::new();
    let options = TlsArgs {
        tls_cert: Some(pki.cert_pem.clone()),
        tls_key: Some(pki.key_pem.clone()),
        tls_password_file: None,
    };
    let hello = || Hello { head: Vec::new() };
    let request = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

    // No --tls-cert: plain HTTP.
    let plain = TlsArgs::default().https_config().unwrap();
    let server = EpollTcpServer::bind("127.0.0.1:0", move || {
        MaybeTls::new(plain.as_ref(), hello())
    })
    .unwrap();
    let running = RunningLoop::start(server, POLL);
    let mut stream = plain_connect(running.addr());
    stream.write_all(request).unwrap();
    let (got, _) = read_until_closed(&mut stream);
    assert!(got.ends_with(b"hello over TLS\n"), "{got:?}");
    running.stop();

    // With it: HTTPS, and ALPN picks http/1.1 when the client offers it.
    let tls = options.https_config().unwrap();
    let server =
        EpollTcpServer::bind("127.0.0.1:0", move || MaybeTls::new(tls.as_ref(), hello())).unwrap();
    let running = RunningLoop::start(server, POLL);
    let mut client = (*pki.client_config()).clone();
    client.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let mut stream = tls_connect(running.addr(), &Arc::new(client), "localhost");
    stream.write_all(request).unwrap();
    let mut got = Vec::new();
    stream.read_to_end(&mut got).unwrap();
    assert!(got.ends_with(b"hello over TLS\n"), "{got:?}");
    assert_eq!(stream.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
    running.stop();
}
