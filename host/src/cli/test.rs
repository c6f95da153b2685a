//! `wouldblock test`: a libtest component's tests, one fresh instance each, under one plan,
//! printed the way nextest prints them: each test's line as it ends, the summary in list
//! order.

use super::explore_suite::{self, SuiteRun};
use super::options::{self, HarnessArgs, Knobs};
use super::reporter::{Event, Html, Invocation, Junit, Reporter, Start, Summary};
use super::{output, repeat, signal};
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use wouldblock::suite::{self, Selection, TestStatus};

#[derive(clap::Args)]
pub struct TestArgs {
    #[command(flatten)]
    harness: HarnessArgs,
    /// Also write the results as a JUnit XML report to FILE, for CI systems.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also write a self-contained HTML report to FILE: one row per test (pass, fail,
    /// skip), each test's timeline and replay command on demand. Example: --html tests.html
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Tests run at once, each in its own instance (default: the machine's cores; at most
    /// the tests, and 256).
    #[arg(long, value_name = "J", value_parser = clap::value_parser!(u64).range(1..))]
    jobs: Option<u64>,
    /// Explore every test instead of running it under one plan: each test gets two
    /// fault-free runs (failing and flaky tests are reported, not explored), then every
    /// fault at every site it showed, as `explore` does for one program.
    #[arg(long)]
    explore: bool,
    #[command(flatten)]
    knobs: Knobs,
    /// The libtest component (`cargo test --target wasm32-wasip2 --no-run` builds it).
    component: PathBuf,
    /// libtest's own arguments: filters, `--exact`, `--skip NAME`, `--ignored`,
    /// `--include-ignored`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// `wouldblock test`.
pub fn test(args: TestArgs) -> Result<i32> {
    let mut inputs = args.harness.inputs();
    inputs.push(("the component", &args.component));
    output::inputs(inputs);
    explore_suite::one_component(&args.component, &args.args)?;
    if args.explore {
        return explore_suite::explore_suite(SuiteRun {
            harness: &args.harness,
            knobs: &args.knobs,
            jobs: args.jobs,
            junit: args.junit.as_deref(),
            html: args.html.as_deref(),
            component: &args.component,
            args: &args.args,
        });
    }
    if let Some(flag) = args.knobs.first_given() {
        bail!("{flag} is an exploration's option: add --explore");
    }
    per_test(
        &args.harness,
        &args.component,
        &args.args,
        args.junit.as_deref(),
        args.jobs,
        args.html.as_deref(),
    )
}

/// Lists, runs and reports; exit 0 only if every selected test passed. Every test reads
/// an empty stdin. `--list` is libtest's own: the component lists its tests itself.
/// SIGINT or SIGTERM stops the tests, and those that ended are reported (130 or 143).
pub fn per_test(
    options: &HarnessArgs,
    component: &Path,
    args: &[String],
    junit: Option<&Path>,
    jobs: Option<u64>,
    html: Option<&Path>,
) -> Result<i32> {
    let selection = Selection::from_args(args);
    if selection.list {
        let harness = options.builder()?.build()?;
        let guest = harness.load(component)?;
        return Ok(harness.run(&guest, args)?.exit_code());
    }
    let jobs = options::jobs(jobs);
    let harness = repeat::harness(options, jobs)?;
    let guest = harness.load(component)?;
    // The report's path is checked and reserved before the listing runs the component.
    let mut reporter = Reporter::new();
    if let Some(path) = junit {
        reporter = reporter.junit(Junit::create(path)?);
    }
    if let Some(path) = html {
        let invocation = Invocation::new(Some(component), Some(options.plan()?), options.clock());
        reporter = reporter.html(Html::create(path, invocation.replaying_tests())?);
    }
    let cases = suite::list(&harness, &guest, &selection)?;
    super::options::no_match(&cases, &selection);
    let jobs = jobs.min(cases.len().max(1));
    reporter.report(Event::RunStarted(Start::Suite {
        tests: cases.len(),
        jobs,
        component: guest.name(),
    }))?;
    // The tests go on if a line cannot be printed; the first such error is the command's.
    let mut failed_report = None;
    let results = suite::run_each(
        &harness,
        &guest,
        &cases,
        &selection,
        jobs,
        |index, result| {
            if let Err(e) = reporter.report(Event::TestEnded { index, result }) {
                failed_report.get_or_insert(e);
            }
        },
    )?;
    if let Some(e) = failed_report {
        return Err(e);
    }
    let interrupted = signal::interrupted();
    if let Some((_, signal)) = interrupted {
        reporter.report(Event::Interrupted {
            signal,
            done: results.len() as u64,
            total: cases.len() as u64,
        })?;
    }
    reporter.report(Event::Summary(Summary::Suite(&results)))?;
    reporter.report(Event::RunEnded)?;
    if let Some((status, _)) = interrupted {
        return Ok(status);
    }
    let failed = results.iter().any(|r| r.status() == TestStatus::Fail);
    Ok(if failed { 1 } else { 0 })
}
