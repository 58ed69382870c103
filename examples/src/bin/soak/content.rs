//! The files the FTP servers serve and take, and their checksums.

use std::path::Path;

/// `len` bytes of a fixed pseudo-random sequence chosen by `seed`
/// (xorshift64*): every byte value occurs, as in a real binary file.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

/// FNV-1a, 64 bits: enough to tell a damaged transfer from a whole one.
pub fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A file the server serves from the start, and its checksum.
pub struct Served {
    /// Its name in the served directory.
    pub name: &'static str,
    /// Its bytes.
    pub data: Vec<u8>,
    /// Their checksum.
    pub sum: u64,
}

/// The served files: a small text, a medium file, a 4 MiB one (for slow
/// readers and vanishing clients mid-transfer).
pub fn served() -> Vec<Served> {
    let text: Vec<u8> = (0..1000).map(|i| b"soak test\n"[i % 10]).collect();
    [
        ("small.txt", text),
        ("medium.bin", bytes(2, 65_543)),
        ("big.bin", bytes(3, 4 << 20)),
    ]
    .into_iter()
    .map(|(name, data)| Served {
        name,
        sum: checksum(&data),
        data,
    })
    .collect()
}

/// Writes the served files into `dir`.
pub fn write(dir: &Path, files: &[Served]) -> std::io::Result<()> {
    files
        .iter()
        .try_for_each(|f| std::fs::write(dir.join(f.name), &f.data))
}

/// What must hold in an FTP server's directory after a run: no temporary
/// upload file left, and nothing of a broken upload (names starting with
/// `broken-`) visible.
pub fn no_partial_uploads(dir: &Path) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| e.to_string())?;
    let left: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("broken-") || name.starts_with(".upload-"))
        .collect();
    match left.len() {
        0 => Ok(()),
        n => Err(format!(
            "{n} partial upload file(s) left: {:?}",
            &left[..n.min(5)]
        )),
    }
}
