//! chat-server's load (`--tcp`: the room as lines on the event loop; see
//! `notes/18-chat-room.md`).
//!
//! A well-formed session is a group of three members: they join (prompt,
//! `OK`, welcome), each says ten lines, and each checks that it got every
//! line of the other two, whole and in order, each after that member's
//! join notice, among everything the rest of the room says meanwhile; then
//! they leave with `quit` (`EXIT`, then the end of the connection). In one
//! group in six the first member leaves by half-closing its socket instead,
//! and the others check that they are told. Faults: a client gone at the
//! prompt or in the middle of a line (FIN or reset), a member that reads
//! nothing for a second while the room talks, a message over the
//! 1,024-byte limit and a name over it (the `ERR` checked, the connection
//! still usable), a member that half-closes right after joining (`EXIT`
//! checked).

use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use examples::chat::tcp::NAME_PROMPT;

use crate::load::{self, Outcome, Target};
use crate::net::{TIMEOUT, connect, context, read_line, reset};

/// chat-server --tcp.
pub struct Chat;

/// Lines each member of a group says.
const LINES: usize = 10;

/// The longest line a client reads (a welcome lists every member).
const LONGEST: u64 = 1 << 20;

impl Target for Chat {
    fn name(&self) -> &'static str {
        "chat"
    }

    fn program(&self) -> &'static str {
        "chat-server"
    }

    fn models(&self) -> &'static [&'static str] {
        // One model: the room lives on the framework's event loop.
        &[]
    }

    fn prepare(&self, _dir: &Path) -> std::io::Result<()> {
        Ok(())
    }

    fn server_args(&self, _dir: &Path) -> Vec<String> {
        vec!["--tcp".into(), "--quiet".into()]
    }

    fn exchange(&self, port: u16, _dir: &Path, n: u64) -> Outcome {
        let v = n / 10;
        match n % 10 {
            k @ 0..=5 => load::checked(group(port, n, k == 5)),
            6 => load::fault(gone_mid_line(port, n, v)),
            7 => load::fault(never_reads(port, n)),
            8 => load::fault(oversized(port, n, v % 2 == 0)),
            _ => load::fault(half_closed_member(port, n)),
        }
    }
}

/// A member of the room.
struct Member {
    name: String,
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Member {
    /// Connects, reads the prompt, gives `name`, reads `OK` and the welcome.
    fn join(port: u16, name: &str) -> Result<Member, String> {
        let stream = connect(port).map_err(context("connect"))?;
        let reader = BufReader::new(stream.try_clone().map_err(context("clone"))?);
        let mut member = Member {
            name: name.to_string(),
            stream,
            reader,
        };
        member.expect(NAME_PROMPT)?;
        member.say(name)?;
        member.expect("OK")?;
        let welcome = member.line()?;
        if !welcome.starts_with(&format!("* welcome {name}; ")) {
            return Err(format!("{name}: the welcome {welcome:?}"));
        }
        Ok(member)
    }

    fn say(&mut self, text: &str) -> Result<(), String> {
        self.stream
            .write_all(format!("{text}\n").as_bytes())
            .map_err(context(format!("{}: say", self.name)))
    }

    fn line(&mut self) -> Result<String, String> {
        read_line(&mut self.reader, LONGEST).map_err(context(format!("{}: read", self.name)))
    }

    fn expect(&mut self, wanted: &str) -> Result<(), String> {
        let line = self.line()?;
        if line == wanted {
            Ok(())
        } else {
            Err(format!("{}: {line:?} instead of {wanted:?}", self.name))
        }
    }

    /// Reads until `wanted` (what the rest of the room says comes between).
    fn read_until(&mut self, wanted: &str) -> Result<(), String> {
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if self.line()? == wanted {
                return Ok(());
            }
        }
        Err(format!("{}: no {wanted:?} within {TIMEOUT:?}", self.name))
    }

    /// `EXIT` (after what was queued before it), then the end.
    fn read_exit(mut self) -> Result<(), String> {
        self.read_until("EXIT")?;
        let mut rest = Vec::new();
        self.reader
            .read_to_end(&mut rest)
            .map_err(context(format!("{}: after EXIT", self.name)))?;
        if rest.is_empty() {
            Ok(())
        } else {
            Err(format!("{}: {} bytes after EXIT", self.name, rest.len()))
        }
    }

    fn quit(mut self) -> Result<(), String> {
        self.say("quit")?;
        self.read_exit()
    }
}

/// What member `i` of group `n` says the `j`th time.
fn text(n: u64, i: usize, j: usize) -> String {
    format!("line {j} of member {i} of group {n}: {}", "~".repeat(j * 7))
}

