//! From a request target to a path inside the served directory.
//!
//! Python's `translate_path`: drop `?query` and `#fragment`, percent-decode,
//! then walk the `/`-separated parts, where `.` stays and `..` goes up but
//! never above the root. `..`, `%2e%2e`, `%2f` and `..\` therefore all end
//! up inside the root — and what is left to stop (a symbolic link pointing
//! outside) is stopped when the file is opened (see `files.rs`).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, percent_encode};

/// A request target taken apart.
#[derive(Debug, PartialEq, Eq)]
pub struct Target<'a> {
    /// `scheme://host` when the client sent an absolute URL, else empty.
    pub origin: &'a [u8],
    /// The path as sent (still percent-encoded), without query and fragment.
    pub raw_path: &'a [u8],
    /// `?x=1` (with the `?`), or empty.
    pub query: &'a [u8],
}

impl<'a> Target<'a> {
    /// Splits `target` (`/a/b?x#y`, or `http://host/a/b?x`).
    pub fn split(target: &'a [u8]) -> Target<'a> {
        let without_fragment = match target.iter().position(|&b| b == b'#') {
            Some(i) => &target[..i],
            None => target,
        };
        let (path, query) = match without_fragment.iter().position(|&b| b == b'?') {
            Some(i) => without_fragment.split_at(i),
            None => (without_fragment, &b""[..]),
        };
        // An absolute URL (`http://host/path`): keep `scheme://host` apart.
        let mut origin: &[u8] = b"";
        let mut raw_path = path;
        if let Some(colon) = find(path, b"://") {
            let scheme = &path[..colon];
            if !scheme.is_empty() && scheme.iter().all(|b| b.is_ascii_alphabetic()) {
                let host_start = colon + 3;
                let host_end = path[host_start..]
                    .iter()
                    .position(|&b| b == b'/')
                    .map_or(path.len(), |i| host_start + i);
                origin = &path[..host_end];
                raw_path = &path[host_end..];
            }
        }
        Target {
            origin,
            raw_path,
            query,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Why a path was refused before touching the disk.
#[derive(Debug, PartialEq, Eq)]
pub enum PathError {
    /// A NUL byte (`%00`): no file name can hold one.
    Nul,
}

/// The decoded path, normalised: the parts below the root, and whether the
/// URL ended with `/` (then it must name a directory).
#[derive(Debug, PartialEq, Eq)]
pub struct Resolved {
    /// Path parts below the root, never `.`, `..` or empty.
    pub parts: Vec<Vec<u8>>,
    /// The decoded URL path ended with `/`.
    pub trailing_slash: bool,
    /// The decoded URL path (for a listing's title).
    pub decoded: Vec<u8>,
}

impl Resolved {
    /// The relative path to open under the root (`.` for the root itself).
    pub fn relative(&self) -> Vec<u8> {
        if self.parts.is_empty() {
            return b".".to_vec();
        }
        self.parts.join(&b'/')
    }

    /// The path of `name` inside this directory, relative to the root
    /// (`index.html` for the root itself, `a/index.html` for `/a/`).
    pub fn child(&self, name: &str) -> Vec<u8> {
        let mut path = self.parts.join(&b'/');
        if !path.is_empty() {
            path.push(b'/');
        }
        path.extend_from_slice(name.as_bytes());
        path
    }
}

/// Python's `translate_path`, without touching the disk.
pub fn resolve(raw_path: &[u8]) -> Result<Resolved, PathError> {
    let decoded: Vec<u8> = percent_decode(raw_path).collect();
    if decoded.contains(&0) {
        return Err(PathError::Nul);
    }
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for part in decoded.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            // Up one level, but never above the root.
            b".." => {
                parts.pop();
            }
            part => parts.push(part.to_vec()),
        }
    }
    Ok(Resolved {
        parts,
        trailing_slash: decoded.ends_with(b"/"),
        decoded,
    })
}

/// What may stay as it is in a `Location` we build from the client's path:
/// everything visible except `\` (browsers read `/\host` as `//host`).
const LOCATION_ESCAPE: &AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'\\')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'^');

