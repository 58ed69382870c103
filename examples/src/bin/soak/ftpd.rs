//! ftpd's load (RFC 959, anonymous, `--writable`).
//!
//! Well-formed sessions, every reply code and byte checked: login, `PASV`,
//! `LIST` (the served files there, no broken upload ever visible); `EPSV`,
//! `RETR` checked by checksum (now and then `ABOR`ted halfway); `STOR`
//! then `RETR` back then `DELE`; `REST` + `RETR` (a resumed download);
//! `STOR` of a first part then `REST` + `STOR` of the rest (a resumed
//! upload) then `RETR` of the whole; a whole session pipelined in one
//! write on a half-closed socket. Faults: a client gone mid-command, gone
//! mid-download (FIN or reset), a slow reader of 4 MiB, a line over the
//! 1,024-byte limit (the `500` checked), a broken `STOR`: the data
//! connection reset (the `426` checked), or the control connection closed
//! or reset before the data connection's end; nothing of it may appear.

use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::time::Duration;

use crate::content::{self, Served, bytes, checksum};
use crate::load::{self, Outcome, Target};
use crate::net::{self, connect, context, read_line, reset};

/// The passive ports the soaked server uses (see `server_args`).
const PASSIVE_PORTS: &str = "21000-22999";

/// ftpd and the files it serves.
pub struct Ftpd {
    files: Vec<Served>,
}

impl Ftpd {
    /// The target, with its files made (not yet written).
    pub fn new() -> Ftpd {
        Ftpd {
            files: content::served(),
        }
    }
}

impl Target for Ftpd {
    fn name(&self) -> &'static str {
        "ftpd"
    }

    fn program(&self) -> &'static str {
        "ftpd"
    }

    fn models(&self) -> &'static [&'static str] {
        // The first is the default (`ftpd` serves on the event loop).
        &["poll", "threading", "sequential", "forking", "pool"]
    }

    fn prepare(&self, dir: &Path) -> std::io::Result<()> {
        content::write(dir, &self.files)
    }

    fn server_args(&self, dir: &Path) -> Vec<String> {
        vec![
            "--writable".into(),
            // Hundreds of transfers a second, each of whose passive ports
            // then sits in TIME_WAIT for a minute on the server's side:
            // bound by port 0, they would use up the host's ephemeral
            // ports (32768-60999, shared with every other program) within
            // a minute, and `PASV` would answer 425. A range below them
            // is bound again with SO_REUSEADDR even in TIME_WAIT.
            "--passive-ports".into(),
            PASSIVE_PORTS.into(),
            "--directory".into(),
            dir.display().to_string(),
        ]
    }

    fn exchange(&self, port: u16, _dir: &Path, n: u64) -> Outcome {
        let v = n / 10;
        let file = &self.files[[0, 1, 0, 2][(v % 4) as usize]];
        match n % 10 {
            0 => load::checked(self.list(port)),
            1 if v % 8 == 7 => load::checked(aborted_retr(port)),
            1 => load::checked(retr_checked(port, file, v % 2 == 0)),
            2 => load::checked(stor_and_back(port, n)),
            3 => load::checked(resumed_retr(port, &self.files[1 + (v % 2) as usize], n)),
            4 => load::checked(resumed_stor(port, n)),
            5 => load::checked(pipelined_half_closed(port, &self.files[1])),
            6 => load::fault(gone_mid_command(port, v)),
            7 => load::fault(gone_mid_download(port, v)),
            8 => load::fault(slow_reader(port)),
            _ if v % 2 == 0 => load::fault(oversized_line(port)),
            _ => load::fault(broken_stor(port, n, v / 2)),
        }
    }

    fn check_after(&self, dir: &Path) -> Result<(), String> {
        content::no_partial_uploads(dir)
    }
}

/// A control connection.
struct Control {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Control {
    /// Connects and reads the `220` greeting.
    fn open(port: u16) -> Result<Control, String> {
        let stream = connect(port).map_err(context("connect"))?;
        let reader = BufReader::new(stream.try_clone().map_err(context("clone"))?);
        let mut control = Control { stream, reader };
        control.expect_reply("the greeting", 220)?;
        Ok(control)
    }

