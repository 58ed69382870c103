//! Reply lines: a three-digit code, a space or a dash, text, CRLF.
//!
//! RFC 959 §4.2: the first digit says how it went (1 preliminary, 2 done,
//! 3 more needed, 4 try again later, 5 refused), the second what it is
//! about (0 syntax, 1 information, 2 connections, 3 login, 5 file system).
//! A reply of several lines starts with `code-` and ends with `code `;
//! the lines between are indented by one space, so that none of them can
//! be mistaken for the end.

/// One reply line, `code text`, with its CRLF.
pub fn line(code: u16, text: &str) -> String {
    format!("{code} {}\r\n", one_line(text))
}

/// A multi-line reply: `code-first`, each of `body` indented by a space,
/// then `code last`.
pub fn multi(code: u16, first: &str, body: &[String], last: &str) -> String {
    let mut out = format!("{code}-{}\r\n", one_line(first));
    for entry in body {
        out.push(' ');
        out.push_str(&one_line(entry));
        out.push_str("\r\n");
    }
    out.push_str(&line(code, last));
    out
}

/// A path in double quotes, as `PWD` and `MKD` answer (RFC 959 appendix
/// II): a quote inside the path is doubled.
pub fn quoted(path: &str) -> String {
    format!("\"{}\"", path.replace('"', "\"\""))
}

/// Text with any CR or LF replaced, so that no text (a name, an error)
/// can end a reply early or forge a second one.
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_and_several_lines() {
        assert_eq!(line(200, "NOOP ok."), "200 NOOP ok.\r\n");
        assert_eq!(
            multi(211, "Features:", &["SIZE".into(), "MDTM".into()], "End"),
            "211-Features:\r\n SIZE\r\n MDTM\r\n211 End\r\n"
        );
        assert_eq!(line(550, "a\r\n200 forged"), "550 a  200 forged\r\n");
        assert_eq!(quoted("/a \"b\""), "\"/a \"\"b\"\"\"");
    }
}
