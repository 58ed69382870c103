//! The login: USER, then PASS (RFC 959 §4.1.1). Who may log in is
//! [`Accounts`](super::auth::Accounts)' business; this file is the
//! conversation: `331` asks for the password, `230` lets the client in,
//! `530` refuses, late (`--login-delay-ms`) and counted
//! (`--max-login-failures`, then the connection closes).

use std::io;

use super::reply;
use super::session::{Flow, Session};

impl Session {
    /// USER: remembers the name and asks for the password.
    pub fn user_command(&mut self, name: &str) -> io::Result<Flow> {
        if self.logged_in {
            return self.reply(530, "Already logged in: cannot change to another user.");
        }
        if !self.config.accounts.knows(name) {
            return self.reply(530, "This server is anonymous only.");
        }
        self.user = Some(name.to_string());
        self.reply(331, "Please specify the password.")
    }

    /// PASS: logs in, or answers a wrong password late and counts it.
    pub fn pass(&mut self, password: &str) -> io::Result<Flow> {
        if self.logged_in {
            return self.reply(230, "Already logged in.");
        }
        let Some(user) = self.user.take() else {
            return self.reply(503, "Login with USER first.");
        };
        if self.config.accounts.check(&user, password) {
            self.logged_in = true;
            return self.reply(230, "Login successful.");
        }
        // Slow every guess down (the front end holds the reply back), and
        // stop a guesser after a few.
        self.delay_replies(self.config.login_delay);
        self.failures += 1;
        self.log(&format!(
            "login failed for {user:?} ({} of {})",
            self.failures, self.config.max_login_failures
        ));
        if self.failures >= self.config.max_login_failures {
            self.send(reply::line(
                530,
                "Login incorrect; too many failures, closing.",
            ))?;
            return Ok(Flow::Close);
        }
        self.reply(530, "Login incorrect.")
    }

    /// Who is logged in, for STAT.
    pub fn user_name(&self) -> String {
        match &self.config.accounts {
            super::auth::Accounts::Anonymous => "anonymous".to_string(),
            super::auth::Accounts::User { name, .. } => name.clone(),
        }
    }
}
