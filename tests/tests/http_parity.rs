//! The request/response cases of CPython's `Lib/test/test_httpservers.py`
//! that apply to a static file server, run against the `http-server`
//! binary over real sockets. Where we knowingly differ from Python (a
//! status line on every error, keep-alive after a 404), the test says so.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, SystemTime};

use tempfile::TempDir;
use tests::ServerProcess;
use tests::http::{Client, exchange, get, raw, start_server};

const DATA: &[u8] = b"We are the knights who say Ni!";

/// CPython's layout: the server serves a parent directory; the files live
/// in a sub-directory `tmp` (its `tempdir_name`).
fn setup() -> (TempDir, ServerProcess) {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("tmp");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("test"), DATA).unwrap();
    fs::create_dir(dir.join("subdir")).unwrap();
    fs::write(dir.join("page.html"), "<p>hi</p>").unwrap();
    let server = start_server(root.path(), &[]);
    (root, server)
}

#[test]
fn get_files_directories_redirects_and_404s() {
    let (_root, server) = setup();
    let addr = server.addr();
    // test_get
    let r = get(&addr, "/tmp/test", &[]);
    assert_eq!((r.code, r.body.as_slice()), (200, DATA));
    assert_eq!(get(&addr, "/tmp/test/", &[]).code, 404);
    assert_eq!(get(&addr, "/tmp/", &[]).code, 200);
    let r = get(&addr, "/tmp", &[]);
    assert_eq!(r.code, 301);
    assert_eq!(r.header("Location"), Some("/tmp/"));
    assert_eq!(r.header("Content-Length"), Some("0"));
    // The query survives the redirect.
    let r = get(&addr, "/tmp?hi=1", &[]);
    assert_eq!(r.header("Location"), Some("/tmp/?hi=1"));
    let r = get(&addr, "/tmp/?hi=1", &[]);
    assert_eq!(r.code, 200);
    assert_eq!(get(&addr, "/ThisDoesNotExist", &[]).code, 404);
    assert_eq!(get(&addr, "/ThisDoesNotExist/", &[]).code, 404);
    // A `%2f` at the end counts as the trailing slash (Python's check).
    assert_eq!(get(&addr, "/tmp%2f", &[]).code, 200);
    // Python's reason phrase is its message.
    let r = get(&addr, "/nope", &[]);
    assert_eq!(r.status_line, "HTTP/1.1 404 File not found");
    // test_error_content_length: the page is exactly Content-Length long.
    assert_eq!(
        r.header("Content-Length").unwrap(),
        r.body.len().to_string()
    );
    assert_eq!(r.header("Content-Type"), Some("text/html;charset=utf-8"));
    assert!(r.text().contains("<p>Message: File not found.</p>"));
}

#[test]
fn index_pages_are_served_for_directories() {
    let (root, server) = setup();
    let addr = server.addr();
    let dir = root.path().join("tmp/subdir");
    fs::write(dir.join("index.htm"), "htm").unwrap();
    assert_eq!(get(&addr, "/tmp/subdir/", &[]).text(), "htm");
    fs::write(dir.join("index.html"), "html").unwrap();
    let r = get(&addr, "/tmp/subdir/", &[]);
    assert_eq!(
        (r.text().as_str(), r.header("Content-Type")),
        ("html", Some("text/html"))
    );
    // An index.html that is a directory is no index page: the listing comes.
    fs::remove_file(dir.join("index.html")).unwrap();
    fs::remove_file(dir.join("index.htm")).unwrap();
    fs::create_dir(dir.join("index.html")).unwrap();
    assert!(
        get(&addr, "/tmp/subdir/", &[])
            .text()
            .contains("Directory listing for /tmp/subdir/")
    );
}

