//! Check of exercise 15: httpserver v2, serving a directory made by the check.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use framework::{RequestHandler, StreamRequest, ThreadingTcpServer};

use super::ex08::{Reply, exchange};
use crate::kit::{Checker, Running, StepResult, expect_eq};

/// The page `GET /` must return.
const INDEX: &str = "<h1>It works</h1>\n<p>你好, httpserver 2</p>\n";

/// Makes `<dir>/www` (served) with a few files, and `<dir>/secret.txt` beside it.
fn make_site(dir: &Path) -> std::io::Result<PathBuf> {
    let www = dir.join("www");
    std::fs::create_dir_all(www.join("sub"))?;
    std::fs::write(www.join("index.html"), INDEX)?;
    std::fs::write(www.join("style.css"), "h1 { color: teal }\n")?;
    std::fs::write(www.join("sub/page.txt"), "a page in a subdirectory\n")?;
    std::fs::write(www.join("data.bin"), binary())?;
    std::fs::write(dir.join("secret.txt"), "outside the served directory\n")?;
    Ok(www)
}

/// Every byte value, four times: a file that is not text.
fn binary() -> Vec<u8> {
    (0..1024).map(|i| (i % 256) as u8).collect()
}

/// Checks status, Content-Type, Content-Length and the body.
fn expect_file(reply: &Reply, content_type: &str, body: &[u8]) -> StepResult {
    expect_eq("the status code", 200, reply.status)?;
    expect_eq(
        "Content-Type",
        Some(content_type),
        reply.header("Content-Type"),
    )?;
    expect_eq(
        "Content-Length",
        Some(body.len().to_string()),
        reply.header("Content-Length").map(str::to_string),
    )?;
    if reply.body == body {
        Ok(())
    } else {
        Err(format!(
            "the body is not the file's bytes: expected {} bytes, got {} ({:?}...)",
            body.len(),
            reply.body.len(),
            String::from_utf8_lossy(&reply.body[..reply.body.len().min(60)])
        ))
    }
}

/// GET `path`.
fn get(addr: std::net::SocketAddr, path: &str) -> Result<Reply, String> {
    exchange(
        addr,
        &format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n"),
    )
}

/// Runs the check against handlers made by `make(root)`.
pub fn run<H, M>(make: M) -> ExitCode
where
    H: RequestHandler<StreamRequest>,
    M: Fn(PathBuf) -> H + Send + Sync + 'static,
{
    let mut check = Checker::new("15");
    let dir = std::env::temp_dir().join(format!("exercise15-{}", std::process::id()));
    let www = match make_site(&dir) {
        Ok(www) => www,
        Err(err) => {
            check.step("the check makes a directory to serve", || {
                Err(format!("{}: {err}", dir.display()))
            });
            return check.finish();
        }
    };
    let root = www.clone();
    let mut server = ThreadingTcpServer::bind("127.0.0.1:0", move || make(root.clone()))
        .expect("bind 127.0.0.1:0");
    server.mixin_mut().daemon_threads = true;
    let server = Running::start(server);
    let addr = server.address;

    check.step("GET / is the directory's index.html (text/html)", || {
        expect_file(&get(addr, "/")?, "text/html", INDEX.as_bytes())
    });
    check.step("GET /style.css is that file (text/css)", || {
        expect_file(
            &get(addr, "/style.css")?,
            "text/css",
            b"h1 { color: teal }\n",
        )
    });
    check.step("GET /sub/page.txt, in a subdirectory (text/plain)", || {
        expect_file(
            &get(addr, "/sub/page.txt")?,
            "text/plain",
            b"a page in a subdirectory\n",
        )
    });
    check.step(
        "GET /data.bin arrives byte for byte (application/octet-stream)",
        || {
            expect_file(
                &get(addr, "/data.bin")?,
                "application/octet-stream",
                &binary(),
            )
        },
    );
    check.step("a file that does not exist is 404 Not Found", || {
        let reply = get(addr, "/missing.html")?;
        expect_eq("the status code", 404, reply.status)?;
        if reply.body.is_empty() {
            return Err("a 404 should say so in its body too (a short page)".into());
        }
        Ok(())
    });
    check.step(
        "nothing outside the directory: /../secret.txt is 404",
        || {
            for path in ["/../secret.txt", "/sub/../../secret.txt"] {
                let reply = get(addr, path)?;
                if String::from_utf8_lossy(&reply.body).contains("outside the served") {
                    return Err(format!(
                        "GET {path} sent {}, a file OUTSIDE the served directory",
                        dir.join("secret.txt").display()
                    ));
                }
                expect_eq(&format!("the status code of GET {path}"), 404, reply.status)?;
            }
            Ok(())
        },
    );
    check.step("POST is 405 Method Not Allowed, with Allow: GET", || {
        let reply = exchange(addr, "POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n")?;
        expect_eq("the status code", 405, reply.status)?;
        expect_eq("the Allow header", Some("GET"), reply.header("Allow"))
    });
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    check.finish()
}
