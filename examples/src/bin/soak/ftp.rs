//! ftp-server's load (the course's protocol: `L`, `G name`, `P size name`,
//! `Q`; see `notes/ftp-protocol.md`).
//!
//! Well-formed sessions, every answer checked: a listing (the served files
//! there, no broken upload ever visible); a download checked by checksum;
//! an upload then the same file downloaded back; several requests on one
//! connection, a missing file refused among them; refused uploads (a name
//! taken, a bad name) with the connection still usable after; a download
//! on a half-closed socket. Faults: a client gone mid-command, gone
//! mid-download (FIN or reset), a slow reader of 4 MiB, a line over the
//! 1,024-byte limit (the refusal is checked), an upload broken off after
//! 30,000 of its 100,000 bytes, which must never become visible.

use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::time::Duration;

use crate::content::{self, Served, bytes, checksum};
use crate::load::{self, Outcome, Target};
use crate::net::{self, connect, context, read_line, reset};

/// ftp-server and the files it serves.
pub struct Ftp {
    files: Vec<Served>,
}

impl Ftp {
    /// The target, with its files made (not yet written).
    pub fn new() -> Ftp {
        Ftp {
            files: content::served(),
        }
    }
}

impl Target for Ftp {
    fn name(&self) -> &'static str {
        "ftp"
    }

    fn program(&self) -> &'static str {
        "ftp-server"
    }

    fn models(&self) -> &'static [&'static str] {
        &["threading", "sequential", "forking", "pool"]
    }

    fn prepare(&self, dir: &Path) -> std::io::Result<()> {
        content::write(dir, &self.files)
    }

    fn server_args(&self, dir: &Path) -> Vec<String> {
        vec!["--directory".into(), dir.display().to_string()]
    }

    fn exchange(&self, port: u16, dir: &Path, n: u64) -> Outcome {
        let v = n / 10;
        let file = &self.files[[0, 1, 0, 2][(v % 4) as usize]];
        match n % 10 {
            0 => load::checked(self.list(port)),
            1 => load::checked(get_checked(port, file)),
            2 => load::checked(put_and_back(port, dir, n)),
            3 => load::checked(self.several(port)),
            4 => load::checked(refused_uploads(port)),
            5 => load::checked(half_closed_get(port, &self.files[1])),
            6 => load::fault(gone_mid_command(port, v)),
            7 => load::fault(gone_mid_download(port, v)),
            8 => load::fault(slow_reader(port)),
            _ if v % 2 == 0 => load::fault(oversized_line(port)),
            _ => load::fault(broken_upload(port, n, v)),
        }
    }

    fn check_after(&self, dir: &Path) -> Result<(), String> {
        content::no_partial_uploads(dir)
    }
}

/// A reply line: `OK`, `OK size`, or a reason.
#[derive(Debug, PartialEq)]
enum Reply {
    Ok(Option<u64>),
    Refused(String),
}

/// One client connection.
struct Session {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Session {
    fn open(port: u16) -> Result<Session, String> {
        let stream = connect(port).map_err(context("connect"))?;
        let reader = BufReader::new(stream.try_clone().map_err(context("clone"))?);
        Ok(Session { stream, reader })
    }

    fn send(&mut self, line: &str) -> Result<(), String> {
        self.stream
            .write_all(line.as_bytes())
            .map_err(context(format!("send {:?}", line.trim_end())))
    }

    fn reply(&mut self, what: &str) -> Result<Reply, String> {
        let line = read_line(&mut self.reader, 2048).map_err(context(format!("{what}: reply")))?;
        if line == "OK" {
            return Ok(Reply::Ok(None));
        }
        match line.strip_prefix("OK ") {
            Some(size) => size
                .parse()
                .map(|size| Reply::Ok(Some(size)))
                .map_err(|_| format!("{what}: a bad reply {line:?}")),
            None => Ok(Reply::Refused(line)),
        }
    }

    /// A request whose reply is `OK size` and a body.
    fn fetch(&mut self, request: &str) -> Result<Vec<u8>, String> {
        self.send(request)?;
        let what = request.trim_end();
        match self.reply(what)? {
            Reply::Ok(Some(size)) => {
                let mut body = vec![0; size as usize];
                self.reader
                    .read_exact(&mut body)
                    .map_err(context(format!("{what}: body")))?;
                Ok(body)
            }
            other => Err(format!("{what}: {other:?}")),
        }
    }

