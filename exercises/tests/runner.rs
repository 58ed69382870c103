//! The runner's commands that need no build: hints and wrong numbers.
//! (`cargo exercise NN` itself runs cargo, which cannot run inside
//! `cargo test`; tests/dev_check.rs runs the check programs directly.)

mod common;

/// Runs the runner with `args`, under the common deadline.
fn runner(args: &[&str]) -> (Option<i32>, String) {
    common::run_check(env!("CARGO_BIN_EXE_exercise"), args)
}

#[test]
fn hint_prints_the_hint_of_that_exercise() {
    for number in ["09", "9"] {
        let (code, text) = runner(&["hint", number]);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains("Hint for exercise 09"), "{text}");
        assert!(text.contains("sync_channel"), "{text}");
    }
}

#[test]
fn unknown_exercises_and_bad_usage_are_refused_clearly() {
    let (code, text) = runner(&["99"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("there is no exercise \"99\""), "{text}");
    let (code, text) = runner(&["hint", "x"]);
    assert_eq!(code, Some(2), "{text}");
    let (code, text) = runner(&["01", "02", "03"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("usage: cargo exercise NN"), "{text}");
}
