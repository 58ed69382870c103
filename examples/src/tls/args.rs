//! The command-line options of an HTTPS server, as Python 3.14's
//! `http.server` spells them, ready to flatten into a `clap` parser:
//!
//! ```
//! use clap::Parser;
//! use examples::tls::TlsArgs;
//!
//! #[derive(Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     tls: TlsArgs,
//! }
//!
//! let args = Args::parse_from(["server", "--tls-cert", "cert.pem", "--tls-key", "key.pem"]);
//! assert!(args.tls.tls_cert.is_some());
//! // args.tls.https_config()? is Some(TlsConfig) to give to Tls::new / MaybeTls::new.
//! ```

use std::io;
use std::path::PathBuf;

use super::{TlsConfig, load_server_config};

/// `--tls-cert`, `--tls-key`, `--tls-password-file`. Without `--tls-cert`
/// the server speaks plain HTTP; the other two need it (as in Python).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TlsArgs {
    /// Serve HTTPS with this certificate chain (PEM, the server's
    /// certificate first, then the ones that signed it).
    #[arg(long, value_name = "PATH")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM), if it is not in the --tls-cert file.
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// A file whose first line is the password of an encrypted private key.
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    pub tls_password_file: Option<PathBuf>,
}

impl TlsArgs {
    /// The TLS settings of an HTTPS server (ALPN `http/1.1`, as Python's
    /// `HTTPSServer`; a readable 400 for plain HTTP sent to the port), or
    /// `None` without `--tls-cert`. Errors name the file and what is wrong.
    pub fn https_config(&self) -> io::Result<Option<TlsConfig>> {
        let Some(cert) = &self.tls_cert else {
            return Ok(None);
        };
        let mut config = load_server_config(
            cert,
            self.tls_key.as_deref(),
            self.tls_password_file.as_deref(),
        )?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Some(TlsConfig::new(config)?.answering_plain_http()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Args {
        #[command(flatten)]
        tls: TlsArgs,
    }

    #[test]
    fn the_key_and_the_password_file_need_the_certificate() {
        for option in ["--tls-key", "--tls-password-file"] {
            let err = Args::try_parse_from(["server", option, "x.pem"]).unwrap_err();
            assert!(err.to_string().contains("--tls-cert"), "{err}");
        }
        let args = Args::try_parse_from(["server"]).unwrap();
        assert!(args.tls.https_config().unwrap().is_none(), "plain HTTP");
    }
}