    /// Connects and logs in as anonymous, binary type.
    fn login(port: u16) -> Result<Control, String> {
        let mut control = Control::open(port)?;
        control.command("USER anonymous", 331)?;
        control.command("PASS soak@example.org", 230)?;
        control.command("TYPE I", 200)?;
        Ok(control)
    }

    /// One reply (a multi-line one read to its last line): code and text.
    fn reply(&mut self, what: &str) -> Result<(u16, String), String> {
        let first = read_line(&mut self.reader, 2048).map_err(context(format!("{what}: reply")))?;
        let code = first
            .get(..3)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| format!("{what}: a bad reply {first:?}"))?;
        if first.as_bytes().get(3) == Some(&b'-') {
            let end = format!("{code} ");
            loop {
                let line = read_line(&mut self.reader, 2048).map_err(context(what))?;
                if line.starts_with(&end) {
                    break;
                }
            }
        }
        Ok((code, first))
    }

    fn expect_reply(&mut self, what: &str, code: u16) -> Result<String, String> {
        match self.reply(what)? {
            (got, text) if got == code => Ok(text),
            (_, text) => Err(format!("{what}: {text:?} instead of {code}")),
        }
    }

    /// Sends `line` and expects a reply with `code`; returns its text.
    fn command(&mut self, line: &str, code: u16) -> Result<String, String> {
        self.send(line)?;
        self.expect_reply(line, code)
    }

    fn send(&mut self, line: &str) -> Result<(), String> {
        self.stream
            .write_all(format!("{line}\r\n").as_bytes())
            .map_err(context(format!("send {line}")))
    }

    /// `EPSV` (or `PASV`), then the data connection to the port it named.
    fn passive(&mut self, epsv: bool) -> Result<TcpStream, String> {
        let port = if epsv {
            let text = self.command("EPSV", 229)?;
            text.split("|||")
                .nth(1)
                .and_then(|p| p.split('|').next())
                .and_then(|p| p.parse().ok())
        } else {
            let text = self.command("PASV", 227)?;
            let inside = text.split('(').nth(1).and_then(|t| t.split(')').next());
            let numbers: Vec<u16> = inside
                .map(|t| t.split(',').filter_map(|n| n.parse().ok()).collect())
                .unwrap_or_default();
            (numbers.len() == 6).then(|| numbers[4] * 256 + numbers[5])
        };
        let port = port.ok_or("no port in the passive reply")?;
        connect(port).map_err(context("the data connection"))
    }

    /// A transfer's data read to its end, then the `226`.
    fn download(&mut self, command: &str, epsv: bool) -> Result<Vec<u8>, String> {
        let mut data = self.passive(epsv)?;
        self.command(command, 150)?;
        let mut bytes = Vec::new();
        data.read_to_end(&mut bytes)
            .map_err(context(format!("{command}: data")))?;
        self.expect_reply(command, 226)?;
        Ok(bytes)
    }

    /// `STOR`: the bytes over a data connection, closed to end the file.
    fn upload(&mut self, command: &str, bytes: &[u8]) -> Result<(), String> {
        let mut data = self.passive(true)?;
        self.command(command, 150)?;
        data.write_all(bytes)
            .map_err(context(format!("{command}: data")))?;
        drop(data);
        self.expect_reply(command, 226).map(drop)
    }

    /// Gone with a reset, as a crashed client.
    fn reset(self) {
        drop(self.reader);
        reset(self.stream);
    }

    fn quit(mut self) -> Result<(), String> {
        self.command("QUIT", 221)?;
        let mut rest = Vec::new();
        let _ = self.reader.read_to_end(&mut rest);
        Ok(())
    }
}

impl Ftpd {
    /// `PASV`, `LIST`: every served file listed, no broken upload.
    fn list(&self, port: u16) -> Result<(), String> {
        let mut control = Control::login(port)?;
        let listing = control.download("LIST", false)?;
        let text = String::from_utf8_lossy(&listing);
        for file in &self.files {
            if !text
                .lines()
                .any(|l| l.ends_with(&format!(" {}", file.name)))
            {
                return Err(format!("LIST: {} is missing", file.name));
            }
        }
        if let Some(line) = text.lines().find(|l| l.contains(" broken-")) {
            return Err(format!("LIST: a broken upload is visible: {line:?}"));
        }
        control.quit()
    }
}

