//! `wouldblock test --explore`, and `wouldblock explore` given a libtest suite: every test
//! explored on its own, each test's line as it ends, then the findings with their plan
//! files, the root causes across tests, `--json` and `--junit`; `explore --merge` of such
//! shards.

use super::files::PlanFiles;
use super::options::{self, HarnessArgs, Knobs};
use super::output::OutDir;
use super::reporter::{Event, Html, Invocation, Json, Junit, Reporter, Start, Summary};
use super::shell::shell_words;
use super::{repeat, signal};
use anyhow::Result;
use std::path::Path;
use wouldblock::explore::{self, Finding, SuiteEvent, SuiteReport};
use wouldblock::suite::{self, Selection, TestCase};
use wouldblock::{Guest, Harness, Outcome};

/// What a suite exploration was asked for.
pub struct SuiteRun<'a> {
    /// The harness's options.
    pub harness: &'a HarnessArgs,
    /// The exploration's.
    pub knobs: &'a Knobs,
    /// `--jobs`.
    pub jobs: Option<u64>,
    /// `--junit`.
    pub junit: Option<&'a Path>,
    /// `--html`.
    pub html: Option<&'a Path>,
    /// The libtest component.
    pub component: &'a Path,
    /// libtest's filters.
    pub args: &'a [String],
}

/// Explores every selected test; 0 when all are clean, 1 with a finding or a test that
/// fails without a fault, 92 when the only trouble is a flaky test; 130 or 143 when a
/// signal stopped it (what ended is reported).
pub fn explore_suite(run: SuiteRun<'_>) -> Result<i32> {
    one_component(run.component, run.args)?;
    let allows = run.knobs.allows()?;
    let selection = Selection::from_args(run.args);
    if selection.list {
        let harness = run.harness.builder()?.build()?;
        let guest = harness.load(run.component)?;
        return Ok(harness.run(&guest, run.args)?.exit_code());
    }
    let jobs = options::jobs(run.jobs);
    // Every run reads an empty stdin: a verdict must not depend on the harness's own.
    let harness = repeat::harness(run.harness, jobs)?;
    let guest = harness.load(run.component)?;
    // Every output path is checked before the first run.
    let explored = shell_words(
        std::iter::once(guest.name()).chain(selection.filters.iter().map(String::as_str)),
    );
    let out = OutDir::claim(&run.knobs.out, &explored, run.knobs.force)?;
    let files = Files {
        json: run.knobs.json.as_deref(),
        junit: run.junit,
        html: run
            .html
            .map(|path| (path, Some(run.component), run.harness.clock())),
    };
    let mut reporter = reporter_for(&files, replay_command(run.component))?;
    let cases = suite::list(&harness, &guest, &selection)?;
    super::options::no_match(&cases, &selection);
    reporter.report(Event::RunStarted(Start::ExploreSuite {
        tests: cases.len(),
        jobs: jobs.min(cases.len().max(1)),
        component: guest.name(),
        depth: run.knobs.depth,
    }))?;
    // The exploration goes on if a line cannot be printed; the first such error is the
    // command's.
    let mut failed_report = None;
    let options = run.knobs.options(jobs);
    let mut report =
        explore::explore_suite(&harness, &guest, &cases, &selection, options, |event| {
            let shown = match event {
                SuiteEvent::Progress { done, total } => {
                    reporter.progress(done, total);
                    Ok(())
                }
                SuiteEvent::TestDone { test, .. } => {
                    // Its line says what the whole report will say of it.
                    let mut test = test.clone();
                    test.acknowledge(&allows);
                    reporter.report(Event::TestExplored { test: &test })
                }
                _ => Ok(()),
            };
            if let Err(e) = shown {
                failed_report.get_or_insert(e);
            }
        })?;
    if let Some(e) = failed_report {
        return Err(e);
    }
    report.exploration.replay = replay_command(run.component);
    report.acknowledge(&allows);
    if let Some((_, signal)) = signal::interrupted() {
        let ended = report.tests.iter().filter(|t| t.unexplored == 0).count();
        reporter.report(Event::Interrupted {
            signal,
            done: ended as u64,
            total: report.tests.len() as u64,
        })?;
    }
    let outcomes = match run.html {
        Some(_) => replay_findings(&harness, &guest, &report, &cases, jobs)?,
        None => Vec::new(),
    };
    finish(reporter, &report, out.path(), &outcomes)
}

/// A second component where libtest's filters go (a shell glob that matched two test
/// binaries) would filter every test out and pass having run none: refused, named.
pub fn one_component(component: &Path, filters: &[String]) -> Result<()> {
    let second = filters
        .iter()
        .find(|f| f.ends_with(".wasm") && Path::new(f.as_str()).is_file());
    if let Some(second) = second {
        anyhow::bail!(
            "{second}: a second component after {}; the words after the component are \
             libtest's filters. Run one test binary at a time, or every binary of a package \
             with `cargo wouldblock`",
            component.display()
        );
    }
    Ok(())
}

