//! `wouldblock explore`: finds readiness bugs in a component with no plan given, writes a
//! replayable plan per finding, and prints the table.

use super::explore_suite::{self, SuiteRun};
use super::files::PlanFiles;
use super::options::{self, HarnessArgs, Knobs};
use super::output::{self, OutDir};
use super::reporter::{Event, Html, Invocation, Json, Reporter, Start, Summary};
use super::shell::shell_words;
use super::{repeat, replay, signal};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use wouldblock::explore::{self, Finding, REPORT_FORMAT, Report, SUITE_REPORT_FORMAT, SuiteReport};
use wouldblock::{Guest, Harness};

#[derive(clap::Args)]
pub struct ExploreArgs {
    #[command(flatten)]
    harness: HarnessArgs,
    /// Threads (default: the machine's cores; at most 256). Example: --jobs 2
    #[arg(long, value_name = "J", value_parser = clap::value_parser!(u64).range(1..))]
    jobs: Option<u64>,
    #[command(flatten)]
    knobs: Knobs,
    /// Also write a self-contained HTML report to FILE: the findings table, and each
    /// finding's timeline (its plan replayed once more) with its replay command.
    /// Example: --html explore.html
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// For a test suite (a cargo test binary, or --suite): also write a JUnit XML report,
    /// one testcase per test; a finding is a failure naming its verdict, fault and replay.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// The component is a libtest suite: explore each test on its own (automatic for a
    /// cargo test binary, `target/.../deps/NAME-HASH.wasm`); the arguments are libtest's
    /// filters.
    #[arg(long)]
    suite: bool,
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

/// `wouldblock explore`: 0 when nothing was found, 1 when something was; 130 or 143 when
/// SIGINT or SIGTERM stopped it (what ended is reported, marked incomplete).
pub fn explore(args: ExploreArgs) -> Result<i32> {
    let mut inputs = args.harness.inputs();
    inputs.extend(
        args.component
            .iter()
            .map(|c| ("the component", c.as_path())),
    );
    inputs.extend(args.merge.iter().map(|m| ("--merge", m.as_path())));
    output::inputs(inputs);
    let allows = args.knobs.allows()?;
    if !args.merge.is_empty() {
        let mut programs = Vec::new();
        let mut suites = Vec::new();
        for path in &args.merge {
            match read_shard(path)? {
                Shard::Program(report) => programs.push((path, *report)),
                Shard::Suite(report) => suites.push((path, *report)),
            }
        }
        if let (Some((program, _)), Some((suite, _))) = (programs.first(), suites.first()) {
            bail!(
                "cannot merge {} (one program's exploration) with {} (a test suite's)",
                program.display(),
                suite.display()
            );
        }
        if !suites.is_empty() {
            let suites = suites.into_iter().map(|(_, report)| report).collect();
            let files = (args.junit.as_deref(), args.html.as_deref());
            return explore_suite::merge(&args.harness, &args.knobs, files, suites);
        }
        // Each shard's acknowledgements are made again on the whole.
        let shards = programs
            .into_iter()
            .map(|(_, report)| report.unacknowledged());
        let mut report =
            Report::merge(shards.collect()).context("cannot merge the shard reports")?;
        report.acknowledge(&allows, None);
        // Written plans replay the exploration, not the merge.
        let replay = report.exploration.replay.clone();
        return finish(&args, report, &replay);
    }
    let Some(component) = &args.component else {
        bail!("give a component to explore, or --merge with shard reports");
    };
    if args.suite || options::looks_like_libtest(component, &args.args) {
        return explore_suite::explore_suite(SuiteRun {
            harness: &args.harness,
            knobs: &args.knobs,
            jobs: args.jobs,
            junit: args.junit.as_deref(),
            html: args.html.as_deref(),
            component,
            args: &args.args,
        });
    }
    if args.junit.is_some() {
        bail!("--junit needs a test suite: a cargo test binary, or --suite");
    }
    let jobs = options::jobs(args.jobs);
    // Every run reads an empty stdin: a verdict must not depend on the harness's own.
    let harness = repeat::harness(&args.harness, jobs)?;
    let guest = harness.load(component)?;
    // Every output path is checked before the first run.
    let explored =
        shell_words(std::iter::once(guest.name()).chain(args.args.iter().map(String::as_str)));
    let out = OutDir::claim(&args.knobs.out, &explored, args.knobs.force)?;
    let mut reporter = reporter_for(&args)?;
    reporter.report(Event::RunStarted(Start::Explore))?;
    let options = args.knobs.options(jobs);
    // The library asks for a `Sync` callback; it calls it from one thread at a time.
    let shared = Mutex::new((reporter, 0));
    let progress = |done: u64, total: u64| {
        let mut shared = shared.lock().unwrap_or_else(|e| e.into_inner());
        shared.1 = total;
        shared.0.progress(done, total);
    };
    let mut report =
        explore::explore_with_progress(&harness, &guest, &args.args, options, progress)?;
    let (mut reporter, total) = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    let replay = replay_command();
    report.exploration.replay = replay.clone();
    report.acknowledge(&allows, None);
    if let Some((_, signal)) = signal::interrupted() {
        let done = report.runs.saturating_sub(1);
        reporter.report(Event::Interrupted {
            signal,
            done,
            total,
        })?;
    }
    let replays = args
        .html
        .is_some()
        .then_some((&harness, &guest, &args.args[..], jobs));
    report_all(reporter, &report, out.path(), &replay, replays)
}

/// The reporter with the files asked for (checked before the first run).
fn reporter_for(args: &ExploreArgs) -> Result<Reporter> {
    let mut reporter = Reporter::new();
    if let Some(path) = &args.knobs.json {
        reporter = reporter.json(Json::create(path, "--json")?);
    }
    if let Some(path) = &args.html {
        let invocation = Invocation::new(args.component.as_deref(), None, args.harness.clock());
        reporter = reporter.html(Html::create(path, invocation.replaying(replay_command()))?);
    }
    Ok(reporter)
}

/// A shard report: one program's exploration, or a test suite's.
enum Shard {
    Program(Box<Report>),
    Suite(Box<SuiteReport>),
}

/// A shard report, its format version checked before anything else is read from it.
fn read_shard(path: &Path) -> Result<Shard> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an explore --json report", path.display()))?;
    let not_a_report = || format!("{} is not an explore --json report", path.display());
    if let Some(version) = value
        .get("suite_format")
        .and_then(serde_json::Value::as_u64)
    {
        if version != u64::from(SUITE_REPORT_FORMAT) {
            bail!(
                "{}: suite report format version {version}; this wouldblock reads version \
                 {SUITE_REPORT_FORMAT}",
                path.display()
            );
        }
        return Ok(Shard::Suite(
            serde_json::from_value(value).with_context(not_a_report)?,
        ));
    }
    match value.get("format").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(REPORT_FORMAT) => {}
        Some(v) => bail!(
            "{}: report format version {v}; this wouldblock reads version {REPORT_FORMAT}",
            path.display()
        ),
        None => bail!(
            "{}: a report with no format version (an older wouldblock's, or not an explore \
             --json report): explore the shard again",
            path.display()
        ),
    }
    Ok(Shard::Program(
        serde_json::from_value(value).with_context(not_a_report)?,
    ))
}