#[test]
fn head_and_content_types() {
    let (_root, server) = setup();
    let mut client = Client::connect(&server.addr());
    // test_head
    let r = client.get("HEAD", "/tmp/test", &[]);
    assert_eq!(r.code, 200);
    assert_eq!(
        r.header("Content-Length"),
        Some(DATA.len().to_string().as_str())
    );
    assert_eq!(r.header("Content-Type"), Some("application/octet-stream"));
    // test_head_keep_alive: the connection stays usable, and no body came.
    let r = client.get("GET", "/tmp/page.html", &[]);
    assert_eq!((r.code, r.header("Content-Type")), (200, Some("text/html")));
    assert_eq!(r.text(), "<p>hi</p>");
    // HEAD of an error: headers, no body.
    let r = client.get("HEAD", "/missing", &[]);
    assert_eq!(r.code, 404);
    assert!(
        r.header("Content-Length")
            .unwrap()
            .parse::<usize>()
            .unwrap()
            > 0
    );
    // Had a body come, the next answer would start inside it.
    let r = client.get("GET", "/tmp/page.html", &[]);
    assert_eq!((r.code, r.text().as_str()), (200, "<p>hi</p>"));
}

#[test]
fn browser_cache_and_last_modified() {
    let (root, server) = setup();
    let addr = server.addr();
    let file = root.path().join("tmp/test");
    let mtime = fs::metadata(&file).unwrap().modified().unwrap();
    // test_last_modified
    let r = get(&addr, "/tmp/test", &[]);
    let last_modified = r.header("Last-Modified").unwrap().to_string();
    assert_eq!(last_modified, httpdate_of(mtime));
    // test_browser_cache: same date → 304, with no body: the client reads
    // none for a 304, so had one come, the next answer on the connection
    // would start inside it.
    let mut client = Client::connect(&addr);
    let r = client.get(
        "GET",
        "/tmp/test",
        &[&format!("If-Modified-Since: {last_modified}")],
    );
    assert_eq!(r.code, 304);
    assert_eq!(client.get("GET", "/tmp/test", &[]).code, 200);
    // test_browser_cache_file_changed: an older date → 200.
    let old = httpdate_of(mtime - Duration::from_secs(3600));
    assert_eq!(
        get(&addr, "/tmp/test", &[&format!("If-Modified-Since: {old}")]).code,
        200
    );
    // test_browser_cache_with_If_None_Match_header: If-None-Match wins.
    let r = get(
        &addr,
        "/tmp/test",
        &[
            &format!("If-Modified-Since: {last_modified}"),
            "If-None-Match: \"other\"",
        ],
    );
    assert_eq!(r.code, 200);
    // Dates Python does not compare (not GMT) or cannot read are ignored.
    for date in ["garbage", "Fri, 01 Jan 2100 00:00:00 -0500"] {
        assert_eq!(
            get(&addr, "/tmp/test", &[&format!("If-Modified-Since: {date}")]).code,
            200
        );
    }
    assert_eq!(
        get(
            &addr,
            "/tmp/test",
            &["If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"]
        )
        .code,
        304
    );
}

