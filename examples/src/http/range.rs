//! `Range: bytes=...` — a part of a file (206), or 416 when the part is not
//! in the file. What Python's `http.server` lacks (CPython gh-86809).

/// What a `Range` header asks of a file of a given length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranged {
    /// No usable range: send the whole file (200).
    Full,
    /// Bytes `start..=end` (206).
    Part {
        /// First byte.
        start: u64,
        /// Last byte, included.
        end: u64,
    },
    /// The range lies past the end of the file (416).
    Unsatisfiable,
}

/// Interprets `header` for a file of `len` bytes.
///
/// Single ranges are served: `bytes=10-19`, `bytes=10-` (to the end),
/// `bytes=-10` (the last ten). Several ranges get the whole file, as RFC 9110
/// allows; anything unreadable is ignored, also as it says.
pub fn parse(header: Option<&str>, len: u64) -> Ranged {
    let Some(header) = header else {
        return Ranged::Full;
    };
    let Some((unit, spec)) = header.split_once('=') else {
        return Ranged::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return Ranged::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ranged::Full;
    };
    let number = |text: &str| -> Option<u64> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // A number too big for u64 is certainly past the end.
        Some(text.parse().unwrap_or(u64::MAX))
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // bytes=-N: the last N bytes.
        return match number(last) {
            Some(0) => Ranged::Unsatisfiable,
            Some(_) if len == 0 => Ranged::Unsatisfiable,
            Some(n) => Ranged::Part {
                start: len - n.min(len),
                end: len - 1,
            },
            None => Ranged::Full,
        };
    }
    // bytes=A- or bytes=A-B.
    let Some(start) = number(first) else {
        return Ranged::Full;
    };
    let end = if last.is_empty() {
        None
    } else {
        match number(last) {
            Some(end) if end >= start => Some(end),
            _ => return Ranged::Full,
        }
    };
    if start >= len {
        return Ranged::Unsatisfiable;
    }
    Ranged::Part {
        start,
        end: end.map_or(len - 1, |end| end.min(len - 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges() {
        assert_eq!(
            parse(Some("bytes=0-9"), 100),
            Ranged::Part { start: 0, end: 9 }
        );
        assert_eq!(
            parse(Some("bytes=90-"), 100),
            Ranged::Part { start: 90, end: 99 }
        );
        assert_eq!(
            parse(Some("bytes=-10"), 100),
            Ranged::Part { start: 90, end: 99 }
        );
        assert_eq!(
            parse(Some("bytes=-1000"), 100),
            Ranged::Part { start: 0, end: 99 }
        );
        assert_eq!(
            parse(Some("bytes=50-1000"), 100),
            Ranged::Part { start: 50, end: 99 }
        );
    }

    #[test]
    fn unsatisfiable_and_ignored() {
        assert_eq!(parse(Some("bytes=100-"), 100), Ranged::Unsatisfiable);
        assert_eq!(parse(Some("bytes=-0"), 100), Ranged::Unsatisfiable);
        assert_eq!(parse(Some("bytes=0-"), 0), Ranged::Unsatisfiable);
        assert_eq!(
            parse(Some("bytes=99999999999999999999999-"), 100),
            Ranged::Unsatisfiable
        );
        assert_eq!(parse(None, 100), Ranged::Full);
        assert_eq!(parse(Some("bytes=0-1,5-6"), 100), Ranged::Full);
        assert_eq!(parse(Some("bytes=9-1"), 100), Ranged::Full);
        assert_eq!(parse(Some("bytes=a-b"), 100), Ranged::Full);
        assert_eq!(parse(Some("bytes=1-x"), 100), Ranged::Full);
        assert_eq!(parse(Some("lines=1-2"), 100), Ranged::Full);
        assert_eq!(parse(Some("bytes=-"), 100), Ranged::Full);
    }
}