/// `--merge`: the output paths checked, then the merged report written and printed.
fn finish(args: &ExploreArgs, report: Report, replay: &str) -> Result<i32> {
    let out = OutDir::claim(&args.knobs.out, &report.explored(), args.knobs.force)?;
    let mut reporter = reporter_for(args)?;
    reporter.report(Event::RunStarted(Start::Explore))?;
    // A merged report has no traces: its findings have no timeline.
    report_all(reporter, &report, out.path(), replay, None)
}

/// What `--html` replays each finding's plan with: the harness, the guest, its
/// arguments and the threads.
type Replays<'a> = (&'a Harness, &'a Guest, &'a [String], usize);

/// The plan files, the table, the JSON; the status.
fn report_all(
    mut reporter: Reporter,
    report: &Report,
    out: &Path,
    replay: &str,
    replays: Option<Replays<'_>>,
) -> Result<i32> {
    let files = report
        .write_plans(out, replay)
        .with_context(|| format!("writing the findings to {}", out.display()))?;
    let findings = report.findings.iter().chain(&report.notes);
    let findings: Vec<&Finding> = findings.chain(&report.host_bugs).collect();
    let outcomes = match replays {
        Some((harness, guest, args, jobs)) => {
            let runs: Vec<_> = findings.iter().map(|&f| (f, args)).collect();
            replay::replay_findings(harness, guest, &runs, jobs)?
        }
        None => Vec::new(),
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
    reporter.report(Event::Summary(Summary::Explore(report)))?;
    reporter.report(Event::RunEnded)?;
    Ok(signal::interrupted().map_or(report.exit_code(), |(status, _)| status))
}

/// This command as `wouldblock run --plan {file} ...`, every word shell-quoted: the same
/// harness options, component and arguments, without the exploration's own options.
fn replay_command() -> String {
    use super::options::{EXPLORE_OPTIONS as OWN, EXPLORE_SWITCHES as OWN_SWITCHES};
    let mut words = std::env::args();
    let program = words.next().unwrap_or_else(|| "wouldblock".into());
    let out = vec![program, "run".into(), "--plan".into()];
    let mut rest = Vec::new();
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
        if !guest_args
            && (OWN_SWITCHES.contains(&word.as_str())
                || OWN.iter().any(|own| word.starts_with(&format!("{own}="))))
        {
            continue;
        }
        guest_args |= word == "--";
        rest.push(word);
    }
    // `{file}` stays a bare word: the plan's path goes there, quoted.
    format!("{} {{file}} {}", shell_words(&out), shell_words(&rest))
}
