//! Exercise 14: the chat room's join and leave notices.   (lesson 18)
//!
//! The course's homework (作业): a chat room like a QQ group, on UDP, with
//! the course's protocol (one request, one datagram):
//!
//! ```text
//! L alice          join:  the sender gets "OK"; everyone else gets "* alice has joined the chat"
//!                         a name already taken: the sender gets ERR the name "alice" is taken
//! C alice hello    say:   everyone else gets "alice: hello"          (this part is written)
//! Q alice          leave: the sender gets "EXIT"; everyone else gets "* alice has left the chat"
//!                         and alice is no longer a member (her name is free again)
//! ```
//!
//! A member is known by the ADDRESS its datagrams come from (身份 = 地址),
//! not by the name written in them.
//!
//! Check it with `cargo exercise 14`; stuck? `cargo hint 14`. The check runs
//! your handler on a UdpServer on 127.0.0.1:0 and plays three members.

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
            // A member we cannot reach misses this one datagram; UDP is like that.
            let _ = req.send_to(text.as_bytes(), address);
        }
    }

    /// `L name`: a new member.
    fn join(&self, req: &mut DatagramRequest, name: &str) {
        // TODO: refuse a name that another member already has (reply
        // `ERR the name "NAME" is taken` and stop there), and tell everyone
        // else `* NAME has joined the chat`. Do not hold the lock while you
        // call broadcast: it locks the members too.
        let mut members = self.members.lock().unwrap_or_else(|e| e.into_inner());
        members.insert(req.client_address.clone(), name.to_string());
        req.wfile.extend_from_slice(b"OK");
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
        // TODO: take the sender out of the members, and tell everyone else
        // `* NAME has left the chat` (NAME as the sender joined, whatever
        // the datagram says). The sender gets EXIT either way.
        req.wfile.extend_from_slice(b"EXIT");
    }
}

impl RequestHandler<DatagramRequest> for ChatRoom {
    fn handle(&mut self, req: &mut DatagramRequest) -> io::Result<()> {
        let request = String::from_utf8_lossy(req.packet()).trim_end().to_string();
        // "C name text" in three parts, "L name" and "Q name" in two.
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