    fn list(&mut self) -> Result<Vec<String>, String> {
        let body = self.fetch("L\n")?;
        let text = String::from_utf8(body).map_err(|_| "L: not UTF-8".to_string())?;
        Ok(text.lines().map(str::to_string).collect())
    }

    fn get(&mut self, file: &Served) -> Result<(), String> {
        let body = self.fetch(&format!("G {}\n", file.name))?;
        if body.len() == file.data.len() && checksum(&body) == file.sum {
            Ok(())
        } else {
            Err(format!(
                "G {}: {} bytes, wrong checksum",
                file.name,
                body.len()
            ))
        }
    }

    fn put(&mut self, name: &str, data: &[u8]) -> Result<(), String> {
        let what = format!("P {} {name}", data.len());
        self.send(&format!("{what}\n"))?;
        expect(self.reply(&what)?, Reply::Ok(None), &what)?;
        self.stream
            .write_all(data)
            .map_err(context(format!("{what}: bytes")))?;
        expect(self.reply(&what)?, Reply::Ok(None), &what)
    }

    fn quit(mut self) -> Result<(), String> {
        self.send("Q\n")?;
        // The server closes the connection: nothing more comes.
        let mut rest = Vec::new();
        self.reader
            .read_to_end(&mut rest)
            .map_err(context("Q: the end"))?;
        if rest.is_empty() {
            Ok(())
        } else {
            Err(format!("Q: {} unexpected bytes", rest.len()))
        }
    }
}

fn expect(got: Reply, wanted: Reply, what: &str) -> Result<(), String> {
    if got == wanted {
        Ok(())
    } else {
        Err(format!("{what}: {got:?} instead of {wanted:?}"))
    }
}

fn refused_with(got: Reply, start: &str, what: &str) -> Result<(), String> {
    match got {
        Reply::Refused(reason) if reason.starts_with(start) => Ok(()),
        other => Err(format!("{what}: {other:?} instead of a refusal {start:?}")),
    }
}

impl Ftp {
    /// `L`: the served files are there; no broken upload ever is.
    fn list(&self, port: u16) -> Result<(), String> {
        let mut session = Session::open(port)?;
        let names = session.list()?;
        check_listing(&names, &self.files)?;
        session.quit()
    }

