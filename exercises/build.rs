//! Points each exercise's check program (`src/bin/exNN.rs`) at the
//! learner's file: `exercises/src/exNN_*.rs`, or the file of the same name
//! under `$EXERCISES_DIR` when that is set (the watch mode's test works on a
//! copy, so that it never touches the learner's own files).
//!
//! For each `src/exNN_*.rs` it writes `$OUT_DIR/exNN_*.rs`, one line:
//! `#[path = "<dir>/exNN_*.rs"] mod exercise;`, which the check program
//! includes. (`#[path]` takes only a literal, hence the generated line.)

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    println!("cargo::rerun-if-env-changed=EXERCISES_DIR");
    // A new exercise comes with a new check program: list the files again.
    println!("cargo::rerun-if-changed=src/bin");
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let shipped = manifest.join("src");
    let dir = env::var_os("EXERCISES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| shipped.clone());
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    for entry in fs::read_dir(&shipped).expect("exercises/src is readable") {
        let name = entry.expect("a directory entry").file_name();
        let Some(name) = name.to_str() else { continue };
        let is_exercise = name.starts_with("ex")
            && name.ends_with(".rs")
            && name[2..].chars().take(2).all(|c| c.is_ascii_digit());
        if is_exercise {
            let path = dir.join(name);
            let line = format!("#[path = {:?}]\nmod exercise;\n", path.to_string_lossy());
            fs::write(out.join(name), line).expect("OUT_DIR is writable");
        }
    }
}
