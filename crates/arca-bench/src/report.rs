//! The results: per-run samples, medians over rounds, ratios, goals, and their rendering
//! as a Markdown report (the JSON file is the same structures serialised).

use std::fmt::Write as _;

use serde::Serialize;

use crate::servers::StartTimes;
use crate::wrk::WrkResult;

pub const ARCA: &str = "Arca";
pub const OPENBAO: &str = "OpenBao";
pub const CEILING: &str = "ceiling";

/// One measured wrk run against one target.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub round: u32,
    pub wrk: WrkResult,
    pub requests_per_sec: f64,
    /// Server utime+stime over the run divided by the requests wrk completed.
    pub server_cpu_us_per_request: Option<f64>,
    pub server_cpu_ms: Option<f64>,
    pub wrk_cpu_ms: f64,
    /// CPU used by processes other than the server and wrk during the run, in percent of
    /// the whole machine: the load others put on a shared machine.
    pub foreign_cpu_pct: f64,
    pub rss_mib_after: Option<f64>,
    pub problems: Vec<String>,
}

/// Medians over the rounds of one target in one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Median {
    pub requests_per_sec: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub cpu_us_per_request: Option<f64>,
    pub rss_mib: Option<f64>,
    pub foreign_cpu_pct: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetResult {
    pub target: String,
    pub samples: Vec<Sample>,
    pub median: Option<Median>,
    /// Responses of status 400 or above over all rounds (wrk's status errors).
    pub non_2xx: u64,
    /// False when any round had a non-2xx, a socket error or a timeout.
    pub valid: bool,
    pub problems: Vec<String>,
}

pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

fn median_of(samples: &[Sample], f: impl Fn(&Sample) -> Option<f64>) -> Option<f64> {
    let mut v: Vec<f64> = samples.iter().filter_map(f).collect();
    median(&mut v)
}

impl TargetResult {
    pub fn from_samples(target: &str, samples: Vec<Sample>) -> TargetResult {
        let median = (!samples.is_empty()).then(|| Median {
            requests_per_sec: median_of(&samples, |s| Some(s.requests_per_sec)).unwrap_or(0.0),
            p50_us: median_of(&samples, |s| Some(s.wrk.p50_us as f64)).unwrap_or(0.0),
            p99_us: median_of(&samples, |s| Some(s.wrk.p99_us as f64)).unwrap_or(0.0),
            cpu_us_per_request: median_of(&samples, |s| s.server_cpu_us_per_request),
            rss_mib: median_of(&samples, |s| s.rss_mib_after),
            foreign_cpu_pct: median_of(&samples, |s| Some(s.foreign_cpu_pct)).unwrap_or(0.0),
        });
        let non_2xx = samples.iter().map(|s| s.wrk.status_errors).sum();
        let problems: Vec<String> = samples
            .iter()
            .flat_map(|s| {
                s.problems
                    .iter()
                    .map(move |p| format!("round {}: {p}", s.round))
            })
            .collect();
        TargetResult {
            target: target.to_string(),
            valid: problems.is_empty() && !samples.is_empty(),
            samples,
            median,
            non_2xx,
            problems,
        }
    }
}

/// One wrk scenario over all targets.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub id: String,
    pub title: String,
    pub targets: Vec<TargetResult>,
    /// Set when the scenario could not run at all.
    pub error: Option<String>,
}

impl ScenarioResult {
    pub fn median(&self, target: &str) -> Option<&Median> {
        self.targets
            .iter()
            .find(|t| t.target == target)
            .and_then(|t| t.median.as_ref())
    }

    fn valid(&self, target: &str) -> bool {
        self.targets.iter().any(|t| t.target == target && t.valid)
    }

    /// `f(num) / f(den)` of the medians, when both exist and are valid.
    pub fn ratio(&self, num: &str, den: &str, f: impl Fn(&Median) -> Option<f64>) -> Option<f64> {
        if !self.valid(num) || !self.valid(den) {
            return None;
        }
        let (a, b) = (f(self.median(num)?)?, f(self.median(den)?)?);
        (b > 0.0).then(|| a / b)
    }
}

