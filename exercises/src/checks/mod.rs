//! One check per exercise. Each is generic over the learner's code (a handler
//! factory, a function, a type), so the same check runs against the learner's
//! file (`src/bin/exNN.rs`) and against the reference solution (`src/bin/solutions.rs`).

pub mod ex01;
pub mod ex02;
pub mod ex03;
pub mod ex04;
pub mod ex05;
pub mod ex06;
pub mod ex07;
pub mod ex08;
pub mod ex09;
pub mod ex10;
pub mod ex11;
pub mod ex12;
pub mod ex13;
pub mod ex14;
pub mod ex15;
pub mod ex16;
pub mod ex17;
