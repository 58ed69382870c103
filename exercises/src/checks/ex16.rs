//! Check of exercise 16: download and upload on a library made by the check.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use framework::{RequestHandler, StreamRequest, ThreadingTcpServer};

use crate::kit::{Checker, Client, Running, StepResult, expect_eq, wait_until};

/// A file that is not text, and large enough to take many writes: 1 MiB.
fn big() -> Vec<u8> {
    (0..1 << 20)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect()
}

/// Makes the library: two files and a directory.
fn make_library(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("folder"))?;
    std::fs::write(dir.join("hello.txt"), "hello, world\n")?;
    std::fs::write(dir.join("big.bin"), big())
}

/// Connects a client to the file server.
fn client(addr: std::net::SocketAddr, name: &str) -> Result<Client, String> {
    Client::connect(addr, name)
}

/// `G name`: the body of a download, or the refusal line.
fn get(c: &mut Client, name: &str) -> Result<Result<Vec<u8>, String>, String> {
    c.send(format!("G {name}\n"))?;
    let first = c.line()?;
    match first.strip_prefix("OK ") {
        Some(size) => {
            let size: usize = size
                .parse()
                .map_err(|_| format!("\"OK <size>\" expected, got {first:?}"))?;
            Ok(Ok(c.bytes(size)?))
        }
        None => Ok(Err(first)),
    }
}

fn expect_download(c: &mut Client, name: &str, want: &[u8]) -> StepResult {
    match get(c, name)? {
        Ok(body) if body == want => Ok(()),
        Ok(body) => Err(format!(
            "G {name}: expected the file's {} bytes, got {} other bytes",
            want.len(),
            body.len()
        )),
        Err(line) => Err(format!(
            "G {name}: expected \"OK {}\", got {line:?}",
            want.len()
        )),
    }
}

/// `P size name` then the bytes: the two replies.
fn put(c: &mut Client, name: &str, body: &[u8]) -> Result<(String, Option<String>), String> {
    c.send(format!("P {} {name}\n", body.len()))?;
    let go = c.line()?;
    if go != "OK" {
        return Ok((go, None));
    }
    c.send(body)?;
    Ok((go, Some(c.line()?)))
}

/// The names L lists.
fn list(c: &mut Client) -> Result<Vec<String>, String> {
    c.send("L\n")?;
    let first = c.line()?;
    let size: usize = first
        .strip_prefix("OK ")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("\"OK <size>\" expected after L, got {first:?}"))?;
    let body = c.bytes(size)?;
    Ok(String::from_utf8_lossy(&body)
        .lines()
        .map(str::to_string)
        .collect())
}

/// The entries of the library directory, hidden ones included.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Runs the check against handlers made by `make(library)`.
pub fn run<H, M>(make: M) -> ExitCode
where
    H: RequestHandler<StreamRequest>,
    M: Fn(PathBuf) -> H + Send + Sync + 'static,
{
    let mut check = Checker::new("16");
    let dir = std::env::temp_dir().join(format!("exercise16-{}", std::process::id()));
    if let Err(err) = make_library(&dir) {
        check.step("the check makes a library to serve", || {
            Err(format!("{}: {err}", dir.display()))
        });
        return check.finish();
    }
    let library = dir.clone();
    let mut server = ThreadingTcpServer::bind("127.0.0.1:0", move || make(library.clone()))
        .expect("bind 127.0.0.1:0");
    server.mixin_mut().daemon_threads = true;
    let server = Running::start(server);
    let addr = server.address;

    check.step("L lists the library (this part is given)", || {
        let mut c = client(addr, "client")?;
        expect_eq(
            "the names listed",
            vec!["big.bin".to_string(), "hello.txt".to_string()],
            list(&mut c)?,
        )
    });
    check.step("G hello.txt: \"OK 13\", then its 13 bytes", || {
        let mut c = client(addr, "client")?;
        expect_download(&mut c, "hello.txt", b"hello, world\n")?;
        // And the session goes on after a download.
        expect_download(&mut c, "hello.txt", b"hello, world\n")
    });
    check.step("G big.bin: 1 MiB of binary data arrives whole", || {
        let mut c = client(addr, "client")?;
        expect_download(&mut c, "big.bin", &big())
    });
    check.step(
        "G of a missing file: \"no such file\"; of a directory: \"not a regular file\"",
        || {
            let mut c = client(addr, "client")?;
            expect_eq(
                "the reply to G missing.txt",
                Err("no such file".to_string()),
                get(&mut c, "missing.txt")?,
            )?;
            expect_eq(
                "the reply to G folder",
                Err("not a regular file".to_string()),
                get(&mut c, "folder")?,
            )
        },
    );
    check.step(
        "P 11 new.txt: \"OK\", the bytes, \"OK\"; then the file is there, whole",
        || {
            let mut c = client(addr, "client")?;
            let body = b"12345\n##\n!!";
            expect_eq(
                "the two replies",
                ("OK".to_string(), Some("OK".to_string())),
                put(&mut c, "new.txt", body)?,
            )?;
            let stored = std::fs::read(dir.join("new.txt")).unwrap_or_default();
            expect_eq("the bytes stored in new.txt", &body[..], &stored[..])?;
            let mut other = client(addr, "another client")?;
            expect_download(&mut other, "new.txt", body)
        },
    );
    check.step("P of 1 MiB, then G gives back the same bytes", || {
        let mut c = client(addr, "client")?;
        expect_eq(
            "the two replies",
            ("OK".to_string(), Some("OK".to_string())),
            put(&mut c, "copy.bin", &big())?,
        )?;
        expect_download(&mut c, "copy.bin", &big())
    });
    check.step(
        "P of a name that exists: \"file already exists\", the file untouched",
        || {
            let mut c = client(addr, "client")?;
            expect_eq(
                "the first reply",
                ("file already exists".to_string(), None),
                put(&mut c, "hello.txt", b"overwritten")?,
            )?;
            expect_download(&mut c, "hello.txt", b"hello, world\n")
        },
    );
    check.step(
        "an upload cut short leaves nothing behind, not even hidden",
        || {
            let before = entries(&dir);
            let mut c = client(addr, "client")?;
            c.send("P 1000 cut.txt\n")?;
            expect_eq("the go-ahead", "OK".to_string(), c.line()?)?;
            c.send([b'x'; 400])?;
            let mut other = client(addr, "another client")?;
            if list(&mut other)?.contains(&"cut.txt".to_string()) {
                return Err("L lists cut.txt while only 400 of its 1000 bytes arrived".into());
            }
            drop(c); // the uploader leaves after 400 of 1000 bytes
            let clean = wait_until(crate::kit::REPLY_DEADLINE, || entries(&dir) == before);
            if clean {
                Ok(())
            } else {
                Err(format!(
                    "{} s after the client left, the library holds {:?} (before the upload: {:?})",
                    crate::kit::REPLY_DEADLINE.as_secs(),
                    entries(&dir),
                    before
                ))
            }
        },
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    check.finish()
}
