//! Exercise 15, a reference solution: httpserver, second version, serving
//! the files of a directory and nothing outside it.

use std::io::{self, BufRead, Write};
use std::path::{Component, Path, PathBuf};

use framework::{RequestHandler, StreamRequest};
/// What to send back.
pub struct Response {
    /// Status code and reason phrase, e.g. `200 OK`.
    pub status: &'static str,
    /// The Content-Type header.
    pub content_type: &'static str,
    /// Extra headers, e.g. ("Allow", "GET").
    pub headers: Vec<(&'static str, String)>,
    /// The body, as bytes: a file may be anything.
    pub body: Vec<u8>,
}

/// Serves the files under `root`.
pub struct StaticFiles {
    /// The directory served; nothing outside it may be sent.
    pub root: PathBuf,
}

impl StaticFiles {
    /// Decides the response to `method` `path` (the path as sent, e.g. "/sub/page.txt").
    pub fn route(&self, method: &str, path: &str) -> Response {
        if method != "GET" {
            return Response {
                status: "405 Method Not Allowed",
                content_type: "text/html",
                headers: vec![("Allow", "GET".to_string())],
                body: b"<h1>405 Method Not Allowed</h1>\n".to_vec(),
            };
        }
        let relative = path.trim_start_matches('/');
        let relative = if relative.is_empty() {
            "index.html"
        } else {
            relative
        };
        // Only plain names: "..", a root or a prefix could leave the directory.
        let inside = Path::new(relative)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        let file = self.root.join(relative);
        match std::fs::read(&file) {
            Ok(body) if inside => Response {
                status: "200 OK",
                content_type: content_type(&file),
                headers: Vec::new(),
                body,
            },
            // Missing, a directory, unreadable or outside: all "not found",
            // so a client learns nothing about what lies outside.
            _ => Response {
                status: "404 Not Found",
                content_type: "text/html",
                headers: Vec::new(),
                body: b"<h1>404 Not Found</h1>\n".to_vec(),
            },
        }
    }
}

/// The Content-Type for a file, by its extension.
fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html" | "htm") => "text/html",
        Some("css") => "text/css",
        Some("txt") => "text/plain",
        Some("js") => "text/javascript",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

impl RequestHandler<StreamRequest> for StaticFiles {
    fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        let mut request_line = String::new();
        req.rfile.read_line(&mut request_line)?;
        // The headers, up to the empty line; this server needs none of them.
        let mut header = String::new();
        while req.rfile.read_line(&mut header)? > 0 && header.trim_end() != "" {
            header.clear();
        }
        let mut words = request_line.split_whitespace();
        let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or("/"));
        // A query string ("?a=b") names no file.
        let path = target.split('?').next().unwrap_or("/");
        let response = self.route(method, path);
        write!(
            req.wfile,
            "HTTP/1.0 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
            response.status,
            response.content_type,
            response.body.len()
        )?;
        for (name, value) in &response.headers {
            write!(req.wfile, "{name}: {value}\r\n")?;
        }
        req.wfile.write_all(b"\r\n")?;
        req.wfile.write_all(&response.body)
    }
}
