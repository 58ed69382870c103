//! Lesson 15: threads (线程) and the GIL question (GIL问题) — the course's
//! timing table redone in Rust, and daemon threads.

pub mod daemon;
pub mod jobs;

use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use examples::lesson_kit::{Program, heading, program_command, read_next, say};

use crate::LessonResult;
use crate::common_b::{expect_line, pad};

/// How many jobs each way runs (the course ran 10).
const JOBS: usize = 10;
/// The CPU and file jobs are sized to take about this long each, alone.
const JOB_MILLIS: f64 = 40.0;
/// The waiting job's blocking wait.
const WAIT_MILLIS: u64 = 50;

/// The course's figures (CPython, seconds): sequential, threads, processes.
const COURSE_CPU: [f64; 3] = [8.96, 9.48, 4.48];
const COURSE_IO: [f64; 3] = [3.91, 3.85, 2.18];

/// One kind of job, sized for this machine.
#[derive(Clone)]
enum Job {
    Cpu(u64),
    FileIo(u64),
    Wait(u64),
}

impl Job {
    fn run(&self, index: usize, dir: &std::path::Path) {
        match self {
            Job::Cpu(n) => {
                std::hint::black_box(jobs::cpu(*n));
            }
            Job::FileIo(n) => {
                let path = dir.join(format!("job-{index}.txt"));
                jobs::file_io(*n, &path).expect("the file job works");
            }
            Job::Wait(ms) => jobs::wait(*ms),
        }
    }

    fn worker_args(&self, index: usize, dir: &std::path::Path) -> Vec<String> {
        match self {
            Job::Cpu(n) => vec!["cpu".into(), n.to_string()],
            Job::FileIo(n) => vec![
                "io".into(),
                n.to_string(),
                dir.join(format!("job-{index}.txt")).display().to_string(),
            ],
            Job::Wait(ms) => vec!["wait".into(), ms.to_string()],
        }
    }
}

/// Runs the lesson.
pub fn run() -> LessonResult {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    say("The course timed 10 CPU jobs and 10 IO jobs in CPython: one after another, in");
    say("10 threads, and in 10 processes. Here are the same shapes of work in Rust,");
    say(&format!(
        "scaled down to ~{JOB_MILLIS:.0} ms per job so the lesson stays short. This machine: {cores} cores."
    ));
    let dir = tempfile::tempdir()?;
    let jobs = [
        ("CPU", calibrate(|n| _ = jobs::cpu(n), 200_000)),
        (
            "file IO",
            calibrate(|n| _ = file_io_probe(n, dir.path()), 2_000),
        ),
    ];
    let kinds = [
        ("CPU", Job::Cpu(jobs[0].1)),
        ("file IO", Job::FileIo(jobs[1].1)),
        ("waiting", Job::Wait(WAIT_MILLIS)),
    ];

    heading("Timing: sequential, threads, processes");
    let mut results = Vec::new();
    for (name, job) in &kinds {
        let seq = time(|| (0..JOBS).for_each(|i| job.run(i, dir.path())));
        let threads = time(|| {
            thread::scope(|scope| {
                for i in 0..JOBS {
                    let job = job.clone();
                    let dir = dir.path();
                    scope.spawn(move || job.run(i, dir));
                }
            })
        });
        let processes = time(|| run_in_processes(job, dir.path()).expect("the workers run"));
        say(&format!(
            "{name:<8} sequential {seq:.2} s, threads {threads:.2} s, processes {processes:.2} s"
        ));
        results.push([seq, threads, processes]);
    }
    print_table(&results);
    explain(cores);
    load_note(cores);

    heading("Daemon threads");
    let mut demo = Program::start("daemon-demo", "daemon-demo", &[])?;
    expect_line(
        demo.wait_for("returning without joining", Duration::from_secs(10)),
        "the daemon demo",
    )?;
    match demo.wait_exit(Duration::from_secs(5)) {
        Some(status) => say(&format!(
            "daemon-demo exited ({status}) although its ticker thread never ends"
        )),
        None => return Err("daemon-demo did not exit".into()),
    }
    read_next(
        "notes/15-threads-and-gil.md",
        &[
            "examples/src/bin/lesson/l15_threads_and_gil.rs (the timing)",
            "examples/src/bin/lesson/l15_threads_and_gil/jobs.rs (the three jobs)",
            "examples/src/bin/lesson/l15_threads_and_gil/daemon.rs (daemon threads)",
        ],
    );
    Ok(())
}

