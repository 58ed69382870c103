//! The three kinds of work timed in lesson 15, and `gil-worker`, the
//! program that runs one of them in its own process.
//!
//! - CPU: the course's counting loop (`x += 1; y += 1` a few million times);
//! - file IO: the course's IO job, writing lines to a file and reading them back;
//! - waiting: a blocking wait, as for a slow network peer (here a sleep).

use std::ffi::OsString;
use std::fs::File;
use std::hint::black_box;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// The course's CPU job: count up `iterations` times.
pub fn cpu(iterations: u64) -> u64 {
    let (mut x, mut y) = (1u64, 1u64);
    let mut c = 0;
    while c < iterations {
        // black_box stops the optimiser from replacing the loop by its result.
        x = black_box(x + 1);
        y = black_box(y + 1);
        c += 1;
    }
    x + y
}

/// The course's IO job: write `lines` lines to `path`, then read them back.
pub fn file_io(lines: u64, path: &Path) -> std::io::Result<u64> {
    let mut out = BufWriter::new(File::create(path)?);
    for i in 0..lines {
        writeln!(out, "hello world {i}")?;
    }
    out.flush()?;
    drop(out);
    let mut count = 0;
    for line in BufReader::new(File::open(path)?).lines() {
        black_box(line?);
        count += 1;
    }
    std::fs::remove_file(path)?;
    Ok(count)
}

/// A blocking wait: the thread sleeps in the kernel, using no CPU.
pub fn wait(millis: u64) {
    std::thread::sleep(Duration::from_millis(millis));
}

/// `gil-worker cpu N | io N PATH | wait MS`: one job in this process.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let arg = |i: usize| args.get(i).and_then(|a| a.to_str()).unwrap_or("");
    let n: u64 = arg(2).parse().unwrap_or(0);
    let ok = match arg(1) {
        "cpu" => {
            black_box(cpu(n));
            true
        }
        "io" => file_io(n, Path::new(arg(3))).is_ok(),
        "wait" => {
            wait(n);
            true
        }
        _ => false,
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
