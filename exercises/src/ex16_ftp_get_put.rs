//! Exercise 16: the file server's get and put (文件服务器: 下载, 上传).   (lesson 17)
//!
//! The course's homework (作业: 完成文件服务器 get 和 put 功能). The server
//! below already lists its library (`L`), refuses bad names and quits (`Q`);
//! write download (`G`) and upload (`P`), with the course's protocol
//! (notes/ftp-protocol.md, the same as `ftp-server`):
//!
//! ```text
//! C: G hello.txt\n            S: OK 13\n   then exactly the 13 bytes of the file
//!                             S: no such file\n          (nothing else follows)
//!                             S: not a regular file\n    (a directory, ...)
//! C: P 11 new.txt\n           S: OK\n      go ahead      (or S: file already exists\n, and stop)
//! C: <exactly 11 bytes>       S: OK\n      stored
//! ```
//!
//! An upload must never leave half a file visible: write the bytes into a
//! hidden file (`.new.txt.part`, which `L` never lists) and rename it to its
//! name only when all of them arrived. If the client leaves before that,
//! delete the part file: nothing of the upload remains.
//!
//! Check it with `cargo exercise 16`; stuck? `cargo hint 16`. The check
//! makes a library directory and runs your handler on a ThreadingTcpServer
//! on 127.0.0.1:0.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;

use framework::{RequestHandler, StreamRequest};

/// Serves the files of one directory, `library`.
pub struct FileServer {
    /// The directory whose files are listed, downloaded and uploaded.
    pub library: PathBuf,
}

impl FileServer {
    /// `G name`: sends the file `name` of the library.
    fn get(&self, req: &mut StreamRequest, name: &str) -> io::Result<()> {
        // TODO: open self.library.join(name). Missing: "no such file\n".
        // Not a regular file (metadata().is_file()): "not a regular file\n".
        // Otherwise "OK <size>\n" and then exactly <size> bytes (io::copy).
        let _ = name;
        req.wfile.write_all(b"no such file\n")
    }

    /// `P size name`: receives `size` bytes into the file `name`.
    fn put(&self, req: &mut StreamRequest, size: u64, name: &str) -> io::Result<()> {
        // TODO: if the name exists: "file already exists\n" and stop. Else
        // "OK\n", copy exactly `size` bytes from req.rfile ((&mut req.rfile).take(size))
        // into the hidden file .NAME.part, rename it to NAME, then "OK\n".
        // Fewer than `size` bytes (the client left): remove the part file.
        let _ = (size, name);
        req.wfile.write_all(b"upload failed: not written yet\n")
    }

    /// `L`: the names of the library's regular, visible files, sorted.
    fn list(&self, req: &mut StreamRequest) -> io::Result<()> {
        let mut names: Vec<String> = std::fs::read_dir(&self.library)?
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|name| !name.starts_with('.'))
            .collect();
        names.sort();
        let body: String = names.iter().map(|name| format!("{name}\n")).collect();
        write!(req.wfile, "OK {}\n{body}", body.len())
    }
}

/// A name refused before any file is touched: no path, nothing hidden.
fn bad_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("bad name: a name cannot be empty")
    } else if name.contains(['/', '\\']) {
        Some("bad name: a name cannot contain / or \\")
    } else if name.starts_with('.') {
        Some("bad name: a name cannot start with a dot")
    } else {
        None
    }
}

impl RequestHandler<StreamRequest> for FileServer {
    fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        let mut line = String::new();
        while req.rfile.read_line(&mut line)? > 0 {
            let request = line.trim_end_matches(['\r', '\n']).to_string();
            line.clear();
            let (command, rest) = request.split_once(' ').unwrap_or((&request, ""));
            match command {
                "L" => self.list(req)?,
                "Q" => return Ok(()),
                "G" => match bad_name(rest) {
                    Some(why) => writeln!(req.wfile, "{why}")?,
                    None => self.get(req, rest)?,
                },
                "P" => {
                    let (size, name) = rest.split_once(' ').unwrap_or((rest, ""));
                    match (size.parse::<u64>(), bad_name(name)) {
                        (Err(_), _) => writeln!(req.wfile, "bad size {size:?}")?,
                        (_, Some(why)) => writeln!(req.wfile, "{why}")?,
                        (Ok(size), None) => self.put(req, size, name)?,
                    }
                }
                other => writeln!(req.wfile, "unknown request {other:?}")?,
            }
        }
        Ok(())
    }
}