/// Three members join, talk, check that each heard the others, and leave.
fn group(port: u16, n: u64, half_close: bool) -> Result<(), String> {
    let names: Vec<String> = ["a", "b", "c"].iter().map(|s| format!("g{n}{s}")).collect();
    let mut members = Vec::new();
    for name in &names {
        members.push(Member::join(port, name)?);
    }
    for j in 0..LINES {
        for (i, member) in members.iter_mut().enumerate() {
            member.say(&text(n, i, j))?;
        }
    }
    for (i, member) in members.iter_mut().enumerate() {
        heard_the_others(member, i, &names, n)?;
    }
    let mut members = members.into_iter();
    let first = members.next().ok_or("no members")?;
    if half_close {
        first
            .stream
            .shutdown(Shutdown::Write)
            .map_err(context("shutdown"))?;
        first.read_exit()?;
        let notice = format!("* {} has left the chat", names[0]);
        let mut rest: Vec<Member> = members.collect();
        for member in &mut rest {
            member.read_until(&notice)?;
        }
        rest.into_iter().try_for_each(Member::quit)
    } else {
        first.quit()?;
        members.try_for_each(Member::quit)
    }
}

/// Member `i` reads until it has every line of the others (whole, in
/// order, after their join notice when they joined after it); lines from
/// the rest of the room are skipped.
fn heard_the_others(member: &mut Member, i: usize, names: &[String], n: u64) -> Result<(), String> {
    // Per other member: how many of its lines came, and whether its join
    // notice did (members who joined before `i` were in the welcome).
    let mut heard = vec![0; names.len()];
    let mut joined: Vec<bool> = (0..names.len()).map(|k| k < i).collect();
    heard[i] = LINES;
    let deadline = Instant::now() + TIMEOUT;
    while heard.iter().any(|&h| h < LINES) {
        if Instant::now() > deadline {
            return Err(format!("{}: heard {heard:?} of {LINES} lines", names[i]));
        }
        let line = member.line()?;
        for (k, name) in names.iter().enumerate() {
            if line == format!("* {name} has joined the chat") {
                joined[k] = true;
            } else if let Some(said) = line.strip_prefix(&format!("{name}: ")) {
                let wanted = text(n, k, heard[k]);
                if !joined[k] || heard[k] >= LINES || said != wanted {
                    return Err(format!(
                        "{}: {line:?} (joined {}, {} lines before it)",
                        names[i], joined[k], heard[k]
                    ));
                }
                heard[k] += 1;
            }
        }
    }
    Ok(())
}

/// Gone at the name prompt (half a name) or as a member in the middle of
/// a line; a FIN or a reset.
fn gone_mid_line(port: u16, n: u64, v: u64) -> Result<Option<String>, std::io::Error> {
    let stream = if v % 2 == 0 {
        let mut stream = connect(port)?;
        stream.write_all(b"half a na")?;
        stream
    } else {
        let member = Member::join(port, &format!("f{n}")).map_err(std::io::Error::other)?;
        drop(member.reader);
        let mut stream = member.stream;
        stream.write_all(b"half a li")?;
        stream
    };
    if v % 4 >= 2 {
        reset(stream);
    }
    Ok(None)
}

/// A member that reads nothing for a second while the room talks, then
/// is gone with a reset.
fn never_reads(port: u16, n: u64) -> Result<Option<String>, std::io::Error> {
    let member = Member::join(port, &format!("s{n}")).map_err(std::io::Error::other)?;
    std::thread::sleep(Duration::from_secs(1));
    drop(member.reader);
    reset(member.stream);
    Ok(None)
}

/// A message (or, at the prompt, a name) over 1,024 bytes: `ERR message
/// too long ...`, and the connection goes on.
fn oversized(port: u16, n: u64, as_name: bool) -> Result<Option<String>, std::io::Error> {
    let wrong = |what: String| Ok(Some(what));
    let long = "x".repeat(3000);
    let refusal = "ERR message too long (limit 1024 bytes)";
    let name = format!("o{n}");
    let mut member = if as_name {
        let stream = connect(port)?;
        let mut member = Member {
            name: name.clone(),
            reader: BufReader::new(stream.try_clone()?),
            stream,
        };
        member.expect(NAME_PROMPT).map_err(std::io::Error::other)?;
        member.say(&long).map_err(std::io::Error::other)?;
        if let Err(what) = member.expect(refusal) {
            return wrong(what);
        }
        if let Err(what) = member.expect(NAME_PROMPT) {
            return wrong(what);
        }
        member.say(&name).map_err(std::io::Error::other)?;
        if let Err(what) = member.expect("OK") {
            return wrong(what);
        }
        member
    } else {
        let mut member = Member::join(port, &name).map_err(std::io::Error::other)?;
        member.say(&long).map_err(std::io::Error::other)?;
        if let Err(what) = member.read_until(refusal) {
            return wrong(what);
        }
        member
    };
    // Still a member: quit gets EXIT.
    member.say("quit").map_err(std::io::Error::other)?;
    Ok(member.read_exit().err())
}

/// Joins, then shuts its sending side at once: `EXIT`, then the end.
fn half_closed_member(port: u16, n: u64) -> Result<Option<String>, std::io::Error> {
    let member = Member::join(port, &format!("h{n}")).map_err(std::io::Error::other)?;
    member.stream.shutdown(Shutdown::Write)?;
    Ok(member.read_exit().err())
}
