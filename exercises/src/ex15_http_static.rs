//! Exercise 15: httpserver, second version: files from a directory.   (lesson 19)
//!
//! The course's homework (作业: httpserver第二版). The first version answered
//! every request with the same page. This one serves the files of a
//! directory (`self.root`), like `python3 -m http.server`:
//!
//! ```text
//! GET /                 200  the file index.html of the directory   Content-Type: text/html
//! GET /style.css        200  the file's bytes                       Content-Type: text/css
//! GET /sub/page.txt     200  a file in a subdirectory               Content-Type: text/plain
//! GET /missing.html     404  a short page saying so
//! GET /../secret.txt    404  NEVER a file outside the directory
//! POST / (or any other) 405  and the header  Allow: GET
//! ```
//!
//! Every response has a `Content-Length` (the body's size in bytes) and a
//! `Content-Type`; other files are `application/octet-stream`. The handler
//! reads the request and writes the response; the server closes the
//! connection after it (HTTP/1.0).
//!
//! Check it with `cargo exercise 15`; stuck? `cargo hint 15`. The check
//! makes a directory with a few files and runs your handler on a
//! ThreadingTcpServer on 127.0.0.1:0.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;

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
        // TODO: this is the first version: the same page for every request.
        // Serve the file under self.root named by `path` (index.html for
        // "/"), 404 when there is none or the path leaves the directory
        // (a ".." component), 405 with `Allow: GET` for other methods.
        let _ = (method, path, &self.root);
        Response {
            status: "200 OK",
            content_type: "text/html",
            headers: Vec::new(),
            body: b"<h1>Welcome to httpserver 1.0</h1>\n".to_vec(),
        }
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