fn same(what: &str, got: &[u8], wanted: &[u8]) -> Result<(), String> {
    if got.len() == wanted.len() && checksum(got) == checksum(wanted) {
        Ok(())
    } else {
        Err(format!("{what}: {} bytes, wrong checksum", got.len()))
    }
}

fn retr_checked(port: u16, file: &Served, epsv: bool) -> Result<(), String> {
    let mut control = Control::login(port)?;
    let command = format!("RETR {}", file.name);
    let got = control.download(&command, epsv)?;
    same(&command, &got, &file.data)?;
    control.quit()
}

/// `RETR big.bin`, 64 KiB read, `ABOR`, the data connection closed: `426`
/// then `226` for the `ABOR`; or, when the server saw the data connection
/// end before the `ABOR` (or had sent the whole file), the transfer's `426`
/// (or `226`) and then `225` or `226` for an `ABOR` with nothing to abort.
/// Then the session goes on.
fn aborted_retr(port: u16) -> Result<(), String> {
    let mut control = Control::login(port)?;
    let mut data = control.passive(true)?;
    control.command("RETR big.bin", 150)?;
    let mut some = vec![0; 64 << 10];
    data.read_exact(&mut some).map_err(context("RETR: data"))?;
    control.send("ABOR")?;
    drop(data);
    let first = control.reply("ABOR")?.0;
    let second = control.reply("ABOR")?.0;
    if !matches!((first, second), (426 | 226, 225 | 226)) {
        return Err(format!("ABOR: replies {first} and {second}"));
    }
    control.command("NOOP", 200)?;
    control.quit()
}

/// `STOR` a new file, `RETR` it back, `DELE` it.
fn stor_and_back(port: u16, n: u64) -> Result<(), String> {
    let name = format!("stor-{n}");
    let data = bytes(n, 1000 + (n as usize * 7919) % (256 << 10));
    let mut control = Control::login(port)?;
    control.upload(&format!("STOR {name}"), &data)?;
    let back = control.download(&format!("RETR {name}"), true)?;
    same(&format!("RETR {name}"), &back, &data)?;
    control.command(&format!("DELE {name}"), 250)?;
    control.quit()
}

/// `REST k`, `RETR`: the file from byte `k` on.
fn resumed_retr(port: u16, file: &Served, n: u64) -> Result<(), String> {
    let from = (n as usize * 7919) % file.data.len();
    let mut control = Control::login(port)?;
    control.command(&format!("REST {from}"), 350)?;
    let command = format!("RETR {} (from {from})", file.name);
    let mut data = control.passive(true)?;
    control.command(&format!("RETR {}", file.name), 150)?;
    let mut got = Vec::new();
    data.read_to_end(&mut got).map_err(context(&command))?;
    control.expect_reply(&command, 226)?;
    same(&command, &got, &file.data[from..])?;
    control.quit()
}

/// `STOR` the first part, `REST k` + `STOR` the rest, `RETR` the whole.
fn resumed_stor(port: u16, n: u64) -> Result<(), String> {
    let name = format!("rest-{n}");
    let data = bytes(n, 20_000 + (n as usize * 7919) % (128 << 10));
    let cut = data.len() / 3;
    let mut control = Control::login(port)?;
    control.upload(&format!("STOR {name}"), &data[..cut])?;
    control.command(&format!("REST {cut}"), 350)?;
    control.upload(&format!("STOR {name}"), &data[cut..])?;
    let back = control.download(&format!("RETR {name}"), true)?;
    same(&format!("RETR {name} (resumed)"), &back, &data)?;
    control.command(&format!("DELE {name}"), 250)?;
    control.quit()
}