/// Cold starts of one product: process start to `sys/health` 200 (unsealing as soon as
/// the listener answers), over several rounds.
#[derive(Debug, Clone, Serialize)]
pub struct ColdStart {
    pub target: String,
    pub rounds: Vec<StartTimes>,
    pub median_listening_ms: Option<f64>,
    pub median_health_ms: Option<f64>,
    pub rss_mib_after: Option<f64>,
    pub error: Option<String>,
}

/// Restart with N leases: creation through the API, then time to readiness and RSS.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LeaseResult {
    pub target: String,
    pub leases: u64,
    pub create_per_sec: f64,
    pub create_secs: f64,
    pub data_dir_mib: f64,
    pub rss_mib_before_restart: Option<f64>,
    pub listening_ms: f64,
    pub unsealed_ms: f64,
    /// Until `auth/token/lookup-self` with one of the N tokens answered 200.
    pub token_lookup_ms: f64,
    pub health_ms: f64,
    pub rss_mib_ready: Option<f64>,
    /// RSS once it stopped changing (background lease loading done), or after the limit.
    pub rss_mib_settled: Option<f64>,
    pub settle_secs: f64,
    /// The same after SIGKILL (a crash) instead of a graceful stop.
    pub crash: Option<CrashRestart>,
    pub error: Option<String>,
}

/// Restart after SIGKILL: what recovery costs at N leases.
#[derive(Debug, Clone, Serialize, Default)]
pub struct CrashRestart {
    pub listening_ms: f64,
    pub token_lookup_ms: f64,
    pub health_ms: f64,
    pub rss_mib_ready: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu_model: String,
    pub cores: usize,
    pub memory_mib: u64,
    pub kernel: String,
    pub load_average_start: String,
    pub load_average_end: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Versions {
    pub arca: String,
    pub openbao: String,
    pub wrk: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub threads: u32,
    pub connections: u32,
    pub duration_secs: f64,
    pub warmup_secs: f64,
    pub rounds: u32,
    pub keys: usize,
    pub leases: Vec<u64>,
    pub arca_only_leases: Vec<u64>,
    pub quick: bool,
}

/// A goal from the issue and whether this run met it.
#[derive(Debug, Clone, Serialize)]
pub struct Goal {
    pub goal: String,
    pub measured: Option<f64>,
    pub met: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub date_utc: String,
    pub command: String,
    pub machine: Machine,
    pub versions: Versions,
    pub settings: Settings,
    pub idle_rss_mib: Vec<(String, f64)>,
    pub scenarios: Vec<ScenarioResult>,
    pub cold_start: Vec<ColdStart>,
    pub leases: Vec<LeaseResult>,
    pub goals: Vec<Goal>,
}

fn rps(m: &Median) -> Option<f64> {
    Some(m.requests_per_sec)
}
fn p99(m: &Median) -> Option<f64> {
    Some(m.p99_us)
}
fn cpu(m: &Median) -> Option<f64> {
    m.cpu_us_per_request
}
fn rss(m: &Median) -> Option<f64> {
    m.rss_mib
}

fn goal(goal: String, measured: Option<f64>, ok: impl Fn(f64) -> bool) -> Goal {
    Goal {
        goal,
        measured,
        met: measured.map(ok),
    }
}

/// The targets, evaluated against this run.
pub fn goals(scenarios: &[ScenarioResult], leases: &[LeaseResult]) -> Vec<Goal> {
    let mut out = Vec::new();
    let find = |id: &str| scenarios.iter().find(|s| s.id == id);
    let throughput: [(&str, f64); 7] = [
        ("kv_read_hot", 5.0),
        ("kv_read_10k", 5.0),
        ("kv_write", 2.0),
        ("transit_encrypt", 3.0),
        ("transit_decrypt", 3.0),
        ("approle_login", 3.0),
        ("token_lookup_self", 1.0),
    ];
    for (id, want) in throughput {
        if let Some(s) = find(id) {
            if id != "token_lookup_self" {
                out.push(goal(
                    format!("{id}: req/s Arca/OpenBao >= {want}"),
                    s.ratio(ARCA, OPENBAO, rps),
                    |r| r >= want,
                ));
            }
        }
    }
    for id in ["kv_read_hot", "kv_read_10k"] {
        if let Some(s) = find(id) {
            out.push(goal(
                format!("{id}: req/s Arca/ceiling >= 0.5"),
                s.ratio(ARCA, CEILING, rps),
                |r| r >= 0.5,
            ));
        }
    }
    for s in scenarios {
        out.push(goal(
            format!("{}: p99 Arca/OpenBao <= 1/3", s.id),
            s.ratio(ARCA, OPENBAO, p99),
            |r| r <= 1.0 / 3.0,
        ));
    }
    for s in scenarios {
        out.push(goal(
            format!("{}: RSS Arca/OpenBao <= 1/5", s.id),
            s.ratio(ARCA, OPENBAO, rss),
            |r| r <= 0.2,
        ));
    }
    for l in leases
        .iter()
        .filter(|l| l.target == ARCA && l.error.is_none())
    {
        out.push(goal(
            format!(
                "lease restore at {}: Arca ready (lookup and health) < 1000 ms",
                l.leases
            ),
            Some(l.token_lookup_ms.max(l.health_ms)),
            |ms| ms < 1000.0,
        ));
        if let Some(c) = &l.crash {
            out.push(goal(
                format!(
                    "lease restore at {}, after SIGKILL: Arca ready < 1000 ms",
                    l.leases
                ),
                Some(c.token_lookup_ms.max(c.health_ms)),
                |ms| ms < 1000.0,
            ));
        }
    }
    let arca: Vec<&LeaseResult> = leases
        .iter()
        .filter(|l| l.target == ARCA && l.error.is_none())
        .collect();
    if let (Some(small), Some(large)) = (
        arca.iter().min_by_key(|l| l.leases),
        arca.iter().max_by_key(|l| l.leases),
    ) {
        if large.leases > small.leases {
            let growth = match (small.rss_mib_settled, large.rss_mib_settled) {
                (Some(a), Some(b)) if a > 0.0 => Some(b / a),
                _ => None,
            };
            out.push(goal(
                format!(
                    "lease restore: Arca settled RSS at {} / at {} <= 1.25 (does not grow with N)",
                    large.leases, small.leases
                ),
                growth,
                |g| g <= 1.25,
            ));
        }
    }
    out
}

fn f1(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "—".into())
}

