//! `wouldblock explore`: finds readiness bugs in a component with no plan given, writes a
//! replayable plan per finding, and prints the table.

use super::options::HarnessArgs;
use super::reporter::{Event, Html, Invocation, Json, Reporter, Start, Summary};
use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::sync::Mutex;
use wouldblock::explore::{ExploreOptions, Finding, Report};
use wouldblock::{Guest, Harness, Outcome, Output, Plan};

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
    /// Also write a self-contained HTML report to FILE: the findings table, and each
    /// finding's timeline (its plan replayed once more) with its replay command.
    /// Example: --html explore.html
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
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
    if let Some(path) = &args.html {
        let invocation = Invocation::new(args.component.as_deref(), None, args.harness.clock());
        reporter = reporter.html(Html::create(path, invocation.replaying(replay_command()))?);
    }
    reporter.report(Event::RunStarted(Start::Explore))?;
    // The harness and the component, kept for the HTML report's replays.
    let mut loaded = None;
    let report = if args.merge.is_empty() {
        let Some(component) = &args.component else {
            bail!("give a component to explore, or --merge with shard reports");
        };
        let harness = args.harness.builder()?.build()?;
        let guest = harness.load(component)?;
        let mut options = ExploreOptions::new()
            .depth(args.depth)
            .budget(args.budget)
            .seed(args.seed);
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
        loaded = Some((harness, guest));
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
    let findings: Vec<&Finding> = report.findings.iter().chain(&report.notes).collect();
    let outcomes = match (&args.html, &loaded) {
        (Some(_), Some((harness, guest))) => {
            let jobs = args.jobs.unwrap_or_else(|| ExploreOptions::new().jobs);
            replay(harness, guest, &args.args, &findings, jobs)?
        }
        _ => Vec::new(),
    };
    for (i, finding) in findings.into_iter().enumerate() {
        let file = files.get(i).map(PathBuf::as_path);
        let outcome = outcomes.get(i);
        reporter.report(Event::Finding {
            finding,
            file,
            outcome,
        })?;
    }
    reporter.report(Event::Summary(Summary::Explore(&report)))?;
    reporter.report(Event::RunEnded)?;
    Ok(report.exit_code())
}

/// This command as `wouldblock run --plan {file} ...`: the same harness options, component
/// and arguments, without the exploration's own options.
fn replay_command() -> String {
    const OWN: &[&str] = &[
        "--jobs", "--depth", "--budget", "--seed", "--shard", "--out", "--json", "--html",
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

/// Each finding's plan run once more, for its timeline in the HTML report: the plan
/// replays it (every run of a plan takes the same path), and an exploration without
/// `--html` need not keep every finding's trace. On `jobs` threads, in the findings' order.
fn replay(
    harness: &Harness,
    guest: &Guest,
    args: &[String],
    findings: &[&Finding],
    jobs: usize,
) -> Result<Vec<Outcome>> {
    let quiet = harness.with_output(Output::Capture);
    let one = |finding: &Finding| -> Result<Outcome> {
        let plan = Plan::from_toml(&finding.plan, "a finding's plan")?;
        Ok(quiet.with_plan(plan).run(guest, args)?)
    };
    let per_thread = findings.len().div_ceil(jobs.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = findings
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().map(|f| one(f)).collect::<Vec<_>>()))
            .collect();
        let mut outcomes = Vec::with_capacity(findings.len());
        for handle in handles {
            let chunk = handle
                .join()
                .map_err(|_| anyhow::anyhow!("a replay thread panicked"))?;
            for outcome in chunk {
                outcomes.push(outcome?);
            }
        }
        Ok(outcomes)
    })
}