/// Each finding's plan run once more on its test, for its timeline in the HTML report (in
/// the report's order: each test's findings, notes and host-bug results).
fn replay_findings(
    harness: &Harness,
    guest: &Guest,
    report: &SuiteReport,
    cases: &[TestCase],
    jobs: usize,
) -> Result<Vec<Outcome>> {
    let args: Vec<Vec<String>> = (report.tests.iter())
        .map(
            |test| match cases.iter().find(|case| case.name == test.name) {
                Some(case) => Ok(case.args()),
                None => anyhow::bail!("the report's test {} is not in the listing", test.name),
            },
        )
        .collect::<Result<_>>()?;
    let runs: Vec<(&Finding, &[String])> = (report.tests.iter().zip(&args))
        .flat_map(|(test, args)| test.all_findings().map(move |f| (f, &args[..])))
        .collect();
    super::replay::replay_findings(harness, guest, &runs, jobs)
}

/// `explore --merge` of a suite's shard reports (the HTML page's findings have no
/// timelines: shard reports carry no traces).
pub fn merge(
    harness: &HarnessArgs,
    knobs: &Knobs,
    (junit, html): (Option<&Path>, Option<&Path>),
    shards: Vec<SuiteReport>,
) -> Result<i32> {
    let allows = knobs.allows()?;
    // Each shard's acknowledgements are made again on the whole.
    let shards = shards
        .into_iter()
        .map(SuiteReport::unacknowledged)
        .collect();
    let mut report = SuiteReport::merge(shards)
        .map_err(|e| anyhow::anyhow!("cannot merge the shard reports: {e}"))?;
    report.acknowledge(&allows);
    let out = OutDir::claim(&knobs.out, &report.explored(), knobs.force)?;
    let files = Files {
        json: knobs.json.as_deref(),
        junit,
        html: html.map(|path| (path, None, harness.clock())),
    };
    let mut reporter = reporter_for(&files, report.exploration.replay.clone())?;
    reporter.report(Event::RunStarted(Start::ExploreSuite {
        tests: report.tests.len(),
        jobs: 1,
        component: &report.exploration.component,
        depth: report.exploration.depth,
    }))?;
    for test in &report.tests {
        reporter.report(Event::TestExplored { test })?;
    }
    finish(reporter, &report, out.path(), &[])
}

/// The report files asked for: `--json`, `--junit`, and `--html` with the component and
/// clock its header names.
struct Files<'a> {
    json: Option<&'a Path>,
    junit: Option<&'a Path>,
    html: Option<(&'a Path, Option<&'a Path>, &'a str)>,
}

/// The reporter with the files asked for (checked before the first run); `replay` is the
/// command with `{file}` and `{test}` where a finding's plan and test go.
fn reporter_for(files: &Files<'_>, replay: String) -> Result<Reporter> {
    let mut reporter = Reporter::new();
    if let Some(path) = files.json {
        reporter = reporter.json(Json::create(path, "--json")?);
    }
    if let Some((path, component, clock)) = files.html {
        let invocation = Invocation::new(component, None, clock).replaying(replay);
        reporter = reporter.html(Html::create(path, invocation)?);
    }
    if let Some(path) = files.junit {
        reporter = reporter.junit(Junit::create(path)?);
    }
    Ok(reporter)
}

/// The plan files, the summary, the JSON, HTML and JUnit files; the status.
fn finish(
    mut reporter: Reporter,
    report: &SuiteReport,
    out: &Path,
    outcomes: &[Outcome],
) -> Result<i32> {
    let files = report
        .write_plans(out, &report.exploration.replay)
        .map_err(|e| anyhow::anyhow!("writing the findings to {}: {e}", out.display()))?;
    reporter.report(Event::Summary(Summary::ExploreSuite {
        report,
        files: &files,
        outcomes,
    }))?;
    reporter.report(Event::RunEnded)?;
    Ok(signal::interrupted().map_or(report.exit_code(), |(status, _)| status))
}

/// `wouldblock test --plan {file} [harness options] COMPONENT -- --exact {test}`: this
/// command's harness options (every word before the component but the exploration's own
/// options), every word shell-quoted; `{file}` and `{test}` stay bare words.
fn replay_command(component: &Path) -> String {
    use super::options::{EXPLORE_OPTIONS as OWN, EXPLORE_SWITCHES};
    // A suite's own switches too; `--` before the component.
    let own_switch =
        |w: &str| EXPLORE_SWITCHES.contains(&w) || ["--explore", "--suite", "--"].contains(&w);
    let component = component.display().to_string();
    let mut words = std::env::args();
    let program = words.next().unwrap_or_else(|| "wouldblock".into());
    let mut kept = Vec::new();
    let mut skip = false;
    // The words after the subcommand and before the component.
    for word in words.skip_while(|w| w != "explore" && w != "test").skip(1) {
        if word == component {
            break;
        }
        if std::mem::take(&mut skip) {
            continue;
        }
        if OWN.contains(&word.as_str()) {
            skip = true;
            continue;
        }
        let own_inline = OWN.iter().any(|own| word.starts_with(&format!("{own}=")));
        if !(own_inline || own_switch(&word)) {
            kept.push(word);
        }
    }
    let head = shell_words([program.as_str(), "test", "--plan"]);
    let harness = shell_words(kept.iter().chain(std::iter::once(&component)));
    format!("{head} {{file}} {harness} -- --exact {{test}}")
}
