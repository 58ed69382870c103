//! Runs one AFL++ fuzz target, bounded in time and in executions, and
//! prints what it did: `cargo fuzz-http`, `cargo fuzz-ftp`, `cargo fuzz-chat`.
//!
//! ```text
//! run <http|ftp|chat> [--seconds N] [--execs N]     (defaults: 120 s, 2,000,000)
//! ```
//!
//! Steps: build the target with `cargo afl build` (its own target dir, so
//! the instrumented build never replaces a plain one), write seeds taken
//! from the snapshot transcripts, run `cargo afl fuzz -V seconds -E execs`,
//! then read `fuzzer_stats`. Exits 1 when AFL++ saved a crash or a hang.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(target) = args
        .first()
        .filter(|t| ["http", "ftp", "chat"].contains(&t.as_str()))
    else {
        eprintln!("usage: run <http|ftp|chat> [--seconds N] [--execs N]");
        return ExitCode::from(2);
    };
    let option = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|n| n.replace(['_', ','], "").parse().ok())
            .unwrap_or(default)
    };
    let (seconds, execs) = (option("--seconds", 120), option("--execs", 2_000_000));

    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| fuzz_dir.join("target"));
    let afl_target = base.join("afl");
    let work = base.join("fuzz-out").join(target);

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    if !Command::new(&cargo)
        .args(["afl", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!(
            "cargo-afl is missing: `cargo install cargo-afl && cargo afl config --build` \
             (builds AFL++; the property tests `cargo test -p tests --test fuzz_{target}` need nothing)"
        );
        return ExitCode::from(2);
    }
    let built = Command::new(&cargo)
        .args([
            "afl",
            "build",
            "--release",
            "--bin",
            target,
            "--manifest-path",
        ])
        .arg(fuzz_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &afl_target)
        .status();
    if !built.is_ok_and(|s| s.success()) {
        eprintln!("cargo afl build failed");
        return ExitCode::FAILURE;
    }

    let seeds = work.join("seeds");
    let findings = work.join("findings");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&seeds).expect("the seeds folder");
    let snapshots = fuzz_dir.join("../tests/tests/snapshots");
    let written = write_seeds(target, &snapshots, &seeds);
    println!(
        "fuzz-{target}: {written} seeds from the snapshot transcripts, at most {seconds} s and {execs} executions"
    );

    let log = work.join("afl.log");
    let status = Command::new(&cargo)
        .args(["afl", "fuzz", "-i"])
        .arg(&seeds)
        .arg("-o")
        .arg(&findings)
        .args(["-V", &seconds.to_string(), "-E", &execs.to_string(), "--"])
        .arg(afl_target.join("release").join(target))
        .env("AFL_NO_UI", "1")
        .env("AFL_SKIP_CPUFREQ", "1")
        .env("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "1")
        .stdout(fs::File::create(&log).expect("the log file"))
        .status();
    let stats = fs::read_to_string(findings.join("default/fuzzer_stats")).unwrap_or_default();
    let stats: BTreeMap<&str, &str> = stats
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect();
    if !status.is_ok_and(|s| s.success()) || stats.is_empty() {
        eprintln!("AFL++ did not finish: see {}", log.display());
        return ExitCode::FAILURE;
    }
    let get = |key: &str| stats.get(key).copied().unwrap_or("?");
    println!(
        "fuzz-{target}: {} executions in {} s ({} per second), corpus {} inputs, edges {}, crashes {}, hangs {}",
        get("execs_done"),
        get("run_time"),
        get("execs_per_sec"),
        get("corpus_count"),
        get("bitmap_cvg"),
        get("saved_crashes"),
        get("saved_hangs"),
    );
    let mut bad = false;
    for kind in ["crashes", "hangs"] {
        let dir = findings.join("default").join(kind);
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.file_name() != "README.txt" {
                println!("  {kind}: {}", entry.path().display());
                bad = true;
            }
        }
    }
    if bad {
        println!(
            "replay one with: {} < FILE",
            afl_target.join("release").join(target).display()
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Writes the client's side of the snapshot transcripts as seeds: the HTTP
/// request heads, the FTP and FTP-server command lines (one by one and as
/// whole sessions), the chat lines. Returns how many files it wrote.
fn write_seeds(target: &str, snapshots: &Path, seeds: &Path) -> usize {
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    let mut names: Vec<PathBuf> = fs::read_dir(snapshots)
        .expect("tests/tests/snapshots")
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for path in names {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let wanted = match target {
            "http" => name.starts_with("http_"),
            "ftp" => name.starts_with("ftp_transcript") || name.starts_with("ftpd_"),
            _ => name.starts_with("chat_"),
        };
        if !wanted {
            continue;
        }
        let text = fs::read_to_string(&path).expect("a snapshot");
        let sent: Vec<Vec<u8>> = text
            .lines()
            .filter_map(|l| {
                l.strip_prefix("C: ")
                    .or_else(|| l.split_once(" -> ").map(|(_, s)| s))
            })
            .map(unescape)
            .collect();
        if target == "http" {
            // One seed per request head (up to and with its blank line).
            let mut head = Vec::new();
            for line in sent {
                let blank = line == b"\r\n";
                head.extend_from_slice(&line);
                if blank {
                    inputs.push(std::mem::take(&mut head));
                }
            }
        } else {
            inputs.push(sent.concat());
            inputs.extend(sent);
        }
    }
    inputs.sort();
    inputs.dedup();
    for (i, input) in inputs.iter().enumerate() {
        fs::write(seeds.join(format!("seed-{i:04}")), input).expect("a seed file");
    }
    inputs.len()
}

/// `\r`, `\n`, `\t` and `\\` as the transcripts write them.
fn unescape(line: &str) -> Vec<u8> {
    line.replace("\\r", "\r")
        .replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("\\\\", "\\")
        .into_bytes()
}