    /// `L`, two `G`s, a missing file, `Q`, on one connection.
    fn several(&self, port: u16) -> Result<(), String> {
        let mut session = Session::open(port)?;
        check_listing(&session.list()?, &self.files)?;
        session.get(&self.files[0])?;
        session.get(&self.files[1])?;
        session.send("G no-such-file\n")?;
        let reply = session.reply("G no-such-file")?;
        refused_with(reply, "no such file", "G no-such-file")?;
        session.quit()
    }
}

fn check_listing(names: &[String], files: &[Served]) -> Result<(), String> {
    if let Some(missing) = files.iter().find(|f| !names.iter().any(|n| n == f.name)) {
        return Err(format!("L: {} is missing", missing.name));
    }
    match names.iter().find(|n| n.starts_with("broken-")) {
        Some(broken) => Err(format!("L: a broken upload is visible: {broken}")),
        None => Ok(()),
    }
}

fn get_checked(port: u16, file: &Served) -> Result<(), String> {
    let mut session = Session::open(port)?;
    session.get(file)?;
    session.quit()
}

/// `P` a new file, `G` it back, checked; the soak then removes it from the
/// directory (the protocol has no delete), so the directory stays small.
fn put_and_back(port: u16, dir: &Path, n: u64) -> Result<(), String> {
    let name = format!("put-{n}");
    let data = bytes(n, 1000 + (n as usize * 7919) % (256 << 10));
    let mut session = Session::open(port)?;
    session.put(&name, &data)?;
    let back = session.fetch(&format!("G {name}\n"))?;
    if checksum(&back) != checksum(&data) || back.len() != data.len() {
        return Err(format!("G {name}: not what was put"));
    }
    session.quit()?;
    std::fs::remove_file(dir.join(&name)).map_err(context(format!("remove {name}")))
}

/// Uploads refused before any byte moves, then the connection still works.
fn refused_uploads(port: u16) -> Result<(), String> {
    let mut session = Session::open(port)?;
    session.send("P 5 small.txt\n")?;
    let reply = session.reply("P small.txt")?;
    refused_with(reply, "file already exists", "P small.txt")?;
    session.send("P 5 ../escape\n")?;
    let reply = session.reply("P ../escape")?;
    refused_with(reply, "bad name", "P ../escape")?;
    session.send("P -5 x\n")?;
    let reply = session.reply("P -5 x")?;
    refused_with(reply, "bad size", "P -5 x")?;
    session.list()?;
    session.quit()
}

/// `G` sent, then the client shuts its sending side: the file still comes
/// whole, then the end of the connection.
fn half_closed_get(port: u16, file: &Served) -> Result<(), String> {
    let mut session = Session::open(port)?;
    session.send(&format!("G {}\n", file.name))?;
    session
        .stream
        .shutdown(Shutdown::Write)
        .map_err(context("shutdown"))?;
    let what = format!("G {} (half-closed)", file.name);
    let Reply::Ok(Some(size)) = session.reply(&what)? else {
        return Err(format!("{what}: no size"));
    };
    let mut rest = Vec::new();
    session
        .reader
        .read_to_end(&mut rest)
        .map_err(context(&what))?;
    if size as usize == file.data.len() && checksum(&rest) == file.sum {
        Ok(())
    } else {
        Err(format!("{what}: {} bytes, wrong checksum", rest.len()))
    }
}

/// Half a request, then gone (a FIN, or a reset).
fn gone_mid_command(port: u16, v: u64) -> Result<Option<String>, std::io::Error> {
    let mut stream = connect(port)?;
    stream.write_all([b"G sma".as_slice(), b"P 100 na"][(v % 2) as usize])?;
    if v % 4 >= 2 {
        reset(stream);
    }
    Ok(None)
}

/// 64 KiB of a 4 MiB download, then gone (a FIN, or a reset).
fn gone_mid_download(port: u16, v: u64) -> Result<Option<String>, std::io::Error> {
    let mut stream = connect(port)?;
    stream.write_all(b"G big.bin\n")?;
    let mut some = vec![0; 64 << 10];
    stream.read_exact(&mut some)?;
    if v % 2 == 1 {
        reset(stream);
    }
    Ok(None)
}

/// 4 KiB every 10 ms of a 4 MiB download for 300 ms, then gone.
fn slow_reader(port: u16) -> Result<Option<String>, std::io::Error> {
    let mut stream = connect(port)?;
    stream.write_all(b"G big.bin\n")?;
    let pause = Duration::from_millis(10);
    net::read_slowly(&mut stream, 4096, pause, Duration::from_millis(300));
    Ok(None)
}

/// 5,000 bytes without a newline: the refusal says why, then the server
/// hangs up (it cannot tell where the next request would start).
fn oversized_line(port: u16) -> Result<Option<String>, std::io::Error> {
    let mut stream = connect(port)?;
    stream.write_all(&[b'L'; 5000])?;
    let mut reader = BufReader::new(stream);
    let line = read_line(&mut reader, 2048)?;
    Ok((!line.starts_with("bad request: line longer than"))
        .then(|| format!("an oversized line: the reply {line:?}")))
}

/// `P 100000 broken-N`, 30,000 bytes, then gone: the name must never
/// appear (listings are checked during the run, the directory after it).
fn broken_upload(port: u16, n: u64, v: u64) -> Result<Option<String>, std::io::Error> {
    let mut stream = connect(port)?;
    stream.write_all(format!("P 100000 broken-{n}\n").as_bytes())?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let line = read_line(&mut reader, 2048)?;
    if line != "OK" {
        return Ok(Some(format!("P broken-{n}: {line:?} instead of OK")));
    }
    stream.write_all(&bytes(n, 30_000))?;
    drop(reader);
    if v % 4 == 3 {
        reset(stream);
    }
    Ok(None)
}
