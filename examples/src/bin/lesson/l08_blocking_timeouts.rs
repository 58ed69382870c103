//! Not written yet.

use crate::LessonResult;

/// Runs the lesson.
pub fn run() -> LessonResult {
    Err("this lesson is not written yet".into())
}
