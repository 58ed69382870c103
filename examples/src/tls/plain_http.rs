//! A client that speaks plain HTTP to the TLS port (`curl http://` instead
//! of `https://`). Its first bytes are not a TLS record: rustls rejects
//! them and the adapter closes the connection at once. An HTTP server may
//! also answer, as nginx does ("The plain HTTP request was sent to HTTPS
//! port"), so that the person at the client reads why.

/// Every TLS client starts with a handshake record, type 22.
const HANDSHAKE_RECORD: u8 = 0x16;

/// Whether `first` (the first byte the client sent) cannot start TLS.
pub(crate) fn is_not_tls(first: u8) -> bool {
    first != HANDSHAKE_RECORD
}

/// Whether the client's first bytes look like an HTTP request line: a
/// method in capitals (`GET`, `POST`, `OPTIONS`, ...).
pub(crate) fn looks_like_http(data: &[u8]) -> bool {
    data.first().is_some_and(u8::is_ascii_uppercase)
}

/// The whole answer: a 400 that says what went wrong, then the connection closes.
pub(crate) const ANSWER: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Length: 68\r\n\
Connection: close\r\n\
\r\n\
This port speaks HTTPS: a plain HTTP request was sent to a TLS port\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_has_the_length_it_announces() {
        let text = std::str::from_utf8(ANSWER).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
    }

    #[test]
    fn a_request_line_is_recognised_and_a_client_hello_is_not() {
        assert!(looks_like_http(b"GET / HTTP/1.1\r\n"));
        assert!(is_not_tls(b'G'));
        assert!(!looks_like_http(&[0x16, 0x03, 0x01]));
        assert!(!is_not_tls(0x16));
    }
}
