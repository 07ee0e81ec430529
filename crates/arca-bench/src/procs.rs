//! Processes the bench starts (servers, wrk, the ceiling), each killed by its own PID when
//! its handle drops, when the bench exits, and on Ctrl-C/SIGTERM; plus the `/proc`
//! readings the report needs (CPU time, RSS, machine-wide CPU use).

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use crate::error::{BenchError, Result};

/// PIDs of live children, readable from a signal handler (atomics only: async-signal-safe).
static LIVE: [AtomicI32; 64] = [const { AtomicI32::new(0) }; 64];

fn register(pid: i32) {
    for slot in &LIVE {
        if slot
            .compare_exchange(0, pid, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return;
        }
    }
}

fn unregister(pid: i32) {
    for slot in &LIVE {
        let _ = slot.compare_exchange(pid, 0, Ordering::SeqCst, Ordering::SeqCst);
    }
}

/// Kills every child still registered (by its PID) and waits for none: used on the way out.
pub fn kill_all() {
    for slot in &LIVE {
        let pid = slot.swap(0, Ordering::SeqCst);
        if pid > 0 {
            // SAFETY: kill(2) with a PID we started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

extern "C" fn on_signal(_sig: libc::c_int) {
    kill_all();
    // SAFETY: _exit is async-signal-safe; no destructor may run inside a signal handler.
    unsafe { libc::_exit(130) };
}

/// Ctrl-C, SIGTERM and SIGHUP kill every child before the bench exits.
pub fn install_signal_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: installs a handler that only touches atomics and calls kill/_exit.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// A child process owned by the bench.
pub struct Proc {
    child: Option<Child>,
    pid: u32,
}

impl Proc {
    /// Starts `cmd` with stdout and stderr appended to `log`.
    pub fn spawn(name: &str, cmd: &mut Command, log: &Path) -> Result<Proc> {
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| BenchError::io(format!("opening {}", log.display()), e))?;
        let err = out
            .try_clone()
            .map_err(|e| BenchError::io("duplicating a log handle", e))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(|e| BenchError::io(format!("starting {name}"), e))?;
        let pid = child.id();
        register(pid as i32);
        Ok(Proc {
            child: Some(child),
            pid,
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// True while the process has not exited.
    pub fn running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    pub fn stop(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SAFETY: kill(2) with the PID of our own child, not yet reaped.
        unsafe { libc::kill(self.pid as i32, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < grace {
            if let Ok(Some(_)) = child.try_wait() {
                unregister(self.pid as i32);
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        unregister(self.pid as i32);
    }

    /// Waits for the process to exit on its own.
    pub fn wait(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let status = child.wait().ok();
        unregister(self.pid as i32);
        status
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            unregister(self.pid as i32);
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Clock ticks per second of the `/proc` CPU counters.
pub fn clock_ticks_per_sec() -> u64 {
    // SAFETY: sysconf only reads a constant.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as u64
    } else {
        100
    }
}

/// Fields of `/proc/<pid>/stat` after the command name (which may hold spaces).
fn stat_fields(text: &str) -> Option<Vec<&str>> {
    let after = &text[text.rfind(')')? + 1..];
    Some(after.split_whitespace().collect())
}

/// utime + stime of a process, in clock ticks (all its threads).
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ticks(&text, false)
}

/// cutime + cstime of this process: CPU of the children it has waited for (wrk).
pub fn children_cpu_ticks() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|t| parse_cpu_ticks(&t, true))
        .unwrap_or(0)
}

fn parse_cpu_ticks(stat: &str, children: bool) -> Option<u64> {
    let f = stat_fields(stat)?;
    // Field 3 (state) is index 0 here; utime/stime are fields 14/15, cutime/cstime 16/17.
    let (a, b) = if children { (13, 14) } else { (11, 12) };
    Some(f.get(a)?.parse::<u64>().ok()? + f.get(b)?.parse::<u64>().ok()?)
}

/// Resident set size in KiB (VmRSS).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss(&text)
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Machine-wide CPU ticks: (busy, total) from the first line of `/proc/stat`.
pub fn machine_ticks() -> (u64, u64) {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|t| parse_machine_ticks(&t))
        .unwrap_or((0, 0))
}

fn parse_machine_ticks(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().next()?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let get = |i: usize| v.get(i).copied().unwrap_or(0);
    let busy = get(0) + get(1) + get(2) + get(5) + get(6);
    let total = busy + get(3) + get(4) + get(7);
    Some((busy, total))
}

/// The full path of a program found on PATH.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_spaces_in_the_name() {
        let stat = "4242 (tokio runtime) S 1 2 3 4 5 6 7 8 9 10 150 30 7 3 20 0 4 0 99";
        assert_eq!(parse_cpu_ticks(stat, false), Some(180));
        assert_eq!(parse_cpu_ticks(stat, true), Some(10));
    }

    #[test]
    fn vm_rss_line() {
        let status = "Name:\tarca\nVmPeak:\t  9000 kB\nVmRSS:\t   12345 kB\nThreads: 3\n";
        assert_eq!(parse_vm_rss(status), Some(12345));
        assert_eq!(parse_vm_rss("Name: x\n"), None);
    }

    #[test]
    fn machine_ticks_from_proc_stat() {
        let stat = "cpu  100 5 50 1000 20 3 2 7 0 0\ncpu0 1 2 3\n";
        assert_eq!(parse_machine_ticks(stat), Some((160, 1187)));
    }
}
