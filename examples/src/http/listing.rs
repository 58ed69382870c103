//! The directory listing page, in the shape of Python's `list_directory`:
//! names sorted case-insensitively, `/` after directories, `@` after
//! symbolic links, names HTML-escaped, links percent-encoded.

use std::fs::File;
use std::io;

use nix::dir::{Dir, Type};
use nix::fcntl::AtFlags;
use nix::sys::stat::{SFlag, fstatat};

use super::path::quote;

/// One entry of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file name as bytes (Unix names need not be UTF-8).
    pub name: Vec<u8>,
    /// A directory, or a link to one.
    pub is_dir: bool,
    /// A symbolic link.
    pub is_link: bool,
}

fn is_type(dir: &Dir, name: &std::ffi::CStr, follow: bool, kind: SFlag) -> bool {
    let flags = if follow {
        AtFlags::empty()
    } else {
        AtFlags::AT_SYMLINK_NOFOLLOW
    };
    fstatat(dir, name, flags)
        .map(|st| SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == kind)
        .unwrap_or(false)
}

/// Reads the entries of an open directory, sorted like Python's listing.
pub fn read_entries(directory: File) -> io::Result<Vec<Entry>> {
    let mut dir = Dir::from_fd(directory.into())?;
    let mut raw = Vec::new();
    for entry in dir.iter() {
        let entry = entry?;
        let name = entry.file_name().to_owned(); // a CString
        if matches!(name.to_bytes(), b"." | b"..") {
            continue;
        }
        raw.push((name, entry.file_type()));
    }
    let mut entries: Vec<Entry> = raw
        .into_iter()
        .map(|(name, kind)| {
            // d_type may be unknown on some file systems: ask stat then.
            let is_link = match kind {
                Some(kind) => kind == Type::Symlink,
                None => is_type(&dir, &name, false, SFlag::S_IFLNK),
            };
            let is_dir = match kind {
                Some(Type::Directory) => true,
                Some(Type::Symlink) | None => is_type(&dir, &name, true, SFlag::S_IFDIR),
                Some(_) => false,
            };
            Entry {
                name: name.into_bytes(),
                is_dir,
                is_link,
            }
        })
        .collect();
    entries.sort_by_cached_key(|e| {
        (
            String::from_utf8_lossy(&e.name).to_lowercase(),
            e.name.clone(),
        )
    });
    Ok(entries)
}

/// `html.escape(text, quote=False)`: `&`, `<` and `>`.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML page for `entries`, titled with the decoded URL path.
pub fn page(url_path: &[u8], entries: &[Entry]) -> String {
    let title = format!(
        "Directory listing for {}",
        html_escape(&String::from_utf8_lossy(url_path))
    );
    let mut lines = vec![
        "<!DOCTYPE HTML>".to_string(),
        "<html lang=\"en\">".to_string(),
        "<head>".to_string(),
        "<meta charset=\"utf-8\">".to_string(),
        "<style type=\"text/css\">\n:root {\ncolor-scheme: light dark;\n}\n</style>".to_string(),
        format!("<title>{title}</title>\n</head>"),
        format!("<body>\n<h1>{title}</h1>"),
        "<hr>\n<ul>".to_string(),
    ];
    for entry in entries {
        let mut link = entry.name.clone();
        let mut shown = String::from_utf8_lossy(&entry.name).into_owned();
        if entry.is_dir {
            link.push(b'/');
            shown.push('/');
        }
        if entry.is_link {
            // Python's choice: a link to a directory shows `@`, links with `/`.
            shown = format!("{}@", String::from_utf8_lossy(&entry.name));
        }
        lines.push(format!(
            "<li><a href=\"{}\">{}</a></li>",
            quote(&link),
            html_escape(&shown)
        ));
    }
    lines.push("</ul>\n<hr>\n</body>\n</html>\n".to_string());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_names_and_encodes_links() {
        let entries = [Entry {
            name: b"d<i>&".to_vec(),
            is_dir: true,
            is_link: false,
        }];
        let html = page(b"/", &entries);
        assert!(html.contains("<li><a href=\"d%3Ci%3E%26/\">d&lt;i&gt;&amp;/</a></li>"));
        assert!(html.contains("<title>Directory listing for /</title>"));
    }

    #[test]
    fn sorts_case_insensitively() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b", "A", "c"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("B-dir")).unwrap();
        let entries = read_entries(File::open(dir.path()).unwrap()).unwrap();
        let names: Vec<_> = entries
            .iter()
            .map(|e| String::from_utf8_lossy(&e.name).into_owned())
            .collect();
        assert_eq!(names, ["A", "b", "B-dir", "c"]);
        assert!(entries[2].is_dir);
    }
}