fn f0(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.0}")).unwrap_or_else(|| "—".into())
}

fn ms2(us: f64) -> String {
    format!("{:.2}", us / 1000.0)
}

fn ratio(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.2}x")).unwrap_or_else(|| "—".into())
}

impl Report {
    /// Figures that must not be trusted, for a loud banner.
    pub fn invalid_figures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.scenarios {
            if let Some(e) = &s.error {
                out.push(format!("{}: did not run: {e}", s.id));
            }
            for t in s.targets.iter().filter(|t| !t.valid) {
                let why = if t.problems.is_empty() {
                    "no sample".to_string()
                } else {
                    t.problems.join("; ")
                };
                out.push(format!("{} / {}: INVALID: {why}", s.id, t.target));
            }
        }
        for c in &self.cold_start {
            if let Some(e) = &c.error {
                out.push(format!("cold start / {}: {e}", c.target));
            }
        }
        for l in &self.leases {
            if let Some(e) = &l.error {
                out.push(format!("lease restore {} / {}: {e}", l.leases, l.target));
            }
        }
        out
    }

    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let st = &self.settings;
        let _ = writeln!(
            md,
            "Load: wrk -t{} -c{} -d{}s after a {}s warm-up per target; {} round(s), targets \
             alternating in each round; figures are medians over rounds.\n",
            st.threads, st.connections, st.duration_secs, st.warmup_secs, st.rounds
        );
        let invalid = self.invalid_figures();
        if !invalid.is_empty() {
            let _ = writeln!(md, "**INVALID FIGURES (not to be quoted):**\n");
            for i in &invalid {
                let _ = writeln!(md, "- **{i}**");
            }
            md.push('\n');
        }
        if !self.scenarios.is_empty() {
            let _ = writeln!(md, "### Per target\n");
            let _ = writeln!(
                md,
                "| scenario | target | req/s | p50 ms | p99 ms | server CPU µs/req | RSS MiB after | non-2xx | other load % |"
            );
            let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
            for s in &self.scenarios {
                for t in &s.targets {
                    let Some(m) = &t.median else {
                        let _ = writeln!(
                            md,
                            "| {} | {} | — | — | — | — | — | — | — |",
                            s.id, t.target
                        );
                        continue;
                    };
                    let flag = if t.valid { "" } else { " **INVALID**" };
                    let _ = writeln!(
                        md,
                        "| {} | {} | {:.0}{flag} | {} | {} | {} | {} | {} | {:.0} |",
                        s.id,
                        t.target,
                        m.requests_per_sec,
                        ms2(m.p50_us),
                        ms2(m.p99_us),
                        f1(m.cpu_us_per_request),
                        f1(m.rss_mib),
                        t.non_2xx,
                        m.foreign_cpu_pct
                    );
                }
            }
            let _ = writeln!(md, "\n### Ratios\n");
            let _ = writeln!(
                md,
                "| scenario | req/s Arca/OpenBao | req/s Arca/ceiling | p99 Arca/OpenBao | CPU/req Arca/OpenBao | CPU/req Arca/ceiling | RSS Arca/OpenBao |"
            );
            let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|");
            for s in &self.scenarios {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    s.id,
                    ratio(s.ratio(ARCA, OPENBAO, rps)),
                    ratio(s.ratio(ARCA, CEILING, rps)),
                    ratio(s.ratio(ARCA, OPENBAO, p99)),
                    ratio(s.ratio(ARCA, OPENBAO, cpu)),
                    ratio(s.ratio(ARCA, CEILING, cpu)),
                    ratio(s.ratio(ARCA, OPENBAO, rss)),
                );
            }
        }
        if !self.idle_rss_mib.is_empty() {
            let idle: Vec<String> = self
                .idle_rss_mib
                .iter()
                .map(|(t, m)| format!("{t} {m:.1} MiB"))
                .collect();
            let _ = writeln!(md, "\nRSS after seeding, idle: {}.", idle.join(", "));
        }
        if !self.cold_start.is_empty() {
            let _ = writeln!(
                md,
                "\n### Cold start (process start → unseal → `sys/health` 200)\n"
            );
            let _ = writeln!(
                md,
                "| target | listening ms | health 200 ms (median) | each round ms | RSS MiB after |"
            );
            let _ = writeln!(md, "|---|---:|---:|---|---:|");
            for c in &self.cold_start {
                let each: Vec<String> = c
                    .rounds
                    .iter()
                    .map(|r| format!("{:.0}", r.health_ms))
                    .collect();
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} |",
                    c.target,
                    f0(c.median_listening_ms),
                    f0(c.median_health_ms),
                    each.join(", "),
                    f1(c.rss_mib_after)
                );
            }
        }
        if !self.leases.is_empty() {
            let _ = writeln!(
                md,
                "\n### Lease restore (N tokens with a TTL, restart, unseal)\n"
            );
            let _ = writeln!(
                md,
                "| target | N leases | created/s | data MiB | RSS before restart | listening ms | token lookup ok ms | health 200 ms | RSS ready MiB | RSS settled MiB | after SIGKILL: ready ms / RSS MiB |"
            );
            let _ = writeln!(
                md,
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            );
            for l in &self.leases {
                if let Some(e) = &l.error {
                    let _ = writeln!(
                        md,
                        "| {} | {} | **failed: {e}** ||||||||",
                        l.target, l.leases
                    );
                    continue;
                }
                let _ = writeln!(
                    md,
                    "| {} | {} | {:.0} | {:.0} | {} | {:.0} | {:.0} | {:.0} | {} | {} | {} |",
                    l.target,
                    l.leases,
                    l.create_per_sec,
                    l.data_dir_mib,
                    f1(l.rss_mib_before_restart),
                    l.listening_ms,
                    l.token_lookup_ms,
                    l.health_ms,
                    f1(l.rss_mib_ready),
                    f1(l.rss_mib_settled),
                    l.crash
                        .as_ref()
                        .map(|c| format!(
                            "{:.0} / {}",
                            c.token_lookup_ms.max(c.health_ms),
                            f1(c.rss_mib_ready)
                        ))
                        .unwrap_or_else(|| "—".into())
                );
            }
        }
        if !self.goals.is_empty() {
            let _ = writeln!(md, "\n### Goals\n");
            let _ = writeln!(md, "| goal | measured | met |");
            let _ = writeln!(md, "|---|---:|---|");
            for g in &self.goals {
                let met = match g.met {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "not measured",
                };
                let measured = g
                    .measured
                    .map(|x| format!("{x:.2}"))
                    .unwrap_or_else(|| "—".into());
                let _ = writeln!(md, "| {} | {measured} | {met} |", g.goal);
            }
        }
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(rps: f64, p99: u64, status_errors: u64) -> Sample {
        Sample {
            round: 1,
            wrk: WrkResult {
                requests: 1000,
                duration_us: 1_000_000,
                bytes: 0,
                p50_us: 100,
                p90_us: 200,
                p99_us: p99,
                max_us: p99,
                mean_us: 120.0,
                status_errors,
                connect_errors: 0,
                read_errors: 0,
                write_errors: 0,
                timeouts: 0,
            },
            requests_per_sec: rps,
            server_cpu_us_per_request: Some(10.0),
            server_cpu_ms: Some(10.0),
            wrk_cpu_ms: 1.0,
            foreign_cpu_pct: 0.0,
            rss_mib_after: Some(20.0),
            problems: if status_errors > 0 {
                vec![format!("{status_errors} non-2xx responses")]
            } else {
                vec![]
            },
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn ratios_use_medians_and_refuse_invalid_targets() {
        let s = ScenarioResult {
            id: "kv_read_hot".into(),
            title: String::new(),
            targets: vec![
                TargetResult::from_samples(
                    ARCA,
                    vec![
                        sample(50_000.0, 900, 0),
                        sample(40_000.0, 800, 0),
                        sample(60_000.0, 700, 0),
                    ],
                ),
                TargetResult::from_samples(OPENBAO, vec![sample(10_000.0, 3000, 0)]),
                TargetResult::from_samples(CEILING, vec![sample(100_000.0, 100, 3)]),
            ],
            error: None,
        };
        assert_eq!(s.ratio(ARCA, OPENBAO, rps), Some(5.0));
        assert_eq!(s.ratio(ARCA, OPENBAO, p99), Some(0.8 / 3.0));
        assert_eq!(
            s.ratio(ARCA, CEILING, rps),
            None,
            "an invalid ceiling gives no ratio"
        );
        let g = goals(std::slice::from_ref(&s), &[]);
        assert_eq!(g[0].met, Some(true));
        let report_text = Report {
            date_utc: String::new(),
            command: String::new(),
            machine: Machine {
                cpu_model: String::new(),
                cores: 2,
                memory_mib: 0,
                kernel: String::new(),
                load_average_start: String::new(),
                load_average_end: String::new(),
            },
            versions: Versions {
                arca: String::new(),
                openbao: String::new(),
                wrk: String::new(),
            },
            settings: Settings {
                threads: 2,
                connections: 32,
                duration_secs: 10.0,
                warmup_secs: 3.0,
                rounds: 3,
                keys: 10,
                leases: vec![],
                arca_only_leases: vec![],
                quick: false,
            },
            idle_rss_mib: vec![],
            scenarios: vec![s],
            cold_start: vec![],
            leases: vec![],
            goals: g,
        }
        .markdown();
        assert!(
            report_text.contains("kv_read_hot / ceiling: INVALID: round 1: 3 non-2xx responses")
        );
        assert!(report_text.contains("| kv_read_hot | 5.00x |"));
    }
}