fn httpdate_of(time: SystemTime) -> String {
    // RFC 1123 as Python's email.utils.formatdate(usegmt=True) writes it.
    let out = std::process::Command::new("date")
        .args(["-u", "-d"])
        .arg(format!(
            "@{}",
            time.duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        ))
        .arg("+%a, %d %b %Y %H:%M:%S GMT")
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn only_get_and_head_are_implemented() {
    let (_root, server) = setup();
    let addr = server.addr();
    // test_invalid_requests / test_command: methods are case-sensitive.
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "get", "XYZBOGUS"] {
        let r = raw(
            &addr,
            format!("{method} /tmp/test HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
        );
        assert_eq!(r.code, 501, "{method}");
        assert_eq!(
            r.status_line,
            format!("HTTP/1.1 501 Unsupported method ('{method}')")
        );
        assert_eq!(r.header("Connection"), Some("close"));
    }
    // test_html_escape_on_error: the method is escaped on the error page.
    let r = raw(&addr, b"<script>alert(1)</script> / HTTP/1.0\r\n\r\n");
    assert_eq!(r.code, 501);
    assert!(!r.text().contains("<script>"), "{}", r.text());
    assert!(r.text().contains("&lt;script&gt;"));
}

#[test]
fn request_line_errors_and_limits() {
    let (_root, server) = setup();
    let addr = server.addr();
    let status = |bytes: &[u8]| raw(&addr, bytes).status_line;
    // test_version_bogus, _digits, _signs: 400; test_version_invalid: 505.
    assert_eq!(
        status(b"GET / FUBAR\r\n\r\n"),
        "HTTP/1.1 400 Bad request version ('FUBAR')"
    );
    assert_eq!(
        status(b"GET / HTTP/9.9.9\r\n\r\n").split(' ').nth(1),
        Some("400")
    );
    assert_eq!(
        status(b"GET / HTTP/-9.-9\r\n\r\n").split(' ').nth(1),
        Some("400")
    );
    assert_eq!(
        status(b"GET / HTTP/1.x\r\n\r\n").split(' ').nth(1),
        Some("400")
    );
    assert_eq!(
        status(b"GET / HTTP/2.0\r\n\r\n"),
        "HTTP/1.1 505 Invalid HTTP version (2.0)"
    );
    assert_eq!(
        status(b"GET / HTTP/9.9\r\n\r\n"),
        "HTTP/1.1 505 Invalid HTTP version (9.9)"
    );
    assert_eq!(
        status(b"GET / x HTTP/1.0\r\n\r\n"),
        "HTTP/1.1 400 Bad request syntax ('GET / x HTTP/1.0')"
    );
    // test_request_line_trimming: a bare LF ends the line too.
    assert_eq!(
        status(b"GET /tmp/test HTTP/1.1\n\n").split(' ').nth(1),
        Some("200")
    );
    // Several spaces between words are fine (Python splits on whitespace).
    assert_eq!(
        status(b"GET  /tmp/test   HTTP/1.0\r\n\r\n")
            .split(' ')
            .nth(1),
        Some("200")
    );
    // test_send_blank: an empty line gets no answer at all.
    assert!(exchange(&addr, b"\r\n").is_empty());
    // 414: a request line over 65,536 bytes.
    let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(65536));
    assert_eq!(status(long.as_bytes()), "HTTP/1.1 414 URI Too Long");
    // 431: a header line over 65,536 bytes; 100 header lines (99 pass).
    let line = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(65536));
    assert_eq!(status(line.as_bytes()), "HTTP/1.1 431 Line too long");
    let ok = format!("GET /tmp/test HTTP/1.0\r\n{}\r\n", "X: y\r\n".repeat(99));
    assert_eq!(status(ok.as_bytes()).split(' ').nth(1), Some("200"));
    let many = format!("GET /tmp/test HTTP/1.0\r\n{}\r\n", "X: y\r\n".repeat(100));
    assert_eq!(status(many.as_bytes()), "HTTP/1.1 431 Too many headers");
}

#[test]
fn http_0_9_gets_a_bare_body() {
    let (_root, server) = setup();
    let addr = server.addr();
    // test_version_none_get: no status line, no headers; and no wait for
    // headers that HTTP/0.9 does not have (CPython gh-139492).
    assert_eq!(exchange(&addr, b"GET /tmp/test\r\n"), DATA);
    // test_version_none: only GET exists in HTTP/0.9. Python answers this
    // error without a status line; we give every parse error a status line.
    let r = raw(&addr, b"PUT /tmp/test\r\n");
    assert_eq!(
        r.status_line,
        "HTTP/1.1 400 Bad HTTP/0.9 request type ('PUT')"
    );
}

