//! `process-demo SECTION`: the process demos of lesson 11, each a real fork.
//!
//! Sections: `fork`, `zombie`, `wait`, `nice`, `orphan`, `double-fork`. Every line
//! says which process prints it, with its pid.

use std::ffi::OsString;
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::time::Duration;

use nix::sys::wait::{WaitPidFlag, WaitStatus, wait, waitpid};
use nix::unistd::{getpid, getppid, pipe, read};

use crate::common_b::{fork_child, proc_nice, proc_state, run_section, tell, wait_until};

/// The program: runs one section, then prints `section done`.
pub fn main(args: Vec<OsString>) -> ExitCode {
    run_section(
        "process-demo",
        &args,
        &[
            ("fork", fork_demo),
            ("zombie", zombie),
            ("wait", wait_demo),
            ("nice", nice_demo),
            ("orphan", orphan),
            ("double-fork", double_fork),
        ],
    )
}

type Result = std::result::Result<(), String>;

fn fork_demo() -> Result {
    tell(
        "parent",
        &format!(
            "getpid() = {}, getppid() = {} (the lesson)",
            getpid(),
            getppid()
        ),
    );
    let mut value = 1;
    tell("parent", &format!("value = {value}; calling fork()"));
    let child = fork_child(|| {
        value = 99;
        tell(
            "child ",
            &format!(
                "fork() returned 0 here; getpid() = {}, getppid() = {}; I set value = {value}",
                getpid(),
                getppid()
            ),
        );
        0
    });
    tell(
        "parent",
        &format!("fork() returned {child} here (the child's pid)"),
    );
    let status = waitpid(child, None).map_err(|e| e.to_string())?;
    tell("parent", &format!("waitpid -> {status:?}"));
    tell(
        "parent",
        &format!("my value is still {value}: the child changed its own copy"),
    );
    Ok(())
}

fn zombie() -> Result {
    let child = fork_child(|| {
        tell("child ", "exiting now with status 7");
        7
    });
    tell(
        "parent",
        &format!("forked {child}, and I do NOT wait for it yet"),
    );
    let state = wait_until(Duration::from_secs(5), || {
        proc_state(child.as_raw()).filter(|(state, _)| *state == 'Z')
    })
    .ok_or("the child never became a zombie")?;
    let comm = std::fs::read_to_string(format!("/proc/{child}/comm")).unwrap_or_default();
    tell("parent", "the process table (/proc) now shows:");
    println!("    PID   PPID  STAT  COMMAND");
    println!(
        "  {:>5}  {:>5}  {}     {} <defunct>",
        child,
        state.1,
        state.0,
        comm.trim()
    );
    tell(
        "parent",
        &format!(
            "zombie: pid {child} state {} — exited, but its entry and exit status wait for me",
            state.0
        ),
    );
    let status = waitpid(child, None).map_err(|e| e.to_string())?;
    let code = match status {
        WaitStatus::Exited(_, code) => code,
        other => return Err(format!("unexpected status {other:?}")),
    };
    tell(
        "parent",
        &format!("waitpid({child}) -> reaped, exit status {code}"),
    );
    if proc_state(child.as_raw()).is_none() {
        tell(
            "parent",
            &format!("reaped: /proc/{child} is gone from the process table"),
        );
        Ok(())
    } else {
        Err("the reaped child is still in the process table".into())
    }
}

/// Priority (优先级): a child lowers its own priority to nice 10; the parent
/// reads the NI value and the state back from /proc, as `ps -o pid,ni,stat`
/// shows them, then lets the child go and reaps it.
fn nice_demo() -> Result {
    let (stay, go) = pipe().map_err(|e| e.to_string())?;
    let go_fd = go.as_raw_fd();
    let child = fork_child(|| {
        // The child's copy of the parent's end: closed, or the child would
        // keep its own pipe open and never read end-of-file.
        // SAFETY: closes this process's copy of a descriptor nothing else here uses;
        // the child leaves with _exit, so its OwnedFd is never dropped.
        unsafe { libc::close(go_fd) };
        // SAFETY: setpriority changes only this process's scheduling priority.
        let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
        if rc != 0 {
            tell("child ", "setpriority failed");
            return 1;
        }
        tell(
            "child ",
            "I lowered my own priority: nice 10 (anyone may; only root may raise it)",
        );
        // Stay alive, sleeping, until the parent closes its end of the pipe.
        let mut byte = [0u8; 1];
        while read(&stay, &mut byte).is_ok_and(|n| n > 0) {}
        0
    });
    drop(stay);
    let nice = wait_until(Duration::from_secs(5), || {
        proc_nice(child.as_raw()).filter(|&nice| nice == 10)
    })
    .ok_or("the child's nice value never became 10")?;
    let (state, _) = proc_state(child.as_raw()).ok_or("the child is gone")?;
    tell("parent", "the process table (/proc) now shows:");
    println!("    PID   NI  STAT");
    // ps adds N to the state of a process with a positive nice value.
    println!("  {child:>5}  {nice:>3}  {state}N");
    tell(
        "parent",
        &format!(
            "child {child}: nice {nice}, STAT {state}N — N means low priority; the scheduler favours the others"
        ),
    );
    drop(go);
    let status = waitpid(child, None).map_err(|e| e.to_string())?;
    tell("parent", &format!("waitpid({child}) -> {status:?}"));
    Ok(())
}

