//! The server under soak: this very executable started again as
//! `soak __NAME-server ARGS...`, so the figures are of the code just built.
//! It runs in its own process group and is killed with its children when
//! dropped.

use std::ffi::OsString;
use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Duration;

use std::os::unix::process::CommandExt;

/// Runs the server program named by the first argument when this
/// executable was started as one (`__ftp-server ...`, `__ftpd ...`); `None` otherwise.
pub fn run_if_asked(argv: &[OsString]) -> Option<ExitCode> {
    let program = argv.get(1)?.to_str()?.strip_prefix("__")?;
    let args = argv[1..].to_vec();
    Some(match program {
        "http-server" => examples::http::main(args),
        "echo-server" => examples::echo::main(args),
        "ftp-server" => examples::ftp::server::main(args),
        "ftpd" => examples::ftp::rfc959::handler::main(args),
        "chat-server" => examples::chat::server::main(args),
        _ => return None,
    })
}

/// A server process.
pub struct Running {
    child: Child,
    /// The port it printed on its `Serving ...` line.
    pub port: u16,
}

impl Running {
    /// Starts server `name` with `args` (the port, 0, is added), its stderr
    /// going to `stderr`; waits at most 10 s for its `Serving` line.
    pub fn start(name: &str, args: &[String], stderr: &Path) -> Result<Running, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let stderr = File::create(stderr).map_err(|e| e.to_string())?;
        let mut command = Command::new(exe);
        command
            .arg(format!("__{name}"))
            .args(args)
            .arg("0")
            // Its own group: one signal kills it and every child it forked.
            .process_group(0);
        // If the soak itself is killed (a test's deadline, Ctrl+C), the
        // server must not stay behind: the kernel kills it when its parent
        // dies.
        // SAFETY: prctl is async-signal-safe; nothing else runs between
        // fork and exec here.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| e.to_string())?;
        // The rest of stdout (the server's log) is read and dropped.
        let line = examples::serving::first_line(&mut child, Duration::from_secs(10));
        match line.as_deref().and_then(examples::serving::port_in) {
            Some(port) => Ok(Running { child, port }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("{name} printed no port: {line:?}"))
            }
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How the server ended, if it did (it never should during a soak).
    pub fn exit_status(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            _ => None,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let group = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.wait();
    }
}
