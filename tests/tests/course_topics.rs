//! The course's map from topics to lessons (notes/README.md, "The course's
//! topics, where they are") and the lesson notes' closing "Check yourself"
//! sections: every note, section and path the map names exists, every topic
//! of the course's notes is in it, and every lesson note ends with its
//! review questions in Chinese and English.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is in the workspace")
        .to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The rows of the topics table, as cells.
fn topic_rows() -> Vec<Vec<String>> {
    let readme = read(&repo().join("notes/README.md"));
    let section = readme
        .split("## The course's topics, where they are")
        .nth(1)
        .expect("notes/README.md has the topics section");
    section
        .lines()
        .skip_while(|line| !line.starts_with("|---"))
        .skip(1)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            line.trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_string())
                .collect()
        })
        .collect()
}

/// The paths between backticks in a cell.
fn code_paths(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

#[test]
fn every_note_section_and_path_in_the_topics_table_exists() {
    let rows = topic_rows();
    assert!(rows.len() >= 20, "only {} rows", rows.len());
    let mut missing = Vec::new();
    for row in &rows {
        assert_eq!(row.len(), 4, "a row with {} cells: {row:?}", row.len());
        let (topic, lesson, note, code) = (&row[0], &row[1], &row[2], &row[3]);
        // The note and its section.
        let (file, heading) = note
            .split_once(" § ")
            .unwrap_or_else(|| panic!("{topic}: no \"`note` § section\" in {note:?}"));
        let file = file.trim_matches('`');
        assert!(
            file.starts_with(lesson.as_str()),
            "{topic}: note {file} is not lesson {lesson}'s"
        );
        let path = repo().join("notes").join(file);
        if !path.exists() {
            missing.push(format!("{topic}: notes/{file}"));
            continue;
        }
        let text = read(&path);
        let has_heading = text
            .lines()
            .any(|line| line.trim_start_matches('#').trim() == heading && line.starts_with("##"));
        if !has_heading {
            missing.push(format!(
                "{topic}: the section \"{heading}\" of notes/{file}"
            ));
        }
        // The code.
        let paths = code_paths(code);
        assert!(!paths.is_empty(), "{topic}: no code path");
        for p in paths {
            if !repo().join(p).exists() {
                missing.push(format!("{topic}: {p}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the topics table names what does not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_topic_of_the_course_is_in_the_table() {
    let topics: Vec<String> = topic_rows().into_iter().map(|row| row[0].clone()).collect();
    let all = topics.join("\n");
    for wanted in [
        "processes",
        "process states and `ps` STAT letters",
        "nice and priority",
        "orphans and zombies",
        "`Pool`",
        "`Pipe`, `Queue`, `Value`, `Array`",
        "signals",
        "`Event`, `Lock`, `Semaphore`",
        "GIL",
        "server models",
        "`socketserver`",
        "httpserver, second version",
    ] {
        assert!(
            all.contains(wanted),
            "no topic row for {wanted:?} in:\n{all}"
        );
    }
}

#[test]
fn every_lesson_note_ends_with_check_yourself_questions_in_both_languages() {
    let notes = repo().join("notes");
    for n in 1..=20 {
        let prefix = format!("{n:02}-");
        let file = std::fs::read_dir(&notes)
            .expect("notes/")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .find(|name| name.starts_with(&prefix) && name.ends_with(".md"))
            .unwrap_or_else(|| panic!("no note for lesson {n:02}"));
        let text = read(&notes.join(&file));
        let last = text.split("\n## ").last().expect("a note has sections");
        assert!(
            last.starts_with("Check yourself"),
            "{file}: the last section is not \"Check yourself\" but {:?}",
            last.lines().next()
        );
        // Numbered questions: the course's words (Chinese), then English in italics, then an answer.
        let questions: Vec<&str> = last
            .lines()
            .filter(|l| l.starts_with(char::is_numeric))
            .collect();
        assert!(
            questions.len() >= 3,
            "{file}: only {} questions",
            questions.len()
        );
        for q in &questions {
            let chinese = q.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            assert!(
                chinese && q.contains(" — *"),
                "{file}: {q:?} lacks the Chinese or the English"
            );
        }
        let answers = last
            .lines()
            .filter(|l| l.starts_with("   ") && l.trim().len() > 20)
            .count();
        assert_eq!(
            answers,
            questions.len(),
            "{file}: a question without its answer"
        );
    }
}