#[test]
fn connection_header_and_expect_continue() {
    let (_root, server) = setup();
    let addr = server.addr();
    // test_header_close
    let mut c = Client::connect(&addr);
    let r = c.get("GET", "/tmp/test", &["Connection: close"]);
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(c.is_closed());
    // test_header_keep_alive: HTTP/1.0 + keep-alive is kept, and told so.
    let mut c = Client::connect(&addr);
    c.send(b"GET /tmp/test HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    let r = c.read_response(false).unwrap();
    assert_eq!(r.header("Connection"), Some("keep-alive"));
    c.send(b"GET /tmp/test HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(c.read_response(false).unwrap().body, DATA);
    assert!(c.is_closed(), "plain HTTP/1.0 closes");
    // test_with_continue_1_1: 100 Continue, then the answer.
    let mut c = Client::connect(&addr);
    c.send(b"GET /tmp/test HTTP/1.1\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    assert_eq!(
        c.read_response(false).unwrap().status_line,
        "HTTP/1.1 100 Continue"
    );
    assert_eq!(c.read_response(false).unwrap().body, DATA);
    // test_with_continue_1_0: no 100 for an HTTP/1.0 client.
    let r = raw(
        &addr,
        b"GET /tmp/test HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
    );
    assert_eq!(r.code, 200);
}

#[test]
fn listings_escape_encode_and_sort() {
    let (root, server) = setup();
    let addr = server.addr();
    let dir = root.path().join("tmp/subdir");
    // test_html_escape_filename
    fs::write(dir.join("<i>&\"x.txt"), "").unwrap();
    // test_undecodable_filename: a name that is not UTF-8.
    fs::write(dir.join(std::ffi::OsStr::from_bytes(b"\xff.txt")), "ff").unwrap();
    fs::write(dir.join("Banana"), "").unwrap();
    fs::write(dir.join("apple"), "").unwrap();
    fs::create_dir(dir.join("Cherry")).unwrap();
    std::os::unix::fs::symlink("apple", dir.join("link")).unwrap();
    let r = get(&addr, "/tmp/subdir/", &[]);
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
    let html = r.text();
    assert!(
        html.contains(r#"<a href="%3Ci%3E%26%22x.txt">&lt;i&gt;&amp;"x.txt</a>"#),
        "{html}"
    );
    assert!(html.contains(r#"<a href="%FF.txt">"#), "{html}");
    assert!(html.contains(r#"<a href="Cherry/">Cherry/</a>"#));
    assert!(html.contains(r#"<a href="link">link@</a>"#));
    let order: Vec<usize> = ["apple", "Banana", "Cherry/", "link@"]
        .iter()
        .map(|name| html.find(&format!(">{name}<")).unwrap())
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "sorted case-insensitively: {html}"
    );
    assert_eq!(get(&addr, "/tmp/subdir/%FF.txt", &[]).text(), "ff");
    // test_undecodable_parameter: the query does not disturb the listing.
    assert_eq!(get(&addr, "/tmp/subdir/?x=%bb", &[]).code, 200);
}

#[test]
fn redirect_location_cannot_name_another_host() {
    // test_get_dir_redirect_location_domain_injection_bug (CPython gh-87389).
    let (root, server) = setup();
    let addr = server.addr();
    fs::create_dir(root.path().join("tmp/existing_directory")).unwrap();
    let url = "/python.org/..%2f..%2f..%2f..%2f..%2f../%0a%0d/../tmp/existing_directory";
    let expected = format!("{url}/");
    for attack in [url.to_string(), format!("/{url}"), format!("//{url}")] {
        let r = get(&addr, &attack, &[]);
        assert_eq!(r.code, 301, "{attack}");
        let location = r.header("Location").unwrap();
        assert!(!location.starts_with("//"), "{location}");
        assert_eq!(location, expected);
    }
    let r = get(&addr, &format!("https://pypi.org/{url}"), &[]);
    assert!(
        r.header("Location")
            .unwrap()
            .starts_with("https://pypi.org/")
    );
    // `/\host` reads as `//host` in browsers: the backslash is escaped.
    // On Unix a backslash is an ordinary character of a file name.
    let name = std::ffi::OsStr::from_bytes(b"\\evil.com");
    fs::create_dir(root.path().join(name)).unwrap();
    let r = get(&addr, "/\\evil.com", &[]);
    assert_eq!(r.header("Location"), Some("/%5Cevil.com/"));
}

#[test]
fn path_without_leading_slash() {
    let (_root, server) = setup();
    let addr = server.addr();
    assert_eq!(get(&addr, "tmp/test", &[]).body, DATA);
    assert_eq!(get(&addr, "tmp/test/", &[]).code, 404);
    assert_eq!(get(&addr, "tmp/", &[]).code, 200);
    let r = get(&addr, "tmp", &[]);
    assert_eq!((r.code, r.header("Location")), (301, Some("tmp/")));
}

#[test]
fn served_directory_defaults_to_the_working_directory() {
    let root = tempfile::tempdir().unwrap();
    fs::write(root.path().join("here.txt"), "cwd").unwrap();
    let server = ServerProcess::start_command(
        std::process::Command::new(tests::bin_path("http-server"))
            .args(["-q", "0"])
            .current_dir(root.path()),
    );
    assert_eq!(get(&server.addr(), "/here.txt", &[]).text(), "cwd");
}
