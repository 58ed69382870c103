//! Exercise 08: an HTTP handler that serves JSON.       (lesson 19)
//!
//! The handler below reads one HTTP request and writes one response (then
//! the server closes the connection, as HTTP/1.0 does). Write `route`, which
//! decides the response, and `json_string`, which quotes a text for JSON:
//!
//! ```text
//! GET /hello?name=Ann     200  {"greeting":"hello, Ann"}
//! GET /hello              200  {"greeting":"hello, world"}
//! GET /hello?name=%22Q%22 200  {"greeting":"hello, \"Q\""}   (percent-decoded, then JSON-escaped)
//! GET /anything-else      404  {"error":"not found"}
//! POST /hello             405  {"error":"method not allowed"}  and the header  Allow: GET
//! ```
//!
//! Every response has `Content-Type: application/json` and a
//! `Content-Length` counting BYTES (not characters: "你好" is 6 bytes).
//!
//! Check it with `cargo exercise 08`; stuck? `cargo hint 08`.

use std::io::{self, BufRead, Write};

use framework::{RequestHandler, StreamRequest};

/// What to send back.
pub struct Response {
    /// Status code, e.g. 200.
    pub status: u16,
    /// Reason phrase, e.g. "OK".
    pub reason: &'static str,
    /// Extra headers, e.g. ("Allow", "GET").
    pub headers: Vec<(&'static str, String)>,
    /// A JSON document.
    pub body: String,
}

impl Response {
    /// A JSON response without extra headers.
    pub fn json(status: u16, reason: &'static str, body: String) -> Response {
        Response {
            status,
            reason,
            headers: Vec::new(),
            body,
        }
    }
}

/// Quotes `text` as a JSON string: `he said "hi"` -> `"he said \"hi\""`.
pub fn json_string(text: &str) -> String {
    // TODO: escape '"', '\\' and control characters (below U+0020) as JSON
    // requires (\" \\ \n \r \t, or \u00XX).
    format!("\"{text}\"")
}

/// Decides the response to `method` and `target` (the path and query).
pub fn route(method: &str, target: &str) -> Response {
    // TODO: /hello and its `name` query parameter (percent-decoded, see
    // percent_encoding::percent_decode_str), 404 for other paths, 405 with
    // the header Allow: GET for other methods.
    let _ = (method, target);
    Response::json(
        501,
        "Not Implemented",
        format!("{{\"error\":{}}}", json_string("not implemented")),
    )
}

/// Reads one request, answers it with `route`.
pub struct JsonHandler;

impl RequestHandler<StreamRequest> for JsonHandler {
    fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        let mut request_line = String::new();
        req.rfile.read_line(&mut request_line)?;
        // The headers end at an empty line; this server does not need them.
        let mut header = String::new();
        while req.rfile.read_line(&mut header)? > 0 && !header.trim_end().is_empty() {
            header.clear();
        }
        let parts: Vec<&str> = request_line.split_whitespace().collect();
        let response = match parts.as_slice() {
            [method, target, version] if version.starts_with("HTTP/") => route(method, target),
            _ => Response::json(400, "Bad Request", "{\"error\":\"bad request\"}".into()),
        };
        let mut head = format!(
            "HTTP/1.0 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            response.status,
            response.reason,
            response.body.len()
        );
        for (name, value) in &response.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        req.wfile.write_all(head.as_bytes())?;
        req.wfile.write_all(response.body.as_bytes())
    }
}
