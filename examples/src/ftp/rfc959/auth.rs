//! Who may log in: anonymous users by default, or one named user.
//!
//! Anonymous FTP (RFC 1635) is `USER anonymous` (or `ftp`) with any
//! password, by custom an e-mail address. With `--user NAME:PASSWORD`
//! only that user may log in, and anonymous logins are refused.
//!
//! A wrong password is answered only after a delay (`--login-delay`),
//! which makes guessing slow, and counted: after `--max-login-failures`
//! the connection is closed (vsftpd's `delay_failed_login`,
//! `max_login_fails`). The password travels in clear text, as always in
//! plain FTP: use it on trusted networks only.

/// The accounts the server accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accounts {
    /// `anonymous` or `ftp`, any password.
    Anonymous,
    /// Exactly this user with this password.
    User {
        /// The user name.
        name: String,
        /// The password.
        password: String,
    },
}

impl Accounts {
    /// Parses `--user NAME:PASSWORD` (a `clap` value parser).
    pub fn parse_user(text: &str) -> Result<Accounts, String> {
        match text.split_once(':') {
            Some((name, password)) if !name.is_empty() => Ok(Accounts::User {
                name: name.to_string(),
                password: password.to_string(),
            }),
            _ => Err("expected NAME:PASSWORD".to_string()),
        }
    }

    /// True if `user` may try to log in at all (the `331` or `530` to `USER`).
    pub fn knows(&self, user: &str) -> bool {
        match self {
            Accounts::Anonymous => is_anonymous(user),
            // Not saying which user names exist: every name is asked for a
            // password, and only the right pair gets in.
            Accounts::User { .. } => true,
        }
    }

    /// True if `user` with `password` may log in.
    pub fn check(&self, user: &str, password: &str) -> bool {
        match self {
            Accounts::Anonymous => is_anonymous(user),
            Accounts::User {
                name,
                password: expected,
            } => {
                // Both compared in full, in time that does not depend on
                // where the first difference is.
                let name_ok = same_bytes(user.as_bytes(), name.as_bytes());
                let password_ok = same_bytes(password.as_bytes(), expected.as_bytes());
                name_ok & password_ok
            }
        }
    }
}

/// The conventional anonymous user names.
fn is_anonymous(user: &str) -> bool {
    user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp")
}

/// Equality of two byte strings, looking at every byte of both.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_and_named() {
        let anon = Accounts::Anonymous;
        assert!(anon.check("anonymous", "me@example.org"));
        assert!(anon.check("FTP", ""));
        assert!(!anon.check("root", "x"));
        let user = Accounts::parse_user("alice:s3:cret").unwrap();
        assert!(user.check("alice", "s3:cret"));
        assert!(!user.check("alice", "s3:cre"));
        assert!(!user.check("alice", "s3:crett"));
        assert!(!user.check("anonymous", "s3:cret"));
        assert!(Accounts::parse_user(":x").is_err());
        assert!(Accounts::parse_user("nocolon").is_err());
    }
}
