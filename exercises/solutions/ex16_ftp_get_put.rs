//! Exercise 16, a reference solution: download and upload, an upload
//! visible only once whole.

use std::fs::{self, File};
use std::io::{self, BufRead, Read, Write};
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
        let mut file = match File::open(self.library.join(name)) {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                return req.wfile.write_all(b"no such file\n");
            }
            Err(_) => return req.wfile.write_all(b"cannot open the file\n"),
        };
        // The size of the file opened, not of the name: what is sent is this file.
        let metadata = file.metadata()?;
        if !metadata.is_file() {
            return req.wfile.write_all(b"not a regular file\n");
        }
        writeln!(req.wfile, "OK {}", metadata.len())?;
        // take(): never more than announced, even if the file grew meanwhile.
        let sent = io::copy(&mut (&mut file).take(metadata.len()), &mut req.wfile)?;
        if sent < metadata.len() {
            // The file shrank: the client must see a short body, so close.
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file shrank"));
        }
        Ok(())
    }

    /// `P size name`: receives `size` bytes into the file `name`.
    fn put(&self, req: &mut StreamRequest, size: u64, name: &str) -> io::Result<()> {
        let target = self.library.join(name);
        if fs::symlink_metadata(&target).is_ok() {
            return req.wfile.write_all(b"file already exists\n");
        }
        // Hidden while incomplete: L lists no name that starts with a dot.
        let part = self.library.join(format!(".{name}.part"));
        let mut file = match File::create(&part) {
            Ok(file) => file,
            Err(err) => return writeln!(req.wfile, "upload failed: {}", err.kind()),
        };
        req.wfile.write_all(b"OK\n")?;
        let received = io::copy(&mut (&mut req.rfile).take(size), &mut file);
        if !matches!(received, Ok(n) if n == size) {
            // The client left (or a write failed): nothing of it remains.
            drop(file);
            let _ = fs::remove_file(&part);
            return match received {
                Ok(_) => Ok(()),
                Err(err) => writeln!(req.wfile, "upload failed: {}", err.kind()),
            };
        }
        drop(file);
        // Another client may have stored the name meanwhile: keep theirs.
        if fs::symlink_metadata(&target).is_ok() {
            let _ = fs::remove_file(&part);
            return req.wfile.write_all(b"file already exists\n");
        }
        fs::rename(&part, &target)?;
        req.wfile.write_all(b"OK\n")
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
