//! Exercise 10, a reference solution: a key-value store on the event loop.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};

use framework::{Conn, LineProtocol};

/// The data every connection shares.
pub type Store = Arc<Mutex<HashMap<String, String>>>;

/// One client's protocol: it reads commands, the store is everyone's.
pub struct KvProtocol {
    /// The shared store.
    pub store: Store,
}

impl KvProtocol {
    /// The answer to one command line (without its line end).
    fn answer(&self, command: &str) -> String {
        // A lock held for one map operation: nothing in here waits.
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let mut words = command.splitn(3, ' ');
        match (words.next(), words.next(), words.next()) {
            (Some("SET"), Some(key), Some(value)) if !key.is_empty() => {
                store.insert(key.to_string(), value.to_string());
                "OK".into()
            }
            (Some("GET"), Some(key), None) => match store.get(key) {
                Some(value) => format!("VALUE {value}"),
                None => "NOT_FOUND".into(),
            },
            (Some("DEL"), Some(key), None) => match store.remove(key) {
                Some(_) => "DELETED".into(),
                None => "NOT_FOUND".into(),
            },
            _ => "ERROR unknown command".into(),
        }
    }
}

impl LineProtocol for KvProtocol {
    fn line_received(&mut self, conn: &mut Conn<'_>, line: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(line);
        let command = text.trim_end_matches(['\r', '\n']);
        let answer = self.answer(command);
        conn.write(format!("{answer}\n").as_bytes());
        Ok(())
    }
}
