//! `wouldblock explore`: finds readiness bugs in a component with no plan given, writes a
//! replayable plan per finding, and prints the table.

use super::options::HarnessArgs;
use super::reporter::{Event, Json, Reporter, Start, Summary};
use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::sync::Mutex;
use wouldblock::explore::{ExploreOptions, Report};

#[derive(clap::Args)]
pub struct ExploreArgs {
    #[command(flatten)]
    harness: HarnessArgs,
    /// Threads (default: the machine's cores). Example: --jobs 2
    #[arg(long, value_name = "J")]
    jobs: Option<usize>,
    /// 1: one fault a run; 2: pairs of faults too (within --budget).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    depth: u8,
    /// At depth 2, the most runs in all. Example: --budget 2000
    #[arg(long, value_name = "RUNS", default_value_t = 2000)]
    budget: u64,
    /// Which pairs the budget keeps (the same seed, the same pairs). Example: --seed 7
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// Also try what only a buggy host does (a pollable that never fires with no error
    /// before it, readiness stuck with nothing pending), reported apart as "robust against
    /// host bugs?", never as findings.
    #[arg(long)]
    host_bugs: bool,
    /// Run only the I-th of N disjoint slices (a CI matrix); merge the shards' --json
    /// reports with --merge. Example: --shard 2/4
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<(u64, u64)>,
    /// Where each finding's plan file goes.
    #[arg(long, value_name = "DIR", default_value = "wouldblock-findings")]
    out: PathBuf,
    /// Also write the report as JSON (what --merge reads).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Merge shard reports (their --json files) instead of exploring.
    #[arg(long, value_name = "JSON", num_args = 1.., conflicts_with = "component")]
    merge: Vec<PathBuf>,
    /// The component file.
    #[arg(required_unless_present = "merge")]
    component: Option<PathBuf>,
    /// Arguments for the guest (after its argv[0]).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let parse = || -> Option<(u64, u64)> {
        let (i, n) = text.split_once('/')?;
        Some((i.parse().ok()?, n.parse().ok()?))
    };
    match parse() {
        Some((i, n)) if n >= 1 && (1..=n).contains(&i) => Ok((i, n)),
        _ => Err(format!("`{text}` is not I/N with 1 <= I <= N, e.g. 2/4")),
    }
}

/// `wouldblock explore`: 0 when nothing was found, 1 when something was.
pub fn explore(args: ExploreArgs) -> Result<i32> {
    let mut reporter = Reporter::new();
    if let Some(path) = &args.json {
        reporter = reporter.json(Json::at_end(path));
    }
    reporter.report(Event::RunStarted(Start::Explore))?;
    let report = if args.merge.is_empty() {
        let Some(component) = &args.component else {
            bail!("give a component to explore, or --merge with shard reports");
        };
        let harness = args.harness.builder()?.build()?;
        let guest = harness.load(component)?;
        let mut options = ExploreOptions::new()
            .depth(args.depth)
            .budget(args.budget)
            .seed(args.seed)
            .host_bugs(args.host_bugs);
        if let Some(jobs) = args.jobs {
            options = options.jobs(jobs);
        }
        if let Some((i, n)) = args.shard {
            options = options.shard(i, n);
        }
        // The library asks for a `Sync` callback; it calls it from one thread at a time.
        let shared = Mutex::new(reporter);
        let progress = |done: u64, total: u64| {
            shared
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .progress(done, total);
        };
        let report = harness.explore_with_progress(&guest, &args.args, options, progress)?;
        reporter = shared.into_inner().unwrap_or_else(|e| e.into_inner());
        report
    } else {
        let mut reports = Vec::new();
        for path in &args.merge {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let report: Report = serde_json::from_str(&text)
                .with_context(|| format!("{} is not an explore --json report", path.display()))?;
            reports.push(report);
        }
        Report::merge(reports)
    };
    let files = report
        .write_plans(&args.out, &replay_command())
        .with_context(|| format!("writing the findings to {}", args.out.display()))?;
    let findings = report.findings.iter().chain(&report.notes);
    let findings = findings.chain(&report.host_bugs);
    for (i, finding) in findings.enumerate() {
        let file = files.get(i).map(PathBuf::as_path);
        reporter.report(Event::Finding { finding, file })?;
    }
    reporter.report(Event::Summary(Summary::Explore(&report)))?;
    reporter.report(Event::RunEnded)?;
    Ok(report.exit_code())
}

/// This command as `wouldblock run --plan {file} ...`: the same harness options, component
/// and arguments, without the exploration's own options.
fn replay_command() -> String {
    const OWN: &[&str] = &[
        "--jobs", "--depth", "--budget", "--seed", "--shard", "--out", "--json",
    ];
    let mut words = std::env::args();
    let program = words.next().unwrap_or_else(|| "wouldblock".into());
    let mut out = vec![program, "run".into(), "--plan".into(), "{file}".into()];
    let mut skip = false;
    let mut after_explore = false;
    let mut guest_args = false;
    for word in words {
        if !after_explore {
            after_explore = word == "explore";
            continue;
        }
        if skip {
            skip = false;
            continue;
        }
        // `--host-bugs` takes no value: dropped alone.
        if !guest_args && word == "--host-bugs" {
            continue;
        }
        if !guest_args && OWN.contains(&word.as_str()) {
            skip = true;
            continue;
        }
        if !guest_args && OWN.iter().any(|own| word.starts_with(&format!("{own}="))) {
            continue;
        }
        guest_args |= word == "--";
        out.push(word);
    }
    out.join(" ")
}
