//! The access log: one line per response on stderr, in Apache's Common Log
//! Format, as `http.server` writes it:
//!
//! ```text
//! 127.0.0.1 - - [23/Nov/2026:13:45:01 +0000] "GET /a.txt HTTP/1.1" 200 1024
//! ```
//!
//! The request line comes from the client, so control characters are
//! escaped (`\x1b`, `\x0a`): a request must not be able to paint the
//! terminal or forge a log line (CPython gh-100001).

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// Escapes control characters, non-ASCII bytes, `"` and `\` for a log line.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            // Request lines are decoded as Latin-1: every char is one byte.
            c => out.push_str(&format!("\\x{:02x}", c as u32 & 0xff)),
        }
    }
    out
}

/// `23/Nov/2026:13:45:01 +0000` (UTC).
pub fn log_date(now: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rest = secs % 86_400;
    format!(
        "{day:02}/{}/{year:04}:{:02}:{:02}:{:02} +0000",
        MONTHS[(month - 1) as usize],
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Writes one access-log line to stderr in a single `write`, so lines from
/// different threads never interleave.
pub fn access(client: &str, request_line: &str, code: u16, size: u64) {
    let size = if size == 0 {
        "-".to_string()
    } else {
        size.to_string()
    };
    let line = format!(
        "{client} - - [{}] \"{}\" {code} {size}\n",
        log_date(SystemTime::now()),
        escape(request_line)
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn escapes_what_could_forge_a_line() {
        assert_eq!(
            escape("GET /\x1b[31m\n\"x\\"),
            "GET /\\x1b[31m\\x0a\\\"x\\\\"
        );
        assert_eq!(escape("caf\u{e9}"), "caf\\xe9");
    }

    #[test]
    fn dates_like_apache() {
        let t = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(log_date(t), "09/Sep/2001:01:46:40 +0000");
        assert_eq!(
            log_date(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "29/Feb/2000:00:00:00 +0000"
        );
    }
}
