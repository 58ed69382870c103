//! Conditional requests: "send it only if it changed".
//!
//! Python answers `If-Modified-Since` (304 when the file is not newer) and
//! ignores it when `If-None-Match` is present, but never sends an `ETag`.
//! We send one (from the modification time and size, like nginx) and
//! answer `If-None-Match` with it; `If-Range` uses it too.

use std::time::{SystemTime, UNIX_EPOCH};

use super::head::Head;

/// What conditional requests compare: a file's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// Modification time.
    pub modified: SystemTime,
    /// The entity tag, quotes included: `"65f1a2b3-1c2d3e4f-400"`.
    pub etag: String,
    /// The `Last-Modified` value (an HTTP date).
    pub last_modified: String,
}

impl Validators {
    /// Validators for a file with this modification time and length.
    pub fn new(modified: SystemTime, len: u64) -> Validators {
        let since = modified.duration_since(UNIX_EPOCH).unwrap_or_default();
        let etag = format!(
            "\"{:x}-{:x}-{:x}\"",
            since.as_secs(),
            since.subsec_nanos(),
            len
        );
        let last_modified = httpdate::fmt_http_date(modified);
        Validators {
            modified,
            etag,
            last_modified,
        }
    }

    /// Whole seconds since 1970 (HTTP dates carry no fractions).
    fn modified_secs(&self) -> u64 {
        self.modified
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    /// Whether the client's copy is current, so `304 Not Modified` will do.
    pub fn not_modified(&self, head: &Head) -> bool {
        if let Some(tags) = head.header("if-none-match") {
            // Weak comparison (RFC 9110 13.1.2): W/ prefixes do not matter.
            let ours = self.etag.trim_start_matches("W/");
            return tags
                .split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == ours);
        }
        let Some(since) = head.header("if-modified-since") else {
            return false;
        };
        // An unreadable date (or one not in GMT) is ignored, as in Python.
        match httpdate::parse_http_date(since) {
            Ok(since) => {
                let since = since.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
                self.modified_secs() <= since
            }
            Err(_) => false,
        }
    }

    /// `If-Range`: a range may be served only if the client's copy is this
    /// version; otherwise the whole file goes out.
    pub fn range_allowed(&self, head: &Head) -> bool {
        let Some(condition) = head.header("if-range") else {
            return true;
        };
        if condition.starts_with('"') {
            // Strong comparison: the tag must be ours exactly.
            return condition == self.etag;
        }
        if condition.starts_with("W/") {
            return false;
        }
        httpdate::parse_http_date(condition).is_ok_and(|date| {
            date.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) == self.modified_secs()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::head::{Head, Version};
    use std::time::Duration;

    fn head(headers: &[(&str, &str)]) -> Head {
        Head {
            line: String::new(),
            method: "GET".into(),
            target: b"/".to_vec(),
            version: Version::HTTP_11,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect(),
        }
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        let v = Validators::new(UNIX_EPOCH + Duration::from_secs(1_000_000_000), 5);
        let far_future = "Fri, 01 Jan 2100 00:00:00 GMT";
        assert!(v.not_modified(&head(&[("If-Modified-Since", far_future)])));
        assert!(!v.not_modified(&head(&[
            ("If-None-Match", "\"x\""),
            ("If-Modified-Since", far_future)
        ])));
        assert!(v.not_modified(&head(&[("If-None-Match", &format!("\"x\", W/{}", v.etag))])));
        assert!(v.not_modified(&head(&[("If-None-Match", "*")])));
        assert!(!v.not_modified(&head(&[("If-Modified-Since", "garbage")])));
        assert!(!v.not_modified(&head(&[(
            "If-Modified-Since",
            "Sat, 01 Jan 2000 00:00:00 GMT"
        )])));
    }

    #[test]
    fn if_range() {
        let v = Validators::new(UNIX_EPOCH + Duration::from_secs(1_000_000_000), 5);
        assert!(v.range_allowed(&head(&[])));
        assert!(v.range_allowed(&head(&[("If-Range", &v.etag.clone())])));
        assert!(!v.range_allowed(&head(&[("If-Range", "\"other\"")])));
        assert!(v.range_allowed(&head(&[("If-Range", &v.last_modified)])));
    }
}
