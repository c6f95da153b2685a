//! `wouldblock run`: one component under a fault plan, as a user or a cargo runner calls it.

use super::options::HarnessArgs;
use super::reporter::{Event, Html, Invocation, Json, Reporter, Start, Summary};
use super::{repeat, test};
use anyhow::{Context, Result};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

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
    /// --jobs threads), check that every run took the same path as run 1, and print the
    /// endings. Example: --repeat 10000
    #[arg(long, value_name = "N")]
    repeat: Option<u64>,
    /// Threads for --repeat (default: the machine's cores). Example: --jobs 2
    #[arg(long, value_name = "J", requires = "repeat")]
    jobs: Option<usize>,
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
    if args.per_test || (!args.no_per_test && test::looks_like_libtest(&args.component, &args.args))
    {
        let html = args.html.as_deref();
        return test::per_test(&args.harness, &args.component, &args.args, None, None, html);
    }
    let harness = args.harness.builder()?.build()?;
    let html = |path: &Path| -> Result<Html> {
        let plan = Some(args.harness.plan()?);
        let invocation = Invocation::new(Some(&args.component), plan, args.harness.clock());
        Html::create(path, invocation.replaying_one_run())
    };
    if let Some(runs) = args.repeat {
        let guest = harness.load(&args.component)?;
        let html = args.html.as_deref().map(html).transpose()?;
        return repeat::repeat(&harness, &guest, &args.args, runs, args.jobs, html);
    }
    // Output files are opened before the guest runs: a verdict is never lost to a path
    // that cannot be written.
    let guest = harness.load(&args.component)?;
    let trace = args.trace.as_deref().map(create).transpose()?;
    let mut reporter = Reporter::new();
    if let Some(path) = &args.summary_json {
        reporter = reporter.json(Json::create(path)?);
    }
    if let Some(path) = &args.html {
        reporter = reporter.html(html(path)?);
    }
    reporter.report(Event::RunStarted(Start::Run))?;
    let outcome = harness.run(&guest, &args.args)?;
    if let Some((mut file, path)) = trace {
        let header = args.harness.clock_header();
        writeln!(file, "{header}")
            .and_then(|()| outcome.trace.write_json_lines(&mut file))
            .and_then(|()| file.flush())
            .with_context(|| format!("writing the trace to {}", path.display()))?;
    }
    reporter.report(Event::Summary(Summary::Run(&outcome)))?;
    reporter.report(Event::RunEnded)?;
    Ok(outcome.exit_code())
}

/// Creates an output file, or says which path cannot be written.
fn create(path: &Path) -> Result<(File, PathBuf)> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok((file, path.to_path_buf()))
}
