//! Exercise 07, a reference solution: the chat room with /who.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::sync::{Arc, Mutex};

use framework::{Address, Connection, RequestHandler, StreamRequest};

/// One member of the room: a name and a way to write to them.
pub struct Member {
    /// The name the member gave.
    pub name: String,
    /// A second handle to the member's connection, to send them messages.
    pub wfile: Connection,
}

/// Everyone in the room, shared by all handlers (one per client).
#[derive(Default)]
pub struct Room {
    /// Members by the address they connected from.
    pub members: Mutex<HashMap<Address, Member>>,
}

impl Room {
    /// Sends `line` to every member except `from`.
    fn broadcast(&self, from: &Address, line: &str) {
        let members = self.members.lock().unwrap_or_else(|e| e.into_inner());
        for (address, member) in members.iter() {
            if address != from {
                // A member who cannot be written to is leaving anyway.
                let _ = (&member.wfile).write_all(format!("{line}\n").as_bytes());
            }
        }
    }
}

/// Serves one member of the room.
pub struct ChatHandler {
    room: Arc<Room>,
    name: Option<String>,
}

impl ChatHandler {
    /// A handler for a new client of `room`.
    pub fn new(room: Arc<Room>) -> ChatHandler {
        ChatHandler { room, name: None }
    }

    /// Answers `/who` to the member who asked.
    fn who(&self, req: &mut StreamRequest) -> io::Result<()> {
        let mut names: Vec<String> = {
            let members = self.room.members.lock().unwrap_or_else(|e| e.into_inner());
            members.values().map(|m| m.name.clone()).collect()
        };
        // The lock is released here, before writing: a slow client must
        // not hold up everyone else's messages.
        names.sort();
        writeln!(req.wfile, "* online: {}", names.join(", "))
    }
}

impl RequestHandler<StreamRequest> for ChatHandler {
    fn setup(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        req.wfile.write_all(b"name?\n")?;
        let mut name = String::new();
        req.rfile.read_line(&mut name)?;
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "no name given"));
        }
        let member = Member {
            name: name.clone(),
            wfile: req.wfile.try_clone()?,
        };
        self.room
            .members
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(req.client_address.clone(), member);
        writeln!(req.wfile, "* welcome, {name}")?;
        self.room
            .broadcast(&req.client_address, &format!("* {name} joined"));
        self.name = Some(name);
        Ok(())
    }

    fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        let name = self.name.clone().unwrap_or_default();
        let mut line = String::new();
        while req.rfile.read_line(&mut line)? > 0 {
            match line.trim_end() {
                "/quit" => break,
                "/who" => self.who(req)?,
                text => self
                    .room
                    .broadcast(&req.client_address, &format!("{name}: {text}")),
            }
            line.clear();
        }
        Ok(())
    }

    fn finish(&mut self, req: &mut StreamRequest) -> io::Result<()> {
        // Runs even when handle failed: the member always leaves the room.
        let removed = self
            .room
            .members
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&req.client_address);
        if let Some(member) = removed {
            self.room
                .broadcast(&req.client_address, &format!("* {} left", member.name));
        }
        Ok(())
    }
}