/// Finds how many units of work take about JOB_MILLIS, starting from `probe` units.
fn calibrate(work: impl Fn(u64), mut probe: u64) -> u64 {
    // Grow the probe until it takes long enough to time reliably.
    loop {
        let took = time(|| work(probe));
        if took >= 0.01 || probe > u64::MAX / 4 {
            return ((probe as f64) * (JOB_MILLIS / 1000.0) / took.max(1e-6)).max(1.0) as u64;
        }
        probe *= 2;
    }
}

fn file_io_probe(lines: u64, dir: &std::path::Path) -> u64 {
    jobs::file_io(lines, &dir.join("probe.txt")).unwrap_or(0)
}

/// Seconds taken by `f`.
fn time(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

/// Starts JOBS `gil-worker` processes at once and waits for all of them.
fn run_in_processes(job: &Job, dir: &std::path::Path) -> std::io::Result<()> {
    let mut children: Vec<Child> = Vec::new();
    for i in 0..JOBS {
        let child = program_command("gil-worker")
            .args(job.worker_args(i, dir))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn();
        match child {
            Ok(child) => children.push(child),
            Err(err) => {
                // Leave nothing behind if one fails to start.
                for mut child in children {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                return Err(err);
            }
        }
    }
    for mut child in children {
        let status = child.wait()?;
        if !status.success() {
            return Err(std::io::Error::other(format!("a worker failed: {status}")));
        }
    }
    Ok(())
}

fn print_table(rust: &[[f64; 3]]) {
    heading("The course's table beside Rust's");
    println!(
        "  {}| {}| Rust (this run, scaled down)",
        pad("", 12),
        pad("CPython (course)", 22),
    );
    println!(
        "  {}| {}| CPU               file IO           waiting",
        pad("10 jobs", 12),
        pad("CPU       IO", 22),
    );
    for (row, name) in ["sequential", "threads", "processes"].iter().enumerate() {
        let cell = |kind: usize| {
            let secs = rust[kind][row];
            let speedup = rust[kind][0] / secs.max(1e-9);
            pad(&format!("{secs:.2} s (x{speedup:.1})"), 18)
        };
        println!(
            "  {}| {}| {}{}{}",
            pad(name, 12),
            pad(
                &format!("{:.2} s    {:.2} s", COURSE_CPU[row], COURSE_IO[row]),
                22
            ),
            cell(0),
            cell(1),
            cell(2).trim_end()
        );
    }
    say("(xN = speed-up against sequential; Rust figures vary from run to run.)");
}

/// Says how busy the machine was: other programs on the cores shrink every speed-up.
fn load_note(cores: usize) {
    let load: Option<f64> = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok());
    if let Some(load) = load {
        say(&format!(
            "Load average while measuring: {load:.1} on {cores} cores."
        ));
        if load > cores as f64 * 0.75 {
            say("The cores were busy with other programs, so the parallel runs had little");
            say(&format!(
                "spare CPU to use; on an idle machine CPU threads come close to x{cores}."
            ));
        }
    }
}

fn explain(cores: usize) {
    heading("Why");
    say("CPython's GIL (全局解释器锁) lets only one thread run Python bytecode at a time:");
    say("ten CPU-bound threads take turns on one core, so threads were no faster than");
    say("sequential (9.48 s vs 8.96 s, slower from switching). Processes each have their own");
    say("interpreter and GIL, so they used the cores (4.48 s). A thread gives the GIL up when");
    say("it blocks in IO, which is why Python threads help with slow, blocking IO.");
    say("Rust has no GIL: each thread is an OS thread running machine code on any core, so");
    say(&format!(
        "CPU threads scale like processes, up to the {cores} cores here, without the start-up"
    ));
    say("cost of a process. The compiler's Send/Sync checks make sharing safe instead of a");
    say("global lock. Waiting (network latency) overlaps perfectly in threads and processes;");
    say("file IO on a warm page cache is mostly CPU work in the kernel and scales like CPU.");
}
