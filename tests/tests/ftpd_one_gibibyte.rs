//! A 1 GiB file up and down again, byte for byte, in the normal test run:
//! STOR from the test's own client, then RETR of what was stored, the
//! bytes compared with what was sent as they stream (never 1 GiB in
//! memory). The file is made of 1 MiB blocks, each followed by its number
//! (so a period of 1 MiB + 4 bytes, which no page or pipe boundary
//! matches): a block lost, repeated or moved shows.

mod ftpd_common;

use std::io::{Read, Write};
use std::path::Path;

use ftpd_common::{Control, no_panic_logged, pattern, start};

const BLOCKS: u32 = 1024;
const BLOCK: usize = 1 << 20;

/// Free bytes on the file system of `path` (`statvfs`).
fn free_bytes(path: &Path) -> u64 {
    let stat = nix::sys::statvfs::statvfs(path).expect("statvfs");
    stat.blocks_available() as u64 * stat.fragment_size() as u64
}

#[test]
fn one_gibibyte_up_and_down_byte_for_byte() {
    // On tmpfs where there is one: the test is about the server, not the disk.
    let served = tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap();
    let needed = u64::from(BLOCKS) * (BLOCK as u64 + 4) * 2;
    if free_bytes(served.path()) < needed {
        eprintln!(
            "skipped: less than {} MiB free in {}",
            needed >> 20,
            served.path().display()
        );
        return;
    }
    let block = pattern(11, BLOCK);
    let size = u64::from(BLOCKS) * (BLOCK as u64 + 4);
    let server = start(served.path(), &["--writable"]);
    let mut c = Control::connect(&server.addr());
    c.login();
    c.cmd("TYPE I");

    let mut data = c.transfer("STOR huge.bin").unwrap();
    for i in 0..BLOCKS {
        data.write_all(&block).unwrap();
        data.write_all(&i.to_le_bytes()).unwrap();
    }
    drop(data);
    let r = c.reply();
    assert!(r.starts_with("226"), "{r}");
    assert_eq!(c.cmd("SIZE huge.bin"), format!("213 {size}"));

    let mut data = c.transfer("RETR huge.bin").unwrap();
    let mut got = vec![0u8; BLOCK + 4];
    for i in 0..BLOCKS {
        data.read_exact(&mut got)
            .unwrap_or_else(|e| panic!("block {i} of {BLOCKS}: {e}"));
        assert!(got[..BLOCK] == block[..], "block {i} differs");
        assert_eq!(got[BLOCK..], i.to_le_bytes(), "block {i} is out of place");
    }
    assert_eq!(data.read(&mut got).unwrap(), 0, "bytes after the end");
    let r = c.reply();
    assert!(r.starts_with("226"), "{r}");
    assert!(c.cmd("QUIT").starts_with("221"));
    no_panic_logged(server);
}
