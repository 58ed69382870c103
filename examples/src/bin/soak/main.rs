//! soak (`cargo soak`, `just soak`): every server for a stated time under
//! load from its own clients, with faults mixed in, and what that did to it.
//!
//! ```text
//! cargo soak [-- --seconds 60 --clients 8 --only http,echo,ftp,ftpd,chat --model MODEL|all]
//! ```
//!
//! The servers run as this process's own executable started again
//! (`soak __ftp-server ...`), so the figures are of the code just built.
//! Each client thread loops until the time is up; of every ten exchanges
//! six are well-formed sessions whose answers are checked and four are
//! faults (clients that vanish mid-command or mid-transfer, half-closed
//! sockets, slow readers, oversized lines, broken uploads). One module per
//! server holds its load generator: [`http`], [`echo`], [`ftp`] (the
//! course's L/G/P/Q server), [`ftpd`] (RFC 959), [`chat`] (the TCP room).
//!
//! Every second the server is sampled ([`sample`]): RSS, descriptors,
//! threads, children and zombies. Printed per run: requests done, errors,
//! faults sent, RSS and fds at the start, at 10 s and at the end with the
//! growth from the 10th second, the most zombies seen at once, and PASS or
//! FAIL for each of issue 15's targets ([`report`]). `--model all` runs
//! each server in every model it has; without `--model`, each runs in its
//! default. Exits 1 if any target failed.

mod chat;
mod content;
mod echo;
mod ftp;
mod ftpd;
mod http;
mod load;
mod net;
mod report;
mod sample;
mod server;

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;

use load::{Counts, Target};
use report::Figures;
use sample::Sampler;
use server::Running;

/// Soak every server under load with faults.
#[derive(Parser)]
#[command(name = "soak")]
struct Args {
    /// Seconds of load per server and model.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Client threads.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Only these servers (comma-separated): http, echo, ftp, ftpd, chat.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The model to run each server in (`all`: every model it has; default:
    /// each one's own). A server without that model is skipped.
    #[arg(long)]
    model: Option<String>,
    /// Print every sample (once a second: RSS, fds, threads, children, zombies).
    #[arg(long)]
    samples: bool,
}

/// How long the server may take, after the load, to close what the last
/// clients left and reap its children.
const SETTLE: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let argv: Vec<_> = std::env::args_os().collect();
    if let Some(code) = server::run_if_asked(&argv) {
        return code;
    }
    let args = Args::parse_from(argv);
    let targets: [&dyn Target; 5] = [
        &http::Http,
        &echo::Echo,
        &ftp::Ftp::new(),
        &ftpd::Ftpd::new(),
        &chat::Chat,
    ];
    if let Some(unknown) = args
        .only
        .iter()
        .find(|name| !targets.iter().any(|t| t.name() == name.as_str()))
    {
        eprintln!("soak: no server called {unknown:?} (http, echo, ftp, ftpd, chat)");
        return ExitCode::FAILURE;
    }
    let mut runs = Vec::new();
    let mut all_good = true;
    for target in targets {
        if !args.only.is_empty() && !args.only.iter().any(|name| name == target.name()) {
            continue;
        }
        for model in models(target, args.model.as_deref()) {
            match soak(target, model, &args) {
                Ok(figures) => {
                    figures.print();
                    all_good &= figures.passed();
                    runs.push(figures);
                }
                Err(err) => {
                    eprintln!("soak: {}: {err}", target.program());
                    all_good = false;
                }
            }
        }
    }
    report::print_table(&runs);
    if all_good {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The models to run `target` in: `None` is "the server's default".
fn models(target: &dyn Target, asked: Option<&str>) -> Vec<Option<&'static str>> {
    let all = target.models();
    match asked {
        None => vec![None],
        Some("all") if all.is_empty() => vec![None],
        Some("all") => all.iter().map(|&m| Some(m)).collect(),
        Some(model) => match all.iter().find(|&&m| m == model) {
            Some(&m) => vec![Some(m)],
            None => {
                println!("{}: no model {model}, skipped", target.program());
                Vec::new()
            }
        },
    }
}

/// Takes one client thread off the count of those running when dropped.
struct Finished<'a>(&'a AtomicUsize);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Release);
    }
}

/// One run: the server started in `model`, `--clients` threads of load
/// for `--seconds`, a sample every second, then the figures.
fn soak(target: &dyn Target, model: Option<&str>, args: &Args) -> Result<Figures, String> {
    let served = tempfile::tempdir().map_err(|e| e.to_string())?;
    let logs = tempfile::tempdir().map_err(|e| e.to_string())?;
    target
        .prepare(served.path())
        .map_err(|e| format!("cannot prepare the served files: {e}"))?;
    let mut server_args = target.server_args(served.path());
    if let Some(model) = model {
        server_args.extend(["--model".to_string(), model.to_string()]);
    }
    let stderr = logs.path().join("stderr");
    let mut server = Running::start(target.program(), &server_args, &stderr)?;
    let port = server.port;
    let dir = served.path();
    let counts = Counts::default();
    let mut sampler = Sampler::new(server.pid());
    let start = sampler.take();
    let end = Instant::now() + Duration::from_secs(args.seconds);
    let clients = args.clients as u64;
    let running = AtomicUsize::new(args.clients);
    std::thread::scope(|scope| {
        for client in 0..clients {
            let (counts, running) = (&counts, &running);
            scope.spawn(move || {
                // Counted out even if the thread panics, so that the
                // sampling below ends (the scope then reports the panic).
                let _finished = Finished(running);
                let mut n = client;
                while Instant::now() < end {
                    counts.note(target.exchange(port, dir, n));
                    n += clients;
                }
            });
        }
        // A sample every second until the last client has finished.
        let mut next = 1;
        while running.load(Ordering::Acquire) > 0 {
            let due = Duration::from_secs(next);
            std::thread::sleep(
                due.saturating_sub(sampler.elapsed())
                    .min(Duration::from_millis(100)),
            );
            if sampler.elapsed() >= due {
                let sample = sampler.take();
                if args.samples {
                    println!(
                        "  {:>5.1} s: RSS {} KiB, {} fds, {} threads, {} children, {} zombies",
                        sample.secs,
                        sample.rss_kib,
                        sample.fds,
                        sample.threads,
                        sample.children,
                        sample.zombies
                    );
                }
                next += 1;
            }
        }
    });
    let secs = sampler.elapsed().as_secs_f64();
    // Let the server close what the last clients left and reap its children.
    let settle_end = Instant::now() + SETTLE;
    let mut last = sampler.take();
    while Instant::now() < settle_end && (last.children > 0 || last.fds > start.fds) {
        std::thread::sleep(Duration::from_millis(250));
        last = sampler.take();
    }
    let died = server.exit_status();
    drop(server);
    let max_zombies = sampler.max_zombies();
    Ok(Figures {
        program: target.program(),
        model: model
            .unwrap_or(target.models().first().copied().unwrap_or("-"))
            .to_string(),
        secs,
        done: counts.done.into_inner(),
        errors: counts.errors.into_inner(),
        faults: counts.faults.into_inner(),
        first_errors: counts.first_errors.into_inner(),
        start,
        ten: sampler.at(10.0).filter(|_| secs >= 10.0),
        end: last,
        max_zombies,
        outlived: sampler.outlived.len(),
        died,
        after: target.check_after(served.path()).err(),
        stderr: std::fs::read_to_string(&stderr)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect(),
    })
}
