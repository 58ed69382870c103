//! Runs one AFL++ fuzz target, bounded in time and in executions, and
//! prints what it did: `cargo fuzz-http`, `cargo fuzz-ftp`, `cargo fuzz-chat`
//! (the parsers), `cargo fuzz-http-loop`, `fuzz-http-range`,
//! `fuzz-http-conditional`, `fuzz-http-path`, `fuzz-chat-room`,
//! `fuzz-chat-udp`, `fuzz-ftp-session`, `fuzz-ftpd-session`, `fuzz-echo-udp`
//! (the servers' state machines, in memory where they can be).
//!
//! ```text
//! run <TARGET> [--seconds N] [--execs N]     (defaults: 120 s, 2,000,000)
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

/// The targets (`fuzz/src/bin/<name>.rs`).
const TARGETS: [&str; 12] = [
    "http",
    "ftp",
    "chat",
    "http-loop",
    "http-range",
    "http-conditional",
    "http-path",
    "chat-room",
    "chat-udp",
    "ftp-session",
    "ftpd-session",
    "echo-udp",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(target) = args.first().filter(|t| TARGETS.contains(&t.as_str())) else {
        eprintln!(
            "usage: run <{}> [--seconds N] [--execs N]",
            TARGETS.join("|")
        );
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

/// Writes seeds for `target` from the client's side of the snapshot
/// transcripts (see [`parser_seeds`] and [`machine_seeds`]). Returns how
/// many files it wrote.
fn write_seeds(target: &str, snapshots: &Path, seeds: &Path) -> usize {
    let mut inputs = match target {
        "http" | "ftp" | "chat" => parser_seeds(target, snapshots),
        _ => machine_seeds(target, snapshots),
    };
    inputs.sort();
    inputs.dedup();
    for (i, input) in inputs.iter().enumerate() {
        fs::write(seeds.join(format!("seed-{i:04}")), input).expect("a seed file");
    }
    inputs.len()
}

/// Each snapshot whose name starts with `prefix`: its sent lines, each
/// with the sender's name (`C` for `C: ...` lines), unescaped.
fn transcripts(snapshots: &Path, prefix: &str) -> Vec<Vec<(String, Vec<u8>)>> {
    let mut names: Vec<PathBuf> = fs::read_dir(snapshots)
        .expect("tests/tests/snapshots")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    names.sort();
    names
        .iter()
        .map(|path| {
            let text = fs::read_to_string(path).expect("a snapshot");
            text.lines()
                .filter_map(|l| {
                    l.strip_prefix("C: ")
                        .map(|s| ("C".to_string(), s))
                        .or_else(|| l.split_once(" -> ").map(|(n, s)| (n.to_string(), s)))
                })
                .map(|(name, sent)| (name, unescape(sent)))
                .collect()
        })
        .collect()
}

/// The parsers' seeds: the HTTP request heads, the FTP and FTP-server
/// command lines (one by one and as whole sessions), the chat lines.
fn parser_seeds(target: &str, snapshots: &Path) -> Vec<Vec<u8>> {
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    let prefixes: &[&str] = match target {
        "http" => &["http_"],
        "ftp" => &["ftp_transcript", "ftpd_"],
        _ => &["chat_"],
    };
    for prefix in prefixes {
        for transcript in transcripts(snapshots, prefix) {
            let sent: Vec<Vec<u8>> = transcript.into_iter().map(|(_, s)| s).collect();
            if target == "http" {
                inputs.extend(http_heads(&sent));
            } else {
                inputs.push(sent.concat());
                inputs.extend(sent);
            }
        }
    }
    inputs
}

/// One seed per request head (up to and with its blank line).
fn http_heads(sent: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut heads = Vec::new();
    let mut head = Vec::new();
    for line in sent {
        head.extend_from_slice(line);
        if line == b"\r\n" {
            heads.push(std::mem::take(&mut head));
        }
    }
    heads
}

/// One event of the chat machines' inputs: `[what | who << 3, length, bytes]`.
fn event(what: u8, who: usize, bytes: &[u8]) -> Vec<u8> {
    let bytes = &bytes[..bytes.len().min(255)];
    [
        &[what | ((who as u8 % 4) << 3), bytes.len() as u8][..],
        bytes,
    ]
    .concat()
}

/// The state machines' seeds, in each target's input format (see
/// `tests/src/machines/`).
fn machine_seeds(target: &str, snapshots: &Path) -> Vec<Vec<u8>> {
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    match target {
        "http-loop" => {
            for transcript in transcripts(snapshots, "http_") {
                let sent: Vec<Vec<u8>> = transcript.into_iter().map(|(_, s)| s).collect();
                // Flags and read lengths first (Script::from_fuzz).
                inputs.push([&[0u8, 0][..], &sent.concat()].concat());
                inputs.push([&[3u8, 7][..], &sent.concat()].concat());
                for head in http_heads(&sent) {
                    inputs.push([&[2u8, 0][..], &head].concat());
                }
            }
        }
        "http-range" => {
            for range in [
                &b"bytes=0-9"[..],
                b"bytes=-5",
                b"bytes=100-",
                b"bytes=0-0,5-9",
                b"bytes=5-1",
                b"bytes=0-9|\"x\"",
            ] {
                for file in 0..5u8 {
                    inputs.push([&[file][..], range].concat());
                }
            }
        }
        "http-conditional" => {
            for fields in [
                &b"*"[..],
                b"\"x\"|Sun, 06 Nov 1994 08:49:37 GMT",
                b"|Sun, 06 Nov 2094 08:49:37 GMT",
                b"|Sunday, 06-Nov-94 08:49:37 GMT|\"x\"|bytes=0-4",
                b"W/\"x\", \"y\"|||bytes=-3",
            ] {
                for file in 0..5u8 {
                    inputs.push([&[file][..], fields].concat());
                }
            }
        }
        "http-path" => {
            for transcript in transcripts(snapshots, "http_") {
                for (_, line) in transcript {
                    if let Some(target) = line.split(|&b| b == b' ').nth(1) {
                        if let Some(rest) = target.strip_prefix(b"/") {
                            inputs.push([&[0u8][..], rest].concat());
                        }
                    }
                }
            }
            for prefix in 0..8u8 {
                inputs.push(vec![prefix]);
                inputs.push([&[prefix][..], b"secret.txt"].concat());
            }
        }
        "ftp-session" => {
            for transcript in transcripts(snapshots, "ftp_transcript") {
                let sent: Vec<Vec<u8>> = transcript.into_iter().map(|(_, s)| s).collect();
                inputs.push([&[0u8, 0][..], &sent.concat()].concat());
                inputs.push([&[0u8, 9][..], &sent.concat()].concat());
            }
        }
        "ftpd-session" => {
            for transcript in transcripts(snapshots, "ftpd_") {
                let sent: Vec<Vec<u8>> = transcript.into_iter().map(|(_, s)| s).collect();
                inputs.push(sent.concat());
            }
        }
        "chat-room" | "chat-udp" => {
            let (prefix, message) = if target == "chat-room" {
                ("chat_tcp", 1)
            } else {
                ("chat_udp", 0)
            };
            for transcript in transcripts(snapshots, prefix) {
                let mut who: Vec<String> = Vec::new();
                let mut session = Vec::new();
                for (name, line) in transcript {
                    let index = match who.iter().position(|n| *n == name) {
                        Some(index) => index,
                        None => {
                            who.push(name);
                            if message == 1 {
                                session.extend(event(0, who.len() - 1, b""));
                            }
                            who.len() - 1
                        }
                    };
                    session.extend(event(message, index, &line));
                    inputs.push([&[0u8][..], &event(message, index, &line)].concat());
                }
                for index in 0..who.len() {
                    session.extend(event(3, index, b""));
                }
                inputs.push([&[0u8][..], &session].concat());
                inputs.push([&[3u8][..], &session].concat());
            }
        }
        _ => {
            for transcript in transcripts(snapshots, "echo_") {
                let sent: Vec<Vec<u8>> = transcript.into_iter().map(|(_, s)| s).collect();
                inputs.push(sent.concat());
                inputs.extend(sent);
            }
        }
    }
    inputs
}

/// `\r`, `\n`, `\t` and `\\` as the transcripts write them.
fn unescape(line: &str) -> Vec<u8> {
    line.replace("\\r", "\r")
        .replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("\\\\", "\\")
        .into_bytes()
}
