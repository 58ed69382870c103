//! TLS for event-loop servers: HTTPS, as Python 3.14's `http.server`
//! serves it with `--tls-cert`, `--tls-key` and `--tls-password-file`.
//!
//! TLS (传输层安全) sits between TCP and the application: the client and
//! the server first run a *handshake* (the server proves who it is with a
//! certificate, and both agree on keys), then every byte either way travels
//! in encrypted, authenticated *records*. The application protocol (HTTP,
//! a chat, an echo) does not change at all: it still reads and writes
//! plain bytes. So TLS here is an **adapter**, like [`framework::Lines`]:
//! [`Tls`] wraps any [`framework::Protocol`] and turns ciphertext from the
//! socket into plaintext for it, and its plaintext into ciphertext.
//!
//! ```no_run
//! use std::io;
//! use std::path::Path;
//! use framework::{Conn, EpollTcpServer, Protocol};
//! use examples::tls::{Tls, TlsConfig};
//!
//! /// Echoes every chunk.
//! struct Echo;
//!
//! impl Protocol for Echo {
//!     fn data_received(&mut self, conn: &mut Conn<'_>, data: &[u8]) -> io::Result<()> {
//!         conn.write(data);
//!         Ok(())
//!     }
//! }
//!
//! fn main() -> io::Result<()> {
//!     // --tls-cert, --tls-key (optional), --tls-password-file (optional)
//!     let tls = TlsConfig::from_files(Path::new("cert.pem"), Some(Path::new("key.pem")), None)?;
//!     let server = EpollTcpServer::bind("127.0.0.1:8443", move || Tls::new(&tls, Echo))?;
//!     server.serve_forever()
//! }
//! ```
//!
//! ## How the inner protocol's writes get encrypted
//!
//! The inner protocol writes with [`Conn::write`](framework::Conn::write),
//! which queues raw bytes for the socket. The adapter therefore calls it
//! with [`Conn::capturing`](framework::Conn::capturing): the same
//! connection, except that its writes (and its `close`) are kept in a
//! [`framework::Captured`] buffer. After each call the adapter hands those
//! bytes to rustls, which encrypts them, and writes the resulting records
//! with the real `Conn`. The framework's loop knows nothing about TLS; the
//! inner protocol knows nothing about TLS either: the HTTP server's
//! protocol runs unchanged over plain TCP or inside `Tls`.
//!
//! ## Why rustls with the aws-lc-rs provider
//!
//! [rustls](https://docs.rs/rustls) is a TLS library written in Rust
//! (no OpenSSL), with a *sans-IO* connection object: it never touches a
//! socket. We feed it the bytes we read (`read_tls`) and take from it the
//! bytes to send (`write_tls`), which is exactly what a protocol on an
//! event loop can do without waiting.
//!
//! rustls needs a *crypto provider*. Its default, aws-lc-rs, was chosen
//! because it builds on a fresh machine here: `aws-lc-sys` 0.47 compiles
//! its C and assembly with the C compiler alone (its "cc builder"); no
//! `cmake`, no `nasm` (neither is installed here, and the build passed).
//! It is also rustls's default, so its documentation and examples apply
//! as written. The price is one slow first build (the C library; about a
//! minute on this 2-core machine); `ring`, the other provider, would build
//! faster but was not needed.
//!
//! ## Files
//!
//! - [`config`]: the certificate chain and the key from PEM files, and the
//!   password file (the three command-line options), into a [`TlsConfig`];
//! - `key`: the private key, decrypting an encrypted PKCS#8 key;
//! - [`args`]: [`TlsArgs`], the three options for a `clap` parser;
//! - [`adapter`]: [`Tls`], the protocol adapter;
//! - `maybe`: [`MaybeTls`], TLS or not as the command line says, in one type;
//! - `records`: how rustls's records reach the connection's queue;
//! - `plain_http`: the answer to plain HTTP sent to the TLS port.
//!
//! ## Limits
//!
//! [`Conn::write_to`](framework::Conn::write_to) *another* connection
//! (a chat room's broadcast) would queue plaintext to that connection's
//! socket, bypassing its `Tls`: a TLS chat room would need each member's
//! adapter to encrypt its own messages. The HTTP server writes only to its
//! own connection.

pub mod adapter;
pub mod args;
pub mod config;
mod key;
mod maybe;
mod plain_http;
mod records;

pub use adapter::Tls;
pub use args::TlsArgs;
pub use config::{TlsConfig, load_server_config};
pub use maybe::MaybeTls;
