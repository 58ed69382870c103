//! Check of exercise 17: the process pool, run in a process of its own and
//! driven through its standard input; its children are read from /proc.

use std::io::{self, BufRead};
use std::process::ExitCode;
use std::time::Duration;

use crate::kit::{self, Checker, ServeChild, StepResult, expect_eq};

/// Results of a map: each job's result and the pid of the worker that computed it.
pub type Results = Vec<(u64, u32)>;

/// The pool's functions, as the learner's file (or the solution) has them.
pub struct PoolCalls<P> {
    /// `Pool::new(size)`.
    pub new: fn(usize) -> io::Result<P>,
    /// `Pool::pids(&pool)`.
    pub pids: fn(&P) -> Vec<u32>,
    /// `Pool::map(&mut pool, jobs)`.
    pub map: fn(&mut P, &[u64]) -> io::Result<Results>,
    /// `Pool::close(pool)`.
    pub close: fn(P) -> io::Result<()>,
}

/// The number of workers the check asks for.
const WORKERS: usize = 3;

/// In the pool's process: obeys `map N N N...` and `close` typed on stdin.
fn serve<P>(calls: PoolCalls<P>) -> ExitCode {
    let mut pool = match (calls.new)(WORKERS) {
        Ok(pool) => Some(pool),
        Err(err) => {
            println!("Pool::new failed: {err}");
            return ExitCode::FAILURE;
        }
    };
    let pids = pool.as_ref().map(calls.pids).unwrap_or_default();
    println!("pool ready: {pids:?}");
    for line in io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        match (words.first(), pool.as_mut()) {
            (Some(&"map"), Some(p)) => {
                let jobs: Vec<u64> = words[1..].iter().filter_map(|w| w.parse().ok()).collect();
                match (calls.map)(p, &jobs) {
                    Ok(results) => {
                        let shown: Vec<String> = results
                            .iter()
                            .map(|(r, pid)| format!("{r}@{pid}"))
                            .collect();
                        println!("results: {}", shown.join(" "));
                    }
                    Err(err) => println!("results: map failed: {err}"),
                }
            }
            (Some(&"close"), Some(_)) => match pool.take().map(calls.close) {
                Some(Ok(())) => println!("closed"),
                Some(Err(err)) => println!("closed: close failed: {err}"),
                None => {}
            },
            _ => {}
        }
    }
    ExitCode::SUCCESS
}

/// Parses `results: 1@42 4@43 ...`.
fn parse_results(line: &str) -> Result<Vec<(u64, u32)>, String> {
    let rest = line.trim_start_matches("results: ");
    rest.split_whitespace()
        .map(|item| {
            let (r, pid) = item.split_once('@').ok_or_else(|| rest.to_string())?;
            Ok((
                r.parse().map_err(|_| rest.to_string())?,
                pid.parse().map_err(|_| rest.to_string())?,
            ))
        })
        .collect::<Result<_, String>>()
        .map_err(|what| format!("map did not return results: {what}"))
}

/// Parses `pool ready: [1, 2, 3]`.
fn parse_pids(line: &str) -> Vec<u32> {
    line.trim_start_matches("pool ready: ")
        .trim_matches(['[', ']'])
        .split(", ")
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Runs the check on the pool's functions.
pub fn run<P>(calls: PoolCalls<P>) -> ExitCode {
    if kit::serve_mode() {
        return serve(calls);
    }
    let mut check = Checker::new("17");
    let mut started = None;
    check.step(
        "Pool::new(3) forks 3 worker processes (this part is given)",
        || {
            let pool = ServeChild::start_program_with_terminal()?;
            let line = pool
                .wait_for("pool ready", Duration::from_secs(10))
                .ok_or("no line \"pool ready\" within 10 s")?;
            let mut workers = parse_pids(&line);
            workers.sort();
            let mut children = kit::child_processes(pool.pid());
            children.sort();
            expect_eq("the pool's children", workers.clone(), children)?;
            expect_eq("the number of workers", WORKERS, workers.len())?;
            started = Some((pool, workers));
            Ok(())
        },
    );
    let Some((mut pool, workers)) = started else {
        return check.finish();
    };
    let jobs: Vec<u64> = (1..=12).collect();
    let mut first = Vec::new();
    let map = |pool: &mut ServeChild| -> Result<Vec<(u64, u32)>, String> {
        let line = jobs
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        pool.type_line(&format!("map {line}"))?;
        let reply = pool
            .wait_for("results: ", Duration::from_secs(5))
            .ok_or("map returned nothing within 5 s")?;
        parse_results(&reply)
    };
    check.step(
        "map(1..=12) returns every square, in the jobs' order",
        || {
            first = map(&mut pool)?;
            let values: Vec<u64> = first.iter().map(|(r, _)| *r).collect();
            expect_eq(
                "the results",
                jobs.iter().map(|j| j * j).collect::<Vec<_>>(),
                values,
            )
        },
    );
    let by_workers = |results: &[(u64, u32)]| -> StepResult {
        for (i, (_, pid)) in results.iter().enumerate() {
            if !workers.contains(pid) {
                return Err(format!(
                    "job {} was computed by process {pid}, which is not one of the workers {workers:?}",
                    i + 1
                ));
            }
        }
        Ok(())
    };
    check.step(
        "the jobs are computed by the workers, not the parent",
        || by_workers(&first),
    );
    check.step(
        "the work is shared: every worker computes some of it",
        || {
            let mut used: Vec<u32> = first.iter().map(|(_, pid)| *pid).collect();
            used.sort();
            used.dedup();
            expect_eq(
                "the number of workers that computed jobs",
                WORKERS,
                used.len(),
            )
        },
    );
    check.step(
        "a second map reuses the same workers (a pool forks once)",
        || {
            let second = map(&mut pool)?;
            by_workers(&second)?;
            expect_eq(
                "the pool's children after two maps",
                WORKERS,
                kit::child_processes(pool.pid()).len(),
            )
        },
    );
    check.step(
        "close() ends the workers and reaps them: no child, no zombie left",
        || {
            pool.type_line("close")?;
            pool.wait_for("closed", Duration::from_secs(5))
                .ok_or("close() did not return within 5 s")?;
            let zombies = kit::zombie_children(pool.pid());
            if !zombies.is_empty() {
                return Err(format!(
                    "zombie workers {zombies:?}: they exited but close() never waited for them"
                ));
            }
            expect_eq(
                "the pool's children after close()",
                Vec::<u32>::new(),
                kit::child_processes(pool.pid()),
            )
        },
    );
    check.finish()
}
