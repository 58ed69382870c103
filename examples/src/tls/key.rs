//! The server's private key from a PEM file, decrypting it when it is an
//! encrypted PKCS#8 key (`-----BEGIN ENCRYPTED PRIVATE KEY-----`).
//!
//! rustls reads unencrypted keys (PKCS#8, PKCS#1 RSA, SEC1 EC) with the PEM
//! parser of its `pki_types`. It does not decrypt: for an encrypted key we
//! use RustCrypto's `pkcs8` crate (features `encryption` and `pem`), which
//! implements the PBES2 scheme of PKCS#5 that `openssl genpkey -aes256` and
//! `openssl pkcs8 -topk8` write (PBKDF2 or scrypt, then AES-CBC), and turns
//! the key back into plain PKCS#8 DER, which rustls takes. It is pure Rust,
//! maintained with the rest of RustCrypto, and needs no OpenSSL.

use std::io;
use std::path::Path;

use pkcs8::EncryptedPrivateKeyInfo;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

const ENCRYPTED_BEGIN: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
const ENCRYPTED_END: &str = "-----END ENCRYPTED PRIVATE KEY-----";

/// Reads the first private key in the PEM file `path`. An encrypted key
/// needs `password`; a key that is not encrypted ignores it (as OpenSSL does).
pub(crate) fn load_private_key(
    path: &Path,
    password: Option<&[u8]>,
) -> io::Result<PrivateKeyDer<'static>> {
    let text =
        std::fs::read(path).map_err(|err| with_path(path, "cannot read the key file", err))?;
    if let Some(block) = encrypted_block(&text) {
        let Some(password) = password else {
            return Err(invalid(
                path,
                "the private key is encrypted: a password file is needed",
            ));
        };
        return decrypt(path, block, password);
    }
    if contains(&text, b"Proc-Type: 4,ENCRYPTED") {
        return Err(invalid(
            path,
            "the key is encrypted in OpenSSL's old format, which is not supported; \
             convert it with `openssl pkcs8 -topk8 -in OLD -out NEW`",
        ));
    }
    PrivateKeyDer::from_pem_slice(&text).map_err(|err| match err {
        pem::Error::NoItemsFound => invalid(path, "no private key found in the file"),
        other => invalid(path, &format!("not a valid PEM private key: {other}")),
    })
}

/// Decrypts an `ENCRYPTED PRIVATE KEY` PEM block into PKCS#8 DER.
fn decrypt(path: &Path, block: &[u8], password: &[u8]) -> io::Result<PrivateKeyDer<'static>> {
    let (_, der) = pkcs8::der::pem::decode_vec(block)
        .map_err(|err| invalid(path, &format!("not a valid PEM block: {err}")))?;
    let info = EncryptedPrivateKeyInfo::try_from(der.as_slice())
        .map_err(|err| invalid(path, &format!("not a valid encrypted PKCS#8 key: {err}")))?;
    // A wrong password shows as bad padding or a bad key structure after
    // decryption: the cipher cannot tell it from a damaged file.
    let plain = info.decrypt(password).map_err(|_| {
        invalid(
            path,
            "cannot decrypt the private key: wrong password (or an unsupported encryption)",
        )
    })?;
    // Decryption "succeeding" with a wrong password happens (1 in 256 by
    // chance of a valid padding byte): check that the result is a key.
    pkcs8::PrivateKeyInfo::try_from(plain.as_bytes())
        .map_err(|_| invalid(path, "cannot decrypt the private key: wrong password"))?;
    Ok(PrivatePkcs8KeyDer::from(plain.as_bytes().to_vec()).into())
}

/// The `ENCRYPTED PRIVATE KEY` block of a PEM file, if it has one.
fn encrypted_block(text: &[u8]) -> Option<&[u8]> {
    let start = find(text, ENCRYPTED_BEGIN.as_bytes())?;
    let end = start + find(&text[start..], ENCRYPTED_END.as_bytes())? + ENCRYPTED_END.len();
    Some(&text[start..end])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

/// An error about the file `path`, saying what is wrong with it.
pub(crate) fn invalid(path: &Path, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {what}", path.display()),
    )
}

/// An I/O error on `path`, keeping its kind (not found, permission denied).
pub(crate) fn with_path(path: &Path, doing: &str, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {doing}: {err}", path.display()))
}
