//! The watch mode, as rustlings has it: check the first unfinished
//! exercise, check it again each time its file is saved, go on to the next
//! when it passes. Keys: `n` next, `h` hint, `l` list, `q` quit.
//!
//! Two sources of events feed one channel: a `notify` watcher on the
//! exercises' directory (a save is often a rename of a new file over the
//! old one, so the directory is watched, not the file) and a thread that
//! reads keys from the terminal.

use std::ffi::OsString;
use std::io::{self, IsTerminal, Read};
use std::os::fd::AsFd;
use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::Duration;

use nix::sys::termios::{self, LocalFlags, SetArg, Termios};
use notify::{RecursiveMode, Watcher};

use exercises::catalogue::{EXERCISES, Exercise};
use exercises::progress::{Progress, exercises_dir};

use super::{Outcome, check, print_hint, print_list};

/// What the watch loop waits for.
enum Event {
    /// A file of the exercises' directory changed (its name).
    Saved(OsString),
    /// A key was pressed.
    Key(u8),
}

/// Editors write a file in several steps (truncate, write, rename...):
/// events closer together than this are one save.
const SETTLE: Duration = Duration::from_millis(150);

/// Runs the watch mode until every exercise is done or `q` is pressed.
pub fn watch() -> ExitCode {
    let dir = exercises_dir();
    // The exercises present in the directory (a copy may hold only some).
    let exercises: Vec<&'static Exercise> = EXERCISES
        .iter()
        .filter(|ex| dir.join(ex.file).exists())
        .collect();
    let mut progress = Progress::load();
    let Some(mut current) = next_unfinished(&exercises, &progress, None) else {
        all_done(&exercises);
        return ExitCode::SUCCESS;
    };
    let (events, received) = mpsc::channel();
    // Kept alive for the whole loop: dropping the watcher stops it.
    let _watcher = match watch_directory(&dir, events.clone()) {
        Ok(watcher) => watcher,
        Err(err) => {
            eprintln!("cannot watch {}: {err}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    let _terminal = KeyMode::enter();
    read_keys(events);
    loop {
        let ex = exercises[current];
        println!("\n━━ exercise {} · {} ━━", ex.number, ex.title);
        if check(ex, &mut progress) == Outcome::Done {
            match next_unfinished(&exercises, &progress, Some(current)) {
                Some(next) => {
                    println!(
                        "On to exercise {} (press q to stop here).",
                        exercises[next].number
                    );
                    current = next;
                    continue;
                }
                None => {
                    all_done(&exercises);
                    return ExitCode::SUCCESS;
                }
            }
        }
        println!(
            "\nWatching {}: save it to check again.  keys: n next · h hint · l list · q quit",
            dir.join(ex.file).display()
        );
        match wait(&received, ex, &exercises, &progress) {
            Wait::Recheck => {}
            Wait::Next => match next_unfinished(&exercises, &progress, Some(current)) {
                Some(next) => current = next,
                None => println!("There is no other unfinished exercise."),
            },
            Wait::Quit => {
                println!("Bye. Your progress is kept; `cargo watch-exercises` goes on from here.");
                return ExitCode::SUCCESS;
            }
        }
    }
}

/// What ended a wait.
enum Wait {
    /// The exercise's file was saved.
    Recheck,
    /// `n`.
    Next,
    /// `q`, or no event can come any more.
    Quit,
}

/// Waits for a save of `ex`'s file or a key that changes exercise.
fn wait(
    received: &Receiver<Event>,
    ex: &Exercise,
    exercises: &[&Exercise],
    progress: &Progress,
) -> Wait {
    loop {
        match received.recv() {
            Ok(Event::Saved(name)) if name == ex.file => {
                // Let the editor finish writing: swallow the rest of this save.
                while !matches!(
                    received.recv_timeout(SETTLE),
                    Err(RecvTimeoutError::Timeout)
                ) {}
                return Wait::Recheck;
            }
            Ok(Event::Saved(_)) => {}
            Ok(Event::Key(b'n')) => return Wait::Next,
            Ok(Event::Key(b'h')) => {
                println!();
                print_hint(ex);
            }
            Ok(Event::Key(b'l')) => {
                println!();
                print_list(progress, &[]);
                let here: Vec<&str> = exercises.iter().map(|e| e.number).collect();
                if here.len() < EXERCISES.len() {
                    println!("(in {}: {})", exercises_dir().display(), here.join(", "));
                }
            }
            Ok(Event::Key(b'q')) | Err(_) => return Wait::Quit,
            Ok(Event::Key(_)) => {}
        }
    }
}

/// The first exercise not done, searching after `after` and wrapping
/// around (`None`: from the start), never `after` itself.
fn next_unfinished(
    exercises: &[&Exercise],
    progress: &Progress,
    after: Option<usize>,
) -> Option<usize> {
    let n = exercises.len();
    let start = after.map_or(0, |i| i + 1);
    (0..n)
        .map(|k| (start + k) % n)
        .filter(|&i| Some(i) != after)
        .find(|&i| !progress.is_done(exercises[i].number))
}

fn all_done(exercises: &[&Exercise]) {
    println!(
        "\nAll {} exercises are done. 恭喜! `cargo exercises` lists them.",
        exercises.len()
    );
}

/// Sends an event for every change in `dir`.
fn watch_directory(dir: &Path, events: Sender<Event>) -> notify::Result<impl Watcher> {
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        // Only writes and renames matter; an access (the compiler reading
        // the file) must not trigger another check.
        if event.kind.is_access() {
            return;
        }
        for path in event.paths {
            if let Some(name) = path.file_name() {
                let _ = events.send(Event::Saved(name.to_os_string()));
            }
        }
    })?;
    watcher.watch(dir, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// Reads keys on a thread of its own; it ends when the terminal closes.
fn read_keys(events: Sender<Event>) {
    thread::spawn(move || {
        let mut byte = [0u8; 1];
        let mut stdin = io::stdin().lock();
        while let Ok(1) = stdin.read(&mut byte) {
            if events.send(Event::Key(byte[0])).is_err() {
                break;
            }
        }
    });
}

/// The terminal in "one key at a time" mode (no Enter needed, no echo),
/// put back as it was when this is dropped or on Ctrl+C. Nothing changes
/// when the input is not a terminal (a pipe, in the tests).
struct KeyMode {
    saved: Option<Termios>,
}

impl KeyMode {
    fn enter() -> KeyMode {
        let stdin = io::stdin();
        if !stdin.is_terminal() {
            return KeyMode { saved: None };
        }
        let Ok(saved) = termios::tcgetattr(stdin.as_fd()) else {
            return KeyMode { saved: None };
        };
        let mut keys = saved.clone();
        // Not canonical: a read returns each key at once. ISIG stays on, so
        // Ctrl+C still sends SIGINT, handled below.
        keys.local_flags
            .remove(LocalFlags::ICANON | LocalFlags::ECHO);
        let _ = termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &keys);
        let on_ctrl_c = saved.clone();
        let _ = ctrlc::set_handler(move || {
            let _ = termios::tcsetattr(io::stdin().as_fd(), SetArg::TCSANOW, &on_ctrl_c);
            std::process::exit(130);
        });
        KeyMode { saved: Some(saved) }
    }
}

impl Drop for KeyMode {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = termios::tcsetattr(io::stdin().as_fd(), SetArg::TCSANOW, saved);
        }
    }
}
