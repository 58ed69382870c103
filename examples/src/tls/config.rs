//! What a TLS server needs before it accepts anyone: its certificate
//! chain and private key, from the PEM files named by the command line
//! (`--tls-cert`, `--tls-key`, `--tls-password-file`, as in Python 3.14's
//! `http.server`), made into a rustls `ServerConfig` once and shared by
//! every connection.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use std::path::Path;
//! use examples::tls::{TlsConfig, load_server_config};
//!
//! // The three options as an HTTPS server would take them:
//! let mut config = load_server_config(
//!     Path::new("cert.pem"),                  // --tls-cert
//!     Some(Path::new("key.pem")),             // --tls-key (else: the key is in cert.pem)
//!     Some(Path::new("password.txt")),        // --tls-password-file
//! )?;
//! config.alpn_protocols = vec![b"http/1.1".to_vec()]; // as Python's HTTPSServer
//! let tls = TlsConfig::new(config)?.answering_plain_http();
//! # Ok(())
//! # }
//! ```

use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::key::{invalid, load_private_key, with_path};

/// A TLS server's settings, shared by all its connections (cheap to clone).
/// Make one with [`TlsConfig::from_files`] or [`TlsConfig::new`], and give
/// it to [`Tls::new`](super::Tls::new) in the server's protocol factory.
#[derive(Clone)]
pub struct TlsConfig {
    pub(crate) server: Arc<ServerConfig>,
    pub(crate) answer_plain_http: bool,
}

impl TlsConfig {
    /// Checks that rustls accepts `config` for a connection, so that
    /// [`Tls::new`](super::Tls::new) cannot fail later, per connection.
    pub fn new(config: ServerConfig) -> io::Result<TlsConfig> {
        let server = Arc::new(config);
        rustls::ServerConnection::new(Arc::clone(&server)).map_err(|err| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("TLS settings: {err}"))
        })?;
        Ok(TlsConfig {
            server,
            answer_plain_http: false,
        })
    }

    /// [`load_server_config`] then [`TlsConfig::new`]: the three
    /// command-line options straight into a config.
    pub fn from_files(
        cert: &Path,
        key: Option<&Path>,
        password_file: Option<&Path>,
    ) -> io::Result<TlsConfig> {
        TlsConfig::new(load_server_config(cert, key, password_file)?)
    }

    /// Answers a client that speaks plain HTTP to the TLS port (its first
    /// byte is a capital letter, as in `GET /`) with a readable
    /// `400 Bad Request` before closing, as nginx does, instead of only a
    /// TLS alert it cannot read. For HTTP servers.
    pub fn answering_plain_http(mut self) -> TlsConfig {
        self.answer_plain_http = true;
        self
    }

    /// The rustls settings inside.
    pub fn server_config(&self) -> &Arc<ServerConfig> {
        &self.server
    }
}

/// A rustls server config from PEM files: the certificate chain in `cert`
/// (the server's certificate first, then the ones that signed it), the
/// private key in `key` (or, if `None`, in `cert` too, as Python allows),
/// decrypted with the password in `password_file` if it is encrypted.
///
/// Every failure is an error that names the file and says what is wrong:
/// missing file, no certificate, no key, encrypted key without password,
/// wrong password, a key that does not belong to the certificate.
pub fn load_server_config(
    cert: &Path,
    key: Option<&Path>,
    password_file: Option<&Path>,
) -> io::Result<ServerConfig> {
    let chain = load_certificates(cert)?;
    let password = password_file.map(read_password_file).transpose()?;
    let key_path = key.unwrap_or(cert);
    let key = load_private_key(key_path, password.as_deref())?;
    // The provider named, not taken from the process default: the choice
    // is explained in the module docs, and stays true whatever else links rustls.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| io::Error::other(format!("TLS settings: {err}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|err| {
            invalid(
                key_path,
                &format!("cannot use this key with the certificate: {err}"),
            )
        })
}

/// Every certificate in the PEM file `path`, in order.
fn load_certificates(path: &Path) -> io::Result<Vec<CertificateDer<'static>>> {
    let text = std::fs::read(path)
        .map_err(|err| with_path(path, "cannot read the certificate file", err))?;
    let chain = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| invalid(path, &format!("not a valid PEM certificate: {err}")))?;
    if chain.is_empty() {
        return Err(invalid(path, "no certificate found in the file"));
    }
    Ok(chain)
}

/// The password in `path`: the file's first line, without its line end
/// (`echo secret > password.txt` works; spaces inside are kept).
fn read_password_file(path: &Path) -> io::Result<Vec<u8>> {
    let text =
        std::fs::read(path).map_err(|err| with_path(path, "cannot read the password file", err))?;
    let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let password = line.strip_suffix(b"\r").unwrap_or(line);
    if password.is_empty() {
        return Err(invalid(path, "the password file is empty"));
    }
    Ok(password.to_vec())
}
