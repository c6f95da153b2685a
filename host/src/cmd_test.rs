//! `wouldblock test`: a libtest component's tests, one fresh instance each, under one plan,
//! printed the way nextest prints them.

use crate::options::HarnessArgs;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;
use wouldblock::suite::{self, Selection, TestResult};

#[derive(clap::Args)]
pub struct TestArgs {
    #[command(flatten)]
    harness: HarnessArgs,
    /// Also write the results as a JUnit XML report to FILE, for CI systems.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Tests run at once, each in its own instance (default: the machine's cores).
    #[arg(long, value_name = "J")]
    jobs: Option<usize>,
    /// The libtest component (`cargo test --target wasm32-wasip2 --no-run` builds it).
    component: PathBuf,
    /// libtest's own arguments: filters, `--exact`, `--skip NAME`, `--ignored`,
    /// `--include-ignored`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// `wouldblock test`.
pub fn test(args: TestArgs) -> Result<i32> {
    per_test(
        &args.harness,
        &args.component,
        &args.args,
        args.junit.as_deref(),
        args.jobs,
    )
}

/// Whether a cargo runner was handed a test binary (`target/.../deps/NAME-HASH.wasm`) to
/// run whole: then each test gets its own instance, unless libtest's own `--list` or
/// `--exact` shows another runner (nextest) already runs one test at a time.
pub fn looks_like_libtest(component: &Path, args: &[String]) -> bool {
    let in_deps = component
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir == "deps");
    let hashed = component
        .file_stem()
        .and_then(|stem| stem.to_str())
        .and_then(|stem| stem.rsplit_once('-'))
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
    let one_at_a_time = args.iter().any(|a| a == "--list" || a == "--exact");
    in_deps && hashed && !one_at_a_time
}

/// Lists, runs and reports; exit 0 only if every selected test passed.
pub fn per_test(
    options: &HarnessArgs,
    component: &Path,
    args: &[String],
    junit: Option<&Path>,
    jobs: Option<usize>,
) -> Result<i32> {
    let harness = options.builder()?.build()?;
    let guest = harness.load(component)?;
    let junit = junit
        .map(|path| {
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))
                .map(|f| (f, path))
        })
        .transpose()?;
    let selection = Selection::from_args(args);
    let cases = suite::list(&harness, &guest, &selection)?;
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let start = Instant::now();
    println!(
        "    Starting {} tests across {jobs} jobs ({})",
        cases.len(),
        guest.name()
    );
    let results = suite::run(&harness, &guest, &cases, &selection, jobs)?;
    for result in &results {
        println!("{}", line(result));
    }
    let count = |status| results.iter().filter(|r| r.status() == status).count();
    let (passed, failed, skipped) = (count("pass"), count("fail"), count("skip"));
    println!("------------");
    println!(
        "     Summary [{:>8.3}s] {} tests run: {passed} passed, {failed} failed, {skipped} skipped",
        start.elapsed().as_secs_f64(),
        passed + failed
    );
    for result in results.iter().filter(|r| r.status() == "fail") {
        evidence(result);
    }
    if let Some((file, path)) = junit {
        let name = guest.name().to_string();
        std::io::Write::write_all(&mut &file, suite::junit(&name, &results).as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if failed == 0 { 0 } else { 1 })
}

/// One line per test, nextest's shape.
fn line(result: &TestResult) -> String {
    let name = &result.case.name;
    let secs = result.duration.as_secs_f64();
    match (result.status(), result.failure()) {
        ("skip", _) => format!("        SKIP              {name} (ignored)"),
        ("fail", Some(why)) => {
            let why: String = why.chars().take(100).collect();
            format!("        FAIL [{secs:>8.3}s] {name}: {why}")
        }
        _ => format!("        PASS [{secs:>8.3}s] {name}"),
    }
}

/// A failing test's evidence: why, its trace lines, the end of its output.
fn evidence(result: &TestResult) {
    let Some(outcome) = &result.outcome else {
        return;
    };
    println!("\n--- FAIL {} ---", result.case.name);
    println!("{}", result.failure().unwrap_or_default());
    if let wouldblock::Exit::Stopped(stop) = &outcome.exit
        && !stop.evidence.is_empty()
    {
        println!(
            "  evidence (last socket calls):\n{}",
            stop.evidence.trim_end()
        );
    }
    let stderr = outcome.stderr_text();
    let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
    for line in tail.iter().rev() {
        println!("  | {line}");
    }
    println!("  {}", outcome.summary());
}
