//! Exercise 14, a reference solution: the UDP chat room with its join and
//! leave notices.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};

use framework::{Address, DatagramRequest, RequestHandler};

/// The members of the room: name by address. Shared by every handler.
pub type Members = Arc<Mutex<HashMap<Address, String>>>;

/// Handles one datagram of the chat room.
pub struct ChatRoom {
    /// Everyone in the room.
    pub members: Members,
}

impl ChatRoom {
    /// Sends `text` to every member except the one at `from`.
    fn broadcast(&self, req: &DatagramRequest, from: &Address, text: &str) {
        let members = self.members.lock().unwrap_or_else(|e| e.into_inner());
        for address in members.keys().filter(|&a| a != from) {
            let _ = req.send_to(text.as_bytes(), address);
        }
    }

    /// `L name`: a new member.
    fn join(&self, req: &mut DatagramRequest, name: &str) {
        {
            let mut members = self.members.lock().unwrap_or_else(|e| e.into_inner());
            let taken = members
                .iter()
                .any(|(address, other)| other == name && *address != req.client_address);
            if taken {
                req.wfile
                    .extend_from_slice(format!("ERR the name \"{name}\" is taken").as_bytes());
                return;
            }
            members.insert(req.client_address.clone(), name.to_string());
        } // The lock is released here: broadcast takes it again.
        req.wfile.extend_from_slice(b"OK");
        self.broadcast(
            req,
            &req.client_address,
            &format!("* {name} has joined the chat"),
        );
    }

    /// `C name text`: a message to everyone else.
    fn say(&self, req: &mut DatagramRequest, text: &str) {
        let name = {
            let members = self.members.lock().unwrap_or_else(|e| e.into_inner());
            members.get(&req.client_address).cloned()
        };
        match name {
            Some(name) => self.broadcast(req, &req.client_address, &format!("{name}: {text}")),
            None => req
                .wfile
                .extend_from_slice(b"ERR not joined: send \"L <name>\" first"),
        }
    }

    /// `Q name`: a member leaves.
    fn leave(&self, req: &mut DatagramRequest) {
        let removed = self
            .members
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&req.client_address);
        if let Some(name) = removed {
            // Sent after the removal, so the one leaving does not get it.
            self.broadcast(
                req,
                &req.client_address,
                &format!("* {name} has left the chat"),
            );
        }
        req.wfile.extend_from_slice(b"EXIT");
    }
}

impl RequestHandler<DatagramRequest> for ChatRoom {
    fn handle(&mut self, req: &mut DatagramRequest) -> io::Result<()> {
        let request = String::from_utf8_lossy(req.packet()).trim_end().to_string();
        let mut parts = request.splitn(3, ' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("L"), Some(name), None) if !name.is_empty() => self.join(req, name),
            (Some("C"), Some(_), Some(text)) => self.say(req, text),
            (Some("Q"), Some(_), None) => self.leave(req),
            _ => req.wfile.extend_from_slice(b"ERR unknown request"),
        }
        Ok(())
    }
}
