//! Byte-exact round trips through `ftp-client` and `ftp-server`: upload a
//! file, download it again, compare. Sizes and contents that broke the
//! course's `##` end marker, names with spaces and non-ASCII letters, and
//! one file of 1 GiB.

mod ftp_common;

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use ftp_common::{Raw, library, pattern, run_client, start};

/// Runs `ftp-client ARGS` in `cwd`; returns (success, stdout, stderr).
/// The deadline leaves room for the 1 GiB round trip.
fn client(cwd: &Path, args: &[&str]) -> (bool, String, String) {
    let output = run_client(cwd, args, "", Duration::from_secs(120));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn round_trips_are_byte_exact() {
    let dir = library(&[]);
    let server = start("threading", dir.path());
    let addr = server.addr();
    let local = tempfile::tempdir().unwrap();
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("one byte", b"x".to_vec()),
        ("only the old marker", b"##".to_vec()),
        ("ends in the marker.txt", b"some text\n##".to_vec()),
        ("marker lines", b"##\n##\n##".to_vec()),
        ("\u{6587}\u{4ef6} \u{540d}.bin", pattern(9, 1000)),
        ("every byte", (0..=255).collect()),
        ("larger.bin", pattern(11, 3 * 1024 * 1024 + 7)),
    ];
    cases.push(("nul and newlines", b"\0\n\r\n\0##\0".to_vec()));
    for (name, content) in &cases {
        let source = local.path().join(name);
        fs::write(&source, content).unwrap();
        let (ok, out, err) = client(local.path(), &[&addr, "put", source.to_str().unwrap()]);
        assert!(ok, "put {name:?}: {err}");
        assert_eq!(out, format!("uploaded {name} ({} bytes)\n", content.len()));
        assert_eq!(
            fs::read(dir.path().join(name)).unwrap(),
            *content,
            "{name:?} stored"
        );

        let target = local.path().join("back");
        let (ok, _, err) = client(local.path(), &[&addr, "get", name, "-o", "back"]);
        assert!(ok, "get {name:?}: {err}");
        assert_eq!(fs::read(&target).unwrap(), *content, "{name:?} downloaded");
        fs::remove_file(target).unwrap();
    }
    // The same, without the client: the server alone is byte-exact too.
    let mut raw = Raw::connect(&addr);
    for (name, content) in &cases {
        assert_eq!(raw.get(name).as_ref(), Ok(content), "{name:?}");
    }
}

/// 1 GiB, as the issue asks. Every 4 KiB block starts with its own number
/// (the rest is zeros), and the file ends in `##`: a block lost, doubled or
/// out of place shows. It lives on tmpfs when there is one, and is written
/// and compared 8 MiB at a time, never whole in memory.
#[test]
fn one_gib_round_trip() {
    const SIZE: u64 = 1 << 30;
    // Three copies of the file live at once (the source, the library's, the
    // download): on tmpfs only if it has room for them (a container's
    // /dev/shm is often 64 MiB).
    let shm = Path::new("/dev/shm");
    let room = nix::sys::statvfs::statvfs(shm)
        .map(|fs| fs.blocks_available().saturating_mul(fs.fragment_size()))
        .unwrap_or(0);
    let scratch = if room > 3 * SIZE + (256 << 20) {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .unwrap();
    let lib = scratch.path().join("library");
    let local = scratch.path().join("local");
    fs::create_dir(&lib).unwrap();
    fs::create_dir(&local).unwrap();
    let source = local.join("big.bin");
    let mut file = File::create(&source).unwrap();
    let mut chunk = vec![0u8; CHUNK];
    let mut offset = 0;
    while offset < SIZE {
        let n = stamped(offset, SIZE, &mut chunk);
        file.write_all(&chunk[..n]).unwrap();
        offset += n as u64;
    }
    drop(file);

    let server = start("threading", &lib);
    let addr = server.addr();
    let (ok, _, err) = client(&local, &[&addr, "put", "big.bin"]);
    assert!(ok, "put: {err}");
    let (ok, _, err) = client(&local, &[&addr, "get", "big.bin", "-o", "back.bin"]);
    assert!(ok, "get: {err}");
    for copy in [lib.join("big.bin"), local.join("back.bin")] {
        assert_same_as_stamped(&copy, SIZE);
    }
}

/// The piece the 1 GiB test writes and compares at a time.
const CHUNK: usize = 8 << 20;

/// Fills `buffer` with the stamped content at `offset` (a multiple of 4 KiB)
/// of a file of `size` bytes, and returns how many bytes that is.
fn stamped(offset: u64, size: u64, buffer: &mut [u8]) -> usize {
    let n = buffer.len().min((size - offset) as usize);
    let piece = &mut buffer[..n];
    piece.fill(0);
    for (i, block) in piece.chunks_mut(4096).enumerate() {
        let number = offset / 4096 + i as u64;
        let stamp = number.to_le_bytes();
        let len = stamp.len().min(block.len());
        block[..len].copy_from_slice(&stamp[..len]);
    }
    if offset + n as u64 == size {
        piece[n - 2..].copy_from_slice(b"##");
    }
    n
}

/// Compares a file with the stamped content, 8 MiB at a time.
fn assert_same_as_stamped(path: &Path, size: u64) {
    let mut file = File::open(path).unwrap();
    assert_eq!(file.metadata().unwrap().len(), size, "{}", path.display());
    let mut got = vec![0u8; CHUNK];
    let mut expected = vec![0u8; CHUNK];
    let mut offset = 0u64;
    while offset < size {
        let n = stamped(offset, size, &mut expected);
        file.read_exact(&mut got[..n]).unwrap();
        assert!(
            got[..n] == expected[..n],
            "{} differs in the 8 MiB at {offset}",
            path.display()
        );
        offset += n as u64;
    }
    let mut extra = [0u8; 1];
    assert_eq!(file.read(&mut extra).unwrap(), 0);
}
