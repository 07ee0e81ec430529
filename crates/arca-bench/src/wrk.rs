//! Running wrk with one of the Lua scripts under `bench/` and reading the result line
//! that `bench/report.lua` prints at the end of a run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{BenchError, Result};
use crate::procs::Proc;

const RESULT_MARKER: &str = "ARCA_BENCH_RESULT ";

/// wrk's load settings, the same for every target.
#[derive(Debug, Clone, Serialize)]
pub struct WrkSettings {
    pub threads: u32,
    pub connections: u32,
    pub duration: Duration,
    pub warmup: Duration,
    /// Requests slower than this count as timeouts (and make the figure invalid).
    pub timeout: Duration,
}

/// One wrk run's figures, as `report.lua` prints them (times in microseconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WrkResult {
    pub requests: u64,
    pub duration_us: u64,
    pub bytes: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
    /// Responses with a status of 400 or above.
    pub status_errors: u64,
    pub connect_errors: u64,
    pub read_errors: u64,
    pub write_errors: u64,
    pub timeouts: u64,
}

impl WrkResult {
    pub fn requests_per_sec(&self) -> f64 {
        self.requests as f64 / (self.duration_us.max(1) as f64 / 1e6)
    }

    /// Why this run's figures cannot be trusted; empty when they can.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let classes = [
            (self.status_errors, "non-2xx responses"),
            (self.connect_errors, "connect errors"),
            (self.read_errors, "read errors"),
            (self.write_errors, "write errors"),
            (self.timeouts, "timeouts"),
        ];
        for (n, what) in classes {
            if n > 0 {
                p.push(format!("{n} {what}"));
            }
        }
        if self.requests == 0 {
            p.push("no request completed".into());
        }
        p
    }
}

/// Finds and parses the result line in wrk's standard output.
pub fn parse_output(stdout: &str) -> Result<WrkResult> {
    let line = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix(RESULT_MARKER))
        .ok_or_else(|| {
            BenchError::WrkOutput(format!(
                "no {RESULT_MARKER:?} line (did the Lua script fail?): {}",
                stdout.chars().take(600).collect::<String>()
            ))
        })?;
    serde_json::from_str(line).map_err(|e| BenchError::WrkOutput(format!("{e}: {line}")))
}

/// wrk's path, or an error saying how to install it (the bench installs nothing).
pub fn locate() -> Result<PathBuf> {
    crate::procs::which("wrk").ok_or(BenchError::MissingTool(
        "wrk",
        "Install it first: `apt-get install wrk` (Debian/Ubuntu), `brew install wrk` (macOS), \
         or build it from https://github.com/wg/wrk.",
    ))
}

/// One wrk invocation.
pub struct WrkJob<'a> {
    pub wrk: &'a Path,
    pub script: &'a Path,
    pub url: &'a str,
    pub args: &'a [String],
    pub duration: Duration,
    pub log: &'a Path,
}

/// wrk takes durations in whole seconds only.
pub fn whole_seconds(d: Duration) -> u64 {
    d.as_secs_f64().ceil().max(1.0) as u64
}

/// Runs wrk to completion (blocking) and returns its figures.
pub fn run(settings: &WrkSettings, job: &WrkJob) -> Result<WrkResult> {
    let _ = std::fs::remove_file(job.log);
    let mut cmd = Command::new(job.wrk);
    cmd.arg(format!("-t{}", settings.threads))
        .arg(format!("-c{}", settings.connections))
        .arg(format!("-d{}s", whole_seconds(job.duration)))
        .arg("--timeout")
        .arg(format!("{}s", whole_seconds(settings.timeout)))
        .arg("-s")
        .arg(job.script)
        .arg(job.url)
        .arg("--")
        .args(job.args);
    let mut proc = Proc::spawn("wrk", &mut cmd, job.log)?;
    let status = proc.wait();
    let out = std::fs::read_to_string(job.log)
        .map_err(|e| BenchError::io(format!("reading {}", job.log.display()), e))?;
    match status {
        Some(s) if s.success() => parse_output(&out),
        _ => Err(BenchError::WrkOutput(format!(
            "wrk failed ({status:?}): {}",
            out.chars().take(600).collect::<String>()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Running 1s test @ http://127.0.0.1:18777
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.08ms    2.27ms  16.58ms   86.80%
    Req/Sec     1.10k   125.49     1.32k    70.00%
  1097 requests in 1.00s, 557.07KB read
  Non-2xx or 3xx responses: 1097
Requests/sec:   1093.55
Transfer/sec:    555.32KB
ARCA_BENCH_RESULT {\"requests\":1097,\"duration_us\":1003154,\"bytes\":570440,\"p50_us\":860,\"p90_us\":4968,\"p99_us\":11088,\"max_us\":16578,\"mean_us\":2075.4,\"status_errors\":1097,\"connect_errors\":0,\"read_errors\":0,\"write_errors\":0,\"timeouts\":0}
";

    #[test]
    fn parses_the_result_line() {
        let r = parse_output(SAMPLE).unwrap();
        assert_eq!(r.requests, 1097);
        assert_eq!(r.p50_us, 860);
        assert_eq!(r.p99_us, 11088);
        assert_eq!(r.status_errors, 1097);
        assert!((r.requests_per_sec() - 1093.55).abs() < 0.1);
        assert_eq!(r.problems(), vec!["1097 non-2xx responses".to_string()]);
    }

    #[test]
    fn a_clean_run_has_no_problems() {
        let clean = SAMPLE.replace("\"status_errors\":1097", "\"status_errors\":0");
        assert!(parse_output(&clean).unwrap().problems().is_empty());
    }

    #[test]
    fn missing_or_broken_result_line_is_an_error() {
        assert!(parse_output("Running 1s test\nrequest.lua: attempt to index nil\n").is_err());
        assert!(parse_output("ARCA_BENCH_RESULT {\"requests\":1").is_err());
    }
}
