//! `wouldblock run`: one component under a fault plan, as a user or a cargo runner calls it.

use super::options::{self, HarnessArgs};
use super::output::{self, OutFile};
use super::reporter::{Event, Html, Invocation, Json, Reporter, Start, Summary};
use super::{repeat, signal, test};
use anyhow::{Result, bail};
use std::path::PathBuf;
use wouldblock::Outcome;

#[derive(clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    harness: HarnessArgs,
    /// Write one JSON line per socket call to FILE.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Also write the outcome as JSON to FILE (verdict, exit status, the guest's own
    /// status, counters), for CI to read instead of parsing stderr.
    #[arg(long, value_name = "FILE")]
    summary_json: Option<PathBuf>,
    /// Also write a self-contained HTML report to FILE, also when the run fails: the
    /// component, plan and outcome, the run's timeline (with --repeat, the first failing
    /// run's) and the command that replays it. Example: --html report.html
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Run the same plan N times in this one process (one compiled component, runs on
    /// --jobs threads, each with an empty stdin), check that every run took the same path
    /// as run 1, and print the endings; --trace and --summary-json then describe the first
    /// failing run (run 1 when every run passed). Example: --repeat 10000
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    repeat: Option<u64>,
    /// Threads for --repeat (default: the machine's cores; at most the runs, and 256).
    /// Example: --jobs 2
    #[arg(long, value_name = "J", requires = "repeat", value_parser = clap::value_parser!(u64).range(1..))]
    jobs: Option<u64>,
    /// Run a libtest component one test per fresh instance, as `wouldblock test` does
    /// (the default when the component is a cargo test binary, `deps/NAME-HASH.wasm`,
    /// and the arguments are not libtest's own `--list` or `--exact`).
    #[arg(long, overrides_with = "no_per_test")]
    per_test: bool,
    /// Run a cargo test binary as one instance, as it is.
    #[arg(long)]
    no_per_test: bool,
    /// The component file.
    component: PathBuf,
    /// Arguments for the guest (after its argv[0]).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// `wouldblock run`: returns the guest's exit status, or a verdict's.
pub fn run(args: RunArgs) -> Result<i32> {
    let libtest = args.per_test
        || (!args.no_per_test && options::looks_like_libtest(&args.component, &args.args));
    // Output files are checked and reserved before the guest runs: a verdict is never lost
    // to a path that cannot be written, and a failed run leaves an earlier file as it was.
    let mut inputs = args.harness.inputs();
    inputs.push(("the component", &args.component));
    output::inputs(inputs);
    let mut trace = args
        .trace
        .as_deref()
        .map(|path| OutFile::reserve(path, "--trace"))
        .transpose()?;
    let mut reporter = Reporter::new();
    if let Some(path) = &args.summary_json {
        reporter = reporter.json(Json::create(path, "--summary-json")?);
    }
    if let Some(path) = args
        .html
        .as_deref()
        .filter(|_| !libtest || args.repeat.is_some())
    {
        let plan = Some(args.harness.plan()?);
        let invocation = Invocation::new(Some(&args.component), plan, args.harness.clock());
        reporter = reporter.html(Html::create(path, invocation.replaying_one_run())?);
    }
    // One run is not stopped gracefully: a signal ends it, and its outputs' temporary
    // files go with it (`--repeat` and a test binary install their own handlers).
    signal::remove_on_signal(output::reserved_temps());
    if let Some(runs) = args.repeat {
        if args.per_test {
            bail!(
                "--repeat runs the component whole, N times, and --per-test runs each test \
                 once: give one of them"
            );
        }
        if libtest {
            eprintln!(
                "wouldblock: note: --repeat runs the test binary whole, {runs} times \
                 (`wouldblock test` runs each test in its own instance)"
            );
        }
        let jobs = options::jobs(args.jobs);
        let harness = repeat::harness(&args.harness, jobs)?;
        let guest = harness.load(&args.component)?;
        let repeat = repeat::repeat(&harness, &guest, &args.args, runs, jobs, reporter)?;
        if let (Some(file), Some((_, outcome))) = (&mut trace, repeat.described()) {
            write_trace(file, &args.harness, outcome)?;
        }
        return Ok(signal::interrupted().map_or(repeat.exit_code(), |(status, _)| status));
    }
    if libtest {
        if args.trace.is_some() || args.summary_json.is_some() {
            bail!(
                "--trace and --summary-json describe one run, and a test binary runs one \
                 instance per test: give --no-per-test to run it whole, or use \
                 `wouldblock test --junit FILE`"
            );
        }
        let html = args.html.as_deref();
        return test::per_test(&args.harness, &args.component, &args.args, None, None, html);
    }
    let harness = args.harness.builder()?.build()?;
    let guest = harness.load(&args.component)?;
    reporter.report(Event::RunStarted(Start::Run))?;
    let outcome = harness.run(&guest, &args.args)?;
    if let Some(file) = &mut trace {
        write_trace(file, &args.harness, &outcome)?;
    }
    reporter.report(Event::Summary(Summary::Run(&outcome)))?;
    reporter.report(Event::RunEnded)?;
    Ok(outcome.exit_code())
}

/// The trace file: the clock's line, then the run's calls.
fn write_trace(file: &mut OutFile, options: &HarnessArgs, outcome: &Outcome) -> Result<()> {
    let mut text = options.clock_header().into_bytes();
    text.push(b'\n');
    text.extend_from_slice(outcome.trace.to_json_lines().as_bytes());
    file.commit(&text)
}
