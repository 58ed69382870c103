//! Looking at a process through `/proc`, and raising this process's
//! descriptor limit: what the lessons and the benchmarks that hold
//! thousands of connections need.

use std::fs;

/// Raises the soft descriptor limit to the hard one (children started
/// afterwards inherit it) and returns the limit now in force. Thousands of
/// connections need a descriptor each; the soft limit is often 1,024.
pub fn raise_fd_limit() -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return 0;
    };
    let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    getrlimit(Resource::RLIMIT_NOFILE).map_or(0, |(soft, _)| soft)
}

/// The number after `field:` in a `/proc` file of `Name: value` lines
/// (`status`, `smaps_rollup`); 0 if the file or the field is missing.
fn field_of(path: &str, field: &str) -> u64 {
    fs::read_to_string(path)
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                let rest = line.strip_prefix(field)?.strip_prefix(':')?;
                rest.split_whitespace().next()?.parse().ok()
            })
        })
        .unwrap_or(0)
}

/// A field of `/proc/<pid>/status`: `VmRSS` (KiB), `Threads`...
pub fn status_field(pid: u32, field: &str) -> u64 {
    field_of(&format!("/proc/{pid}/status"), field)
}

/// A process's proportional set size in KiB (`/proc/<pid>/smaps_rollup`):
/// its resident memory, each page shared with others divided among them,
/// so that the PSS of a parent and its forked children adds up to what
/// they really use (their RSS would count every shared page once each).
pub fn pss_kib(pid: u32) -> u64 {
    field_of(&format!("/proc/{pid}/smaps_rollup"), "Pss")
}

/// How many descriptors process `pid` has open.
pub fn fd_count(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// The parent of process `pid`, from `/proc/<pid>/stat`.
pub fn parent_of(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": the name may hold spaces and parentheses.
    stat[stat.rfind(')')? + 2..]
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The state letter of process `pid` (`R` running, `S` sleeping, `Z`
/// zombie: exited, its status not yet collected by its parent...) and its
/// start time in clock ticks after boot, which tells a process from a later
/// one that got the same pid. From `/proc/<pid>/stat`.
pub fn state_of(pid: u32) -> Option<(char, u64)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After "pid (comm) ": state is field 3, starttime field 22.
    let mut fields = stat[stat.rfind(')')? + 2..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

/// The children of process `pid` (zombies included).
pub fn children_of(pid: u32) -> Vec<u32> {
    fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
                .filter(|&child| parent_of(child) == Some(pid))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_seen_as_it_is() {
        let me = std::process::id();
        assert!(status_field(me, "Threads") >= 1);
        assert!(status_field(me, "VmRSS") > 0);
        assert!(pss_kib(me) > 0);
        assert!(fd_count(me) >= 3);
        assert_eq!(parent_of(me), Some(std::os::unix::process::parent_id()));
        let child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        assert!(children_of(me).contains(&child.id()));
        let mut child = child;
        let (state, start) = state_of(child.id()).unwrap();
        assert!("RS".contains(state), "sleep is in state {state}");
        assert!(start > 0);
        let _ = child.kill();
        // Killed and not yet waited for: a zombie, until wait() collects it.
        let zombie = (0..500).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            state_of(child.id()).is_some_and(|(s, _)| s == 'Z')
        });
        assert!(zombie, "a killed, unwaited child shows as a zombie");
        let _ = child.wait();
        assert_eq!(state_of(child.id()), None);
        assert_eq!(status_field(me, "NoSuchField"), 0);
    }
}
