//! Check of exercise 08: the JSON handler, spoken to in raw HTTP.

use std::process::ExitCode;

use framework::{RequestHandler, StreamRequest, ThreadingTcpServer};
use serde_json::{Value, json};

use crate::kit::{Checker, Client, Running, StepResult, expect_eq};

/// One parsed response (exercise 15's check reads them too).
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// The value of header `name`, any capitalisation.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` and parses the whole response (the server closes after it).
pub(crate) fn exchange(addr: std::net::SocketAddr, request: &str) -> Result<Reply, String> {
    let mut c = Client::connect(addr, "the HTTP client")?;
    c.send(request)?;
    let raw = c.read_to_end()?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| {
            format!(
                "no end of headers (\\r\\n\\r\\n) in the response {:?}",
                String::from_utf8_lossy(&raw)
            )
        })?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .filter(|_| status_line.starts_with("HTTP/1."))
        .ok_or_else(|| format!("not an HTTP status line: {status_line:?}"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// Checks status, JSON content type, Content-Length, and the JSON document.
fn expect_json(reply: &Reply, status: u16, want: Value) -> StepResult {
    expect_eq("status code", status, reply.status)?;
    let content_type = reply.header("Content-Type").unwrap_or("(none)");
    if !content_type.starts_with("application/json") {
        return Err(format!(
            "Content-Type is {content_type:?}, expected application/json"
        ));
    }
    let length = reply
        .header("Content-Length")
        .ok_or("no Content-Length header")?;
    expect_eq(
        "Content-Length (the body's length in bytes)",
        reply.body.len().to_string(),
        length.to_string(),
    )?;
    let got: Value = serde_json::from_slice(&reply.body).map_err(|e| {
        format!(
            "the body is not valid JSON ({e}): {:?}",
            String::from_utf8_lossy(&reply.body)
        )
    })?;
    expect_eq("the JSON document", want, got)
}

/// Runs the check against handlers made by `factory`.
pub fn run<H, F>(factory: F) -> ExitCode
where
    H: RequestHandler<StreamRequest>,
    F: Fn() -> H + Send + Sync + 'static,
{
    let mut check = Checker::new("08");
    let mut server = ThreadingTcpServer::bind("127.0.0.1:0", factory).expect("bind 127.0.0.1:0");
    server.mixin_mut().daemon_threads = true;
    let server = Running::start(server);
    let addr = server.address;
    let get = |target: &str| {
        format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: check\r\n\r\n")
    };

    check.step(
        "GET /hello?name=Ann -> 200 {\"greeting\":\"hello, Ann\"}",
        || {
            expect_json(
                &exchange(addr, &get("/hello?name=Ann"))?,
                200,
                json!({"greeting": "hello, Ann"}),
            )
        },
    );
    check.step("GET /hello without a name greets the world", || {
        expect_json(
            &exchange(addr, &get("/hello"))?,
            200,
            json!({"greeting": "hello, world"}),
        )
    });
    check.step(
        "the name is percent-decoded, then escaped for JSON (quotes, backslash)",
        || {
            let reply = exchange(addr, &get("/hello?lang=en&name=%22Q%22%20%5C%20x"))?;
            expect_json(&reply, 200, json!({"greeting": "hello, \"Q\" \\ x"}))
        },
    );
    check.step(
        "control characters are escaped too: name=a%0Ab (a newline)",
        || {
            expect_json(
                &exchange(addr, &get("/hello?name=a%0Ab"))?,
                200,
                json!({"greeting": "hello, a\nb"}),
            )
        },
    );
    check.step("Content-Length counts bytes: name=你好 (6 bytes)", || {
        let reply = exchange(addr, &get("/hello?name=%E4%BD%A0%E5%A5%BD"))?;
        expect_json(&reply, 200, json!({"greeting": "hello, 你好"}))
    });
    check.step("an unknown path -> 404 {\"error\":\"not found\"}", || {
        expect_json(
            &exchange(addr, &get("/nope"))?,
            404,
            json!({"error": "not found"}),
        )
    });
    check.step("POST /hello -> 405 with Allow: GET", || {
        let reply = exchange(addr, "POST /hello HTTP/1.1\r\nContent-Length: 0\r\n\r\n")?;
        expect_json(&reply, 405, json!({"error": "method not allowed"}))?;
        expect_eq("the Allow header", Some("GET"), reply.header("Allow"))
    });
    check.step(
        "a request line that is not HTTP -> 400 (this part is given)",
        || {
            expect_json(
                &exchange(addr, "hello\r\n\r\n")?,
                400,
                json!({"error": "bad request"}),
            )
        },
    );
    check.finish()
}