fn wait_demo() -> Result {
    let plan = [(300u64, 1), (100, 2), (200, 3)];
    let mut pids = Vec::new();
    for (millis, code) in plan {
        let pid = fork_child(move || {
            std::thread::sleep(Duration::from_millis(millis));
            tell(
                "child ",
                &format!("worked {millis} ms, exiting with status {code}"),
            );
            code
        });
        tell(
            "parent",
            &format!("forked {pid} ({millis} ms, status {code})"),
        );
        pids.push(pid);
    }
    let first = pids[0];
    let status = waitpid(first, Some(WaitPidFlag::WNOHANG)).map_err(|e| e.to_string())?;
    tell(
        "parent",
        &format!("waitpid({first}, WNOHANG) -> {status:?}: not finished, and I did not block"),
    );
    for _ in 0..2 {
        let status = wait().map_err(|e| e.to_string())?;
        tell(
            "parent",
            &format!("wait() -> {status:?} (whichever child ended first)"),
        );
    }
    let status = waitpid(first, None).map_err(|e| e.to_string())?;
    tell(
        "parent",
        &format!("waitpid({first}, 0) blocked until -> {status:?}"),
    );
    match wait() {
        Err(nix::errno::Errno::ECHILD) => {
            tell(
                "parent",
                "wait() -> ECHILD: no children left, none of them a zombie",
            );
            Ok(())
        }
        other => Err(format!("expected ECHILD, got {other:?}")),
    }
}

/// Makes this process the "child subreaper": orphans below it are adopted
/// by it instead of by pid 1, so the demo can show and reap them itself.
fn become_subreaper() -> Result {
    nix::sys::prctl::set_child_subreaper(true).map_err(|e| e.to_string())?;
    let init = std::fs::read_to_string("/proc/1/comm").unwrap_or_default();
    tell(
        "demo  ",
        &format!(
            "prctl(PR_SET_CHILD_SUBREAPER): orphans below me come to me, not to pid 1 ({})",
            init.trim()
        ),
    );
    Ok(())
}

fn orphan() -> Result {
    become_subreaper()?;
    // The orphan says on this pipe when it has looked at its first parent.
    let (read_end, write_end) = nix::unistd::pipe().map_err(|e| e.to_string())?;
    let parent = fork_child(move || {
        let orphan = fork_child(move || {
            let before = getppid();
            tell("orphan", &format!("my parent is {before}"));
            let _ = nix::unistd::write(&write_end, b"x");
            let after = wait_until(Duration::from_secs(5), || {
                let now = getppid();
                (now != before).then_some(now)
            });
            let Some(after) = after else { return 1 };
            tell(
                "orphan",
                &format!("orphan: parent before = {before}, parent after = {after} (adopted)"),
            );
            0
        });
        tell("parent", &format!("forked {orphan}"));
        // Wait until the orphan has seen us, then leave it behind.
        let mut byte = [0u8; 1];
        let _ = nix::unistd::read(&read_end, &mut byte);
        tell(
            "parent",
            "exiting now, before my child: it becomes an orphan",
        );
        0
    });
    waitpid(parent, None).map_err(|e| e.to_string())?;
    tell("demo  ", &format!("reaped the parent {parent}"));
    // The orphan is our child now: wait for it like for any child.
    let status = wait().map_err(|e| e.to_string())?;
    tell(
        "demo  ",
        &format!("wait() -> {status:?}: I reaped the adopted orphan, as init would"),
    );
    Ok(())
}

fn double_fork() -> Result {
    become_subreaper()?;
    let middle = fork_child(|| {
        let me = getpid();
        let grandchild = fork_child(move || {
            let adopted = wait_until(Duration::from_secs(5), || (getppid() != me).then(getppid));
            tell(
                "grandchild",
                &format!(
                    "my parent {me} already exited; adopted by {}; doing the long job",
                    adopted.map_or("nobody?".to_string(), |p| p.to_string())
                ),
            );
            std::thread::sleep(Duration::from_millis(200));
            tell("grandchild", "job done, exiting");
            0
        });
        tell(
            "child ",
            &format!("forked the grandchild {grandchild} and exit at once"),
        );
        0
    });
    let status = waitpid(middle, None).map_err(|e| e.to_string())?;
    tell(
        "parent",
        &format!("waitpid({middle}) -> {status:?} immediately: no zombie, and I am free"),
    );
    tell(
        "parent",
        "(a server would go back to accept here, never waiting for the long job)",
    );
    let status = wait().map_err(|e| e.to_string())?;
    tell(
        "demo  ",
        &format!("as subreaper I collected the grandchild: {status:?}"),
    );
    Ok(())
}
