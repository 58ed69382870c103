//! Exercise 08, a reference solution: an HTTP handler that serves JSON.

use std::io::{self, BufRead, Write};

use framework::{RequestHandler, StreamRequest};
use percent_encoding::percent_decode_str;

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
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Any other control character: its code as \u00XX.
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Decides the response to `method` and `target` (the path and query).
pub fn route(method: &str, target: &str) -> Response {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != "/hello" {
        let body = format!("{{\"error\":{}}}", json_string("not found"));
        return Response::json(404, "Not Found", body);
    }
    if method != "GET" {
        let body = format!("{{\"error\":{}}}", json_string("method not allowed"));
        let mut response = Response::json(405, "Method Not Allowed", body);
        response.headers.push(("Allow", "GET".into()));
        return response;
    }
    // name=... among a=1&b=2 pairs; %XX escapes decoded as UTF-8.
    let name = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("name="))
        .map(|raw| percent_decode_str(raw).decode_utf8_lossy().into_owned())
        .unwrap_or_else(|| "world".into());
    let body = format!(
        "{{\"greeting\":{}}}",
        json_string(&format!("hello, {name}"))
    );
    Response::json(200, "OK", body)
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
