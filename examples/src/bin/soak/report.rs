//! The figures of one run, the targets judged on them, and the
//! table of every run.

use crate::sample::{Sample, growth};

/// The most RSS and descriptor growth from the 10th second to the end
/// that counts as flat, in percent (issue 15's target).
pub const FLAT: f64 = 10.0;

/// What one run of one server in one model measured.
pub struct Figures {
    /// `ftp-server`...
    pub program: &'static str,
    /// The model, or `-` for a server with only one.
    pub model: String,
    /// Seconds of load.
    pub secs: f64,
    /// Well-formed sessions done, errors, faults sent.
    pub done: u64,
    /// Wrong answers or none (on well-formed sessions, or a fault's
    /// answer that is specified).
    pub errors: u64,
    /// Faults sent.
    pub faults: u64,
    /// The first errors' texts.
    pub first_errors: Vec<String>,
    /// Before the load.
    pub start: Sample,
    /// At the 10th second (absent in a shorter run).
    pub ten: Option<Sample>,
    /// After the load, once the server settled (or 5 s passed).
    pub end: Sample,
    /// The most zombies seen at once.
    pub max_zombies: usize,
    /// Zombies seen in two samples a second apart.
    pub outlived: usize,
    /// How the server died, if it did.
    pub died: Option<String>,
    /// What the directory check after the run found wrong.
    pub after: Option<String>,
    /// The server's stderr lines (a panic shows there).
    pub stderr: Vec<String>,
}

/// One of the targets: passed, failed, or not judged (a run shorter
/// than 10 s has no "from the 10th second").
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Met.
    Pass,
    /// Missed.
    Fail,
    /// Not measurable in this run.
    NotJudged,
}

impl Verdict {
    fn of(ok: bool) -> Verdict {
        if ok { Verdict::Pass } else { Verdict::Fail }
    }

    fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::NotJudged => "n/a",
        }
    }
}

impl Figures {
    /// RSS growth from the 10th second to the end, percent.
    pub fn rss_growth(&self) -> Option<f64> {
        self.ten.map(|t| growth(t.rss_kib, self.end.rss_kib))
    }

    /// Descriptor growth from the 10th second to the end, percent.
    pub fn fd_growth(&self) -> Option<f64> {
        self.ten.map(|t| growth(t.fds as u64, self.end.fds as u64))
    }

    /// The targets: 0 errors (and the server alive, no panic on its
    /// stderr, nothing partial left),
    /// RSS flat, descriptors flat, no zombie outliving a reap, no hung
    /// session: 5 s after the load, no child process left and no more
    /// descriptors open than before it.
    pub fn verdicts(&self) -> [(&'static str, Verdict); 5] {
        let flat = |g: Option<f64>| g.map_or(Verdict::NotJudged, |g| Verdict::of(g <= FLAT));
        [
            (
                "errors",
                Verdict::of(
                    self.errors == 0
                        && self.died.is_none()
                        && self.after.is_none()
                        && !self.stderr.iter().any(|l| l.contains("panicked")),
                ),
            ),
            ("RSS", flat(self.rss_growth())),
            ("fds", flat(self.fd_growth())),
            (
                "zombies",
                Verdict::of(self.outlived == 0 && self.end.zombies == 0),
            ),
            (
                "hangs",
                Verdict::of(self.end.children == 0 && self.end.fds <= self.start.fds),
            ),
        ]
    }

    /// Whether no target failed.
    pub fn passed(&self) -> bool {
        self.verdicts().iter().all(|(_, v)| *v != Verdict::Fail)
    }

    /// The run's block of text.
    pub fn print(&self) {
        let ten = |f: fn(&Sample) -> String| self.ten.as_ref().map_or("-".to_string(), f);
        let percent = |g: Option<f64>| g.map_or("-".to_string(), |g| format!("{g:+.1}%"));
        println!(
            "{} (model {}, {:.0} s): {} requests ({:.0}/s), {} errors, {} faults sent",
            self.program,
            self.model,
            self.secs,
            self.done,
            self.done as f64 / self.secs.max(0.001),
            self.errors,
            self.faults
        );
        println!(
            "  RSS KiB: start {}, 10 s {}, end {} ({} from 10 s)",
            self.start.rss_kib,
            ten(|s| s.rss_kib.to_string()),
            self.end.rss_kib,
            percent(self.rss_growth())
        );
        println!(
            "  fds: start {}, 10 s {}, end {} ({} from 10 s); threads: 10 s {}, end {}",
            self.start.fds,
            ten(|s| s.fds.to_string()),
            self.end.fds,
            percent(self.fd_growth()),
            ten(|s| s.threads.to_string()),
            self.end.threads
        );
        println!(
            "  children: at most {} zombies at once, {} outlived a reap; {} children left at the end",
            self.max_zombies, self.outlived, self.end.children
        );
        for error in &self.first_errors {
            println!("  error: {error}");
        }
        if let Some(died) = &self.died {
            println!("  the server died: {died}");
        }
        if let Some(after) = &self.after {
            println!("  after the run: {after}");
        }
        if !self.stderr.is_empty() {
            // The framework reports a request's error there (a reset by
            // a vanished client, say); a panic shows there too.
            let panics = self
                .stderr
                .iter()
                .filter(|l| l.contains("panicked"))
                .count();
            println!(
                "  server stderr: {} lines, {panics} with \"panicked\"; the first: {:?}",
                self.stderr.len(),
                self.stderr
                    .iter()
                    .find(|l| !l.starts_with("---"))
                    .unwrap_or(&self.stderr[0])
            );
        }
        let verdicts: Vec<String> = self
            .verdicts()
            .iter()
            .map(|(what, v)| format!("{what} {}", v.word()))
            .collect();
        println!("  targets: {}", verdicts.join(", "));
    }
}

/// The table of every run, in Markdown.
pub fn print_table(runs: &[Figures]) {
    println!();
    println!(
        "| server | model | s | requests | errors | faults | RSS KiB start / 10 s / end | RSS growth | fds start / 10 s / end | fd growth | max zombies | outlived | result |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for f in runs {
        let ten_rss = f.ten.map_or("-".to_string(), |t| t.rss_kib.to_string());
        let ten_fds = f.ten.map_or("-".to_string(), |t| t.fds.to_string());
        let percent = |g: Option<f64>| g.map_or("-".to_string(), |g| format!("{g:+.1}%"));
        println!(
            "| {} | {} | {:.0} | {} | {} | {} | {} / {} / {} | {} | {} / {} / {} | {} | {} | {} | {} |",
            f.program,
            f.model,
            f.secs,
            f.done,
            f.errors,
            f.faults,
            f.start.rss_kib,
            ten_rss,
            f.end.rss_kib,
            percent(f.rss_growth()),
            f.start.fds,
            ten_fds,
            f.end.fds,
            percent(f.fd_growth()),
            f.max_zombies,
            f.outlived,
            if f.passed() { "PASS" } else { "FAIL" }
        );
    }
}