/// A whole session in one write, then the client's sending side shut:
/// every reply still comes, in order, then the end of the connection.
fn pipelined_half_closed(port: u16, file: &Served) -> Result<(), String> {
    let mut stream = connect(port).map_err(context("connect"))?;
    let session = format!(
        "USER anonymous\r\nPASS soak@\r\nTYPE I\r\nSIZE {}\r\nNOOP\r\nQUIT\r\n",
        file.name
    );
    stream
        .write_all(session.as_bytes())
        .map_err(context("send the session"))?;
    stream
        .shutdown(Shutdown::Write)
        .map_err(context("shutdown"))?;
    let mut all = String::new();
    stream
        .read_to_string(&mut all)
        .map_err(context("the pipelined replies"))?;
    let codes: Vec<&str> = all.lines().map(|l| l.get(..3).unwrap_or(l)).collect();
    let size = format!("213 {}", file.data.len());
    let size_ok = all.lines().any(|l| l == size);
    if codes == ["220", "331", "230", "200", "213", "200", "221"] && size_ok {
        Ok(())
    } else {
        Err(format!("a pipelined session: the replies {all:?}"))
    }
}

/// Half a command, then gone (before or after login; a FIN or a reset).
fn gone_mid_command(port: u16, v: u64) -> Result<Option<String>, std::io::Error> {
    let control = match v % 2 {
        0 => Control::open(port),
        _ => Control::login(port),
    };
    let mut control = control.map_err(std::io::Error::other)?;
    control.stream.write_all(b"RETR big.b")?;
    if v % 4 >= 2 {
        control.reset();
    }
    Ok(None)
}

/// 64 KiB of a 4 MiB `RETR`, then gone (a FIN, or a reset on both).
fn gone_mid_download(port: u16, v: u64) -> Result<Option<String>, std::io::Error> {
    let mut control = Control::login(port).map_err(std::io::Error::other)?;
    let mut data = control.passive(true).map_err(std::io::Error::other)?;
    control
        .command("RETR big.bin", 150)
        .map_err(std::io::Error::other)?;
    let mut some = vec![0; 64 << 10];
    data.read_exact(&mut some)?;
    if v % 2 == 1 {
        reset(data);
        control.reset();
    }
    Ok(None)
}

/// 4 KiB every 10 ms of a 4 MiB `RETR` for 300 ms, then gone.
fn slow_reader(port: u16) -> Result<Option<String>, std::io::Error> {
    let mut control = Control::login(port).map_err(std::io::Error::other)?;
    let mut data = control.passive(false).map_err(std::io::Error::other)?;
    control
        .command("RETR big.bin", 150)
        .map_err(std::io::Error::other)?;
    let pause = Duration::from_millis(10);
    net::read_slowly(&mut data, 4096, pause, Duration::from_millis(300));
    Ok(None)
}

/// 2,000 bytes without a line end: `500`, then the server hangs up.
fn oversized_line(port: u16) -> Result<Option<String>, std::io::Error> {
    let mut control = Control::open(port).map_err(std::io::Error::other)?;
    control.stream.write_all(&[b'A'; 2000])?;
    let (code, text) = control
        .reply("a long line")
        .map_err(std::io::Error::other)?;
    Ok((code != 500).then(|| format!("an oversized line: the reply {text:?}")))
}

/// `STOR broken-N`, 100,000 bytes, then broken three ways: the data
/// connection reset (the reply must be `426`), or the control connection
/// closed (FIN) or reset before the data connection ends. Never stored.
fn broken_stor(port: u16, n: u64, way: u64) -> Result<Option<String>, std::io::Error> {
    let mut control = Control::login(port).map_err(std::io::Error::other)?;
    let mut data = control.passive(true).map_err(std::io::Error::other)?;
    let command = format!("STOR broken-{n}");
    control
        .command(&command, 150)
        .map_err(std::io::Error::other)?;
    data.write_all(&bytes(n, 100_000))?;
    match way % 3 {
        0 => {
            reset(data);
            let (code, text) = control.reply(&command).map_err(std::io::Error::other)?;
            return Ok((code != 426).then(|| format!("{command}, data reset: {text:?}")));
        }
        1 => drop(control),
        _ => control.reset(),
    }
    // The control connection's end reaches the server before the data's.
    std::thread::sleep(Duration::from_millis(20));
    drop(data);
    Ok(None)
}