/// The `Location` of the 301 that adds the missing `/` to a directory URL,
/// keeping the query (Python's `urlunsplit` with `path + '/'`).
///
/// It never starts with `//`, which a browser would read as another host:
/// the request line parser already collapsed leading slashes, and `\` is
/// escaped here.
pub fn directory_location(target: &Target<'_>) -> String {
    let mut location = Vec::with_capacity(target.raw_path.len() + target.query.len() + 1);
    location.extend_from_slice(target.origin);
    location.extend_from_slice(target.raw_path);
    location.push(b'/');
    location.extend_from_slice(target.query);
    let text = percent_encode(&location, LOCATION_ESCAPE).to_string();
    if target.origin.is_empty() && text.starts_with("//") {
        // Not reachable from the parser, but cheap to guarantee.
        format!("/{}", text.trim_start_matches('/'))
    } else {
        text
    }
}

/// Characters `urllib.parse.quote` leaves alone (`safe='/'` plus unreserved).
const LINK_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Percent-encodes a file name for an `href` (Python's `urllib.parse.quote`).
pub fn quote(name: &[u8]) -> String {
    percent_encode(name, LINK_ESCAPE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(path: &str) -> Vec<String> {
        resolve(path.as_bytes())
            .unwrap()
            .parts
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect()
    }

    #[test]
    fn dot_dot_never_climbs_above_the_root() {
        assert_eq!(parts("/../../etc/passwd"), ["etc", "passwd"]);
        assert_eq!(parts("/%2e%2e/%2e%2e/etc/passwd"), ["etc", "passwd"]);
        assert_eq!(parts("/a/..%2f..%2f..%2fetc"), ["etc"]);
        assert_eq!(parts("/a/./b//c/.."), ["a", "b"]);
        // A backslash is an ordinary byte of a file name on Unix.
        assert_eq!(parts("/..\\..\\etc"), ["..\\..\\etc"]);
        assert_eq!(resolve(b"/a%00b"), Err(PathError::Nul));
    }

    #[test]
    fn a_child_of_the_root_has_no_dot() {
        assert_eq!(resolve(b"/").unwrap().child("index.html"), b"index.html");
        assert_eq!(
            resolve(b"/a/b/").unwrap().child("index.htm"),
            b"a/b/index.htm"
        );
    }

    #[test]
    fn trailing_slash_counts_when_encoded() {
        assert!(resolve(b"/dir%2f").unwrap().trailing_slash);
        assert!(!resolve(b"/dir").unwrap().trailing_slash);
        assert_eq!(resolve(b"/").unwrap().relative(), b".");
    }

    #[test]
    fn splits_targets() {
        let t = Target::split(b"/a/b?x=1#frag");
        assert_eq!((t.raw_path, t.query), (&b"/a/b"[..], &b"?x=1"[..]));
        let t = Target::split(b"https://pypi.org/x/y?q");
        assert_eq!(t.origin, b"https://pypi.org");
        assert_eq!(t.raw_path, b"/x/y");
    }

    #[test]
    fn locations_keep_the_query_and_never_start_with_two_slashes() {
        assert_eq!(directory_location(&Target::split(b"/sub?x=1")), "/sub/?x=1");
        assert_eq!(
            directory_location(&Target::split(b"/\\evil.com")),
            "/%5Cevil.com/"
        );
        assert_eq!(directory_location(&Target::split(b"dir")), "dir/");
        assert_eq!(
            directory_location(&Target::split(b"https://pypi.org/a")),
            "https://pypi.org/a/"
        );
    }

    #[test]
    fn quote_is_pythons() {
        assert_eq!(quote(b"d<i>&/"), "d%3Ci%3E%26/");
        assert_eq!(quote("é b~".as_bytes()), "%C3%A9%20b~");
    }
}
