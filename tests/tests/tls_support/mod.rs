//! Helpers for the TLS tests: a certificate authority made by the test
//! (`rcgen`), its files on disk as a TLS server's options name them, and a
//! rustls client that trusts only that authority.

#![allow(dead_code)] // each test file uses a different part

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use pkcs8::der::pem::LineEnding;
use pkcs8::pkcs5::pbes2;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// How long a client waits for any one read or write.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A test CA, a server certificate it signed for `localhost` and
/// `127.0.0.1`, and the server's key, as PEM files in a temporary directory.
pub struct Pki {
    pub dir: tempfile::TempDir,
    /// The CA's certificate: what clients trust (`curl --cacert`).
    pub ca_pem: PathBuf,
    /// The server's certificate (`--tls-cert`).
    pub cert_pem: PathBuf,
    /// The server's key, not encrypted (`--tls-key`).
    pub key_pem: PathBuf,
    /// The server's key as PKCS#8 DER, to encrypt.
    pub key_der: Vec<u8>,
}

impl Pki {
    /// Makes the CA and the server certificate (a few milliseconds).
    pub fn new() -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "socketserver test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let ca = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().unwrap();
        // "127.0.0.1" becomes an IP address entry, "localhost" a DNS name.
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let cert = params.signed_by(&server_key, &ca).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        Pki {
            ca_pem: write("ca.pem", &ca_cert.pem()),
            cert_pem: write("cert.pem", &cert.pem()),
            key_pem: write("key.pem", &server_key.serialize_pem()),
            key_der: server_key.serialize_der(),
            dir,
        }
    }

    /// Writes `text` to a file of the temporary directory; returns its path.
    pub fn file(&self, name: &str, text: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The server's key encrypted with `password` (PBES2: PBKDF2-SHA256,
    /// AES-256-CBC, as `openssl genpkey -aes256` writes it), as a PEM file.
    pub fn encrypted_key(&self, name: &str, password: &str) -> PathBuf {
        let info = pkcs8::PrivateKeyInfo::try_from(self.key_der.as_slice()).unwrap();
        // Fixed salt and IV: a test key, never a secret.
        let params =
            pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, b"test salt", &[7; 16]).unwrap();
        let encrypted = info.encrypt_with_params(params, password).unwrap();
        let pem = encrypted
            .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
            .unwrap();
        self.file(name, pem.as_bytes())
    }

    /// A client config that trusts this CA only.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        let ca = CertificateDer::from_pem_file(&self.ca_pem).unwrap();
        roots.add(ca).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }
}

/// A blocking TLS client stream over TCP.
pub type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// Connects to `addr` and starts TLS, checking the server's certificate
/// for `name` (the handshake happens on the first read or write).
pub fn tls_connect(addr: SocketAddr, config: &Arc<ClientConfig>, name: &str) -> TlsStream {
    let tcp = plain_connect(addr);
    let name = ServerName::try_from(name.to_string()).unwrap();
    let session = ClientConnection::new(Arc::clone(config), name).unwrap();
    StreamOwned::new(session, tcp)
}

/// A TCP connection with read and write timeouts.
pub fn plain_connect(addr: SocketAddr) -> TcpStream {
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    tcp.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    tcp
}

/// Whether a program can be run (`program version_arg` succeeds).
pub fn have(program: &str, version_arg: &str) -> bool {
    std::process::Command::new(program)
        .arg(version_arg)
        .output()
        .is_ok_and(|out| out.status.success())
}

/// The path as a `&str` for a command line.
pub fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}
