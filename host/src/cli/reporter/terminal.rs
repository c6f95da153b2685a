//! What people read, on a terminal or in a CI log: `run`'s verdict, evidence and summary
//! line, `--repeat`'s endings and determinism check, `test`'s nextest-shaped lines, and
//! `explore`'s table. A progress bar only on a terminal; in a log a line per tenth of the
//! runs (`--repeat`) or nothing (`explore`), so logs stay short.

use super::explore_suite;
use super::table::{table_header, table_row};
use super::{Displayer, Event, Start, Summary};
use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use std::fmt::Write as _;
use std::io::Write;
use std::time::Duration;
use wouldblock::explore::Report;
use wouldblock::suite::{TestResult, TestStatus};
use wouldblock::{Exit, Outcome, Repeat};

/// Where the command's text goes.
type Sink = Box<dyn Write + Send>;

/// What the run is, as [`Event::RunStarted`] said.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Run,
    Repeat { runs: u64, jobs: usize },
    Suite,
    Explore,
    ExploreSuite,
}

/// The terminal's displayer. It remembers what the run is (from
/// [`Event::RunStarted`]): `test` and `explore` speak on stdout, `run` and `--repeat` on
/// stderr, after the guest's own output.
pub struct Terminal {
    out: Sink,
    err: Sink,
    is_terminal: bool,
    /// How long a test line's reason may be: cut on a terminal, whole in a file or a CI
    /// log, where the end of a panic message or the second side of a "vs" matters.
    cut: Option<usize>,
    kind: Option<Kind>,
    bar: Option<ProgressBar>,
    /// Tenths of a `--repeat` logged so far.
    tenths: u64,
    /// The explore table's rows, printed whole with the summary.
    table: String,
}

impl Terminal {
    /// Writes to `out` and `err`; draws a bar when `is_terminal`.
    pub fn new(out: Sink, err: Sink, is_terminal: bool) -> Self {
        Self {
            out,
            err,
            is_terminal,
            cut: None,
            kind: None,
            bar: None,
            tenths: 0,
            table: String::new(),
        }
    }

    /// Cuts test lines' reasons to `width` characters (stdout is a terminal).
    pub fn cut_at(mut self, width: Option<usize>) -> Self {
        self.cut = width;
        self
    }

    fn progress(&mut self, done: u64, total: u64, elapsed: Duration) -> Result<()> {
        let template = match self.kind {
            Some(Kind::Repeat { .. }) => "{bar:40} {pos}/{len} runs, {per_sec}, {eta}",
            Some(Kind::Explore | Kind::ExploreSuite) => "{bar:40} {pos}/{len} runs, {per_sec}",
            _ => return Ok(()),
        };
        if self.is_terminal {
            let bar = self.bar.get_or_insert_with(|| {
                let style = ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
                ProgressBar::new(total).with_style(style)
            });
            bar.set_length(total);
            bar.set_position(done);
            if done >= total {
                self.clear_bar();
            }
        } else if let Some(Kind::Repeat { runs, .. }) = self.kind {
            let tenth = done * 10 / runs.max(1);
            if self.tenths < tenth {
                self.tenths = tenth;
                let rate = done as f64 / elapsed.as_secs_f64().max(1e-9);
                writeln!(
                    self.err,
                    "wouldblock: {done}/{runs} runs ({rate:.0} runs/s)"
                )?;
            }
        }
        Ok(())
    }

    fn clear_bar(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn summary(&mut self, summary: &Summary<'_>, elapsed: Duration) -> Result<()> {
        self.clear_bar();
        match summary {
            Summary::Run(outcome) => self.err.write_all(run_report(outcome).as_bytes())?,
            Summary::Repeat(repeat) => {
                let jobs = match self.kind {
                    Some(Kind::Repeat { jobs, .. }) => jobs,
                    _ => 1,
                };
                let text = repeat_report(repeat, jobs, elapsed);
                self.err.write_all(text.as_bytes())?;
            }
            Summary::Suite(results) => {
                let text = suite_summary(results, elapsed);
                self.out.write_all(text.as_bytes())?;
            }
            Summary::Explore(report) => {
                let text = explore_summary(report, std::mem::take(&mut self.table));
                self.out.write_all(text.as_bytes())?;
            }
            Summary::ExploreSuite { report, files, .. } => {
                let text = explore_suite::summary(report, files, elapsed);
                self.out.write_all(text.as_bytes())?;
            }
        }
        Ok(())
    }
}

impl Drop for Terminal {
    /// A command that stops on an error leaves no bar behind its message.
    fn drop(&mut self) {
        self.clear_bar();
    }
}

impl Displayer for Terminal {
    fn display(&mut self, event: &Event<'_>, elapsed: Duration) -> Result<()> {
        match *event {
            Event::RunStarted(start) => {
                self.kind = Some(match start {
                    Start::Run => Kind::Run,
                    Start::Repeat { runs, jobs } => Kind::Repeat { runs, jobs },
                    Start::Suite {
                        tests,
                        jobs,
                        component,
                    } => {
                        writeln!(
                            self.out,
                            "    Starting {tests} tests across {jobs} jobs ({component})"
                        )?;
                        Kind::Suite
                    }
                    Start::Explore => Kind::Explore,
                    Start::ExploreSuite {
                        tests,
                        jobs,
                        component,
                        depth,
                    } => {
                        writeln!(
                            self.out,
                            "    Exploring {tests} tests at depth {depth} across {jobs} jobs \
                             ({component})"
                        )?;
                        Kind::ExploreSuite
                    }
                });
            }
            Event::Progress { done, total } => self.progress(done, total, elapsed)?,
            Event::TestEnded { result, .. } => {
                writeln!(self.out, "{}", test_line(result, self.cut))?;
            }
            Event::TestExplored { test, .. } => {
                // The bar is drawn again with the next progress.
                self.clear_bar();
                writeln!(self.out, "{}", explore_suite::test_line(test, self.cut))?;
            }
            Event::Finding { finding, file, .. } => {
                if self.table.is_empty() {
                    self.table = table_header();
                }
                self.table += &table_row(finding, file);
            }
            Event::Interrupted {
                signal,
                done,
                total,
            } => {
                self.clear_bar();
                let what = match self.kind {
                    Some(Kind::Suite) => "tests",
                    Some(Kind::Explore | Kind::ExploreSuite) => "trials",
                    _ => "runs",
                };
                writeln!(
                    self.err,
                    "wouldblock: interrupted by {signal}: {done} of {total} {what} ended; \
                     what ended is reported, marked incomplete"
                )?;
            }
            Event::Summary(summary) => self.summary(&summary, elapsed)?,
            Event::RunEnded => {
                // Time is the one thing two explorations differ in: it goes to stderr.
                if matches!(self.kind, Some(Kind::Explore | Kind::ExploreSuite)) {
                    let secs = elapsed.as_secs_f64();
                    writeln!(self.err, "wouldblock: explored in {secs:.2} s")?;
                }
            }
        }
        Ok(())
    }
}

/// `run`: the verdict with its evidence, then the summary line, each on a line of its own.
fn run_report(outcome: &Outcome) -> String {
    let mut text = String::new();
    if outcome.stderr_mid_line {
        text.push('\n');
    }
    if let Exit::Stopped(stop) = &outcome.exit {
        let _ = writeln!(text, "wouldblock: {}: {}", stop.verdict, stop.reason);
        if !stop.evidence.is_empty() {
            let evidence = stop.evidence.trim_end();
            let _ = writeln!(text, "  evidence (last socket calls):\n{evidence}");
        }
    }
    text + &outcome.summary() + "\n"
}

/// The last `lines` lines of what a guest printed on stderr, each as `  | line`.
fn stderr_tail(outcome: &Outcome, lines: usize) -> String {
    let stderr = outcome.stderr_text();
    let tail: Vec<&str> = stderr.lines().rev().take(lines).collect();
    tail.iter()
        .rev()
        .map(|line| format!("  | {line}\n"))
        .collect()
}

/// `--repeat`: the rate, the endings, the first failing run, the determinism check.
fn repeat_report(repeat: &Repeat, jobs: usize, elapsed: Duration) -> String {
    let (runs, secs) = (repeat.runs, elapsed.as_secs_f64());
    let mut text = format!(
        "wouldblock: {runs} runs in {secs:.2} s on {jobs} threads ({:.0} runs/s)\n",
        runs as f64 / secs.max(1e-9)
    );
    for (ending, count) in &repeat.endings {
        let _ = writeln!(text, "  {count:>8}  {ending}");
    }
    if let Some((index, outcome)) = &repeat.first_failure {
        let _ = writeln!(text, "first failing run: run {index}");
        if let Exit::Stopped(stop) = &outcome.exit {
            let _ = writeln!(text, "  {}: {}", stop.verdict, stop.reason);
            if !stop.evidence.is_empty() {
                let _ = writeln!(text, "  evidence:\n{}", stop.evidence.trim_end());
            }
        }
        text += &stderr_tail(outcome, 5);
        let _ = writeln!(text, "  {}", outcome.summary());
    }
    if repeat.differing == 0 {
        text += "deterministic: every run's normalised trace is run 1's\n";
    } else {
        let differing = repeat.differing;
        let _ = writeln!(
            text,
            "nondeterministic: {differing} of {runs} runs took another path than run 1"
        );
        for (index, difference) in &repeat.nondeterministic {
            let _ = writeln!(text, "  run {index}: {difference}");
        }
    }
    text
}

/// One line per test, nextest's shape; a failure's reason cut to `cut` characters.
fn test_line(result: &TestResult, cut: Option<usize>) -> String {
    let name = super::shown(&result.case.name);
    let secs = result.duration.as_secs_f64();
    match (result.status(), result.failure()) {
        (TestStatus::Skip, _) => format!("        SKIP              {name} (ignored)"),
        (TestStatus::Fail, Some(why)) => {
            let why = explore_suite::one_line(&why, cut);
            format!("        FAIL [{secs:>8.3}s] {name}: {why}")
        }
        _ => format!("        PASS [{secs:>8.3}s] {name}"),
    }
}

/// `test`'s summary in list order, then each failing test's evidence: why, its trace
/// lines, the end of its output.
fn suite_summary(results: &[TestResult], elapsed: Duration) -> String {
    let count = |status| results.iter().filter(|r| r.status() == status).count();
    let passed = count(TestStatus::Pass);
    let failed = count(TestStatus::Fail);
    let skipped = count(TestStatus::Skip);
    let mut text = format!(
        "------------\n     Summary [{:>8.3}s] {} tests run: {passed} passed, {failed} failed, \
         {skipped} skipped\n",
        elapsed.as_secs_f64(),
        passed + failed
    );
    for result in results.iter().filter(|r| r.status() == TestStatus::Fail) {
        let Some(outcome) = &result.outcome else {
            continue;
        };
        let _ = writeln!(text, "\n--- FAIL {} ---", super::shown(&result.case.name));
        let _ = writeln!(text, "{}", result.failure().unwrap_or_default());
        if let Exit::Stopped(stop) = &outcome.exit
            && !stop.evidence.is_empty()
        {
            let evidence = stop.evidence.trim_end();
            let _ = writeln!(text, "  evidence (last socket calls):\n{evidence}");
        }
        text += &stderr_tail(outcome, 8);
        let _ = writeln!(text, "  {}", outcome.summary());
    }
    text
}

/// The table (or why nothing was explored), then the counts.
fn explore_summary(report: &Report, table: String) -> String {
    // What to do first: the root causes; then each finding, variant by variant.
    let causes = super::explore_suite::causes_text(&report.causes(), false);
    let mut text = match &report.baseline_failure {
        Some(failure) => {
            format!("the fault-free run already fails; nothing explored:\n{failure}\n")
        }
        None if table.is_empty() => table_header(),
        None => format!("{}\n{table}", causes.trim_start()),
    };
    let shard = match report.shard {
        (_, 1) => String::new(),
        (i, n) => format!(" (shard {i}/{n})"),
    };
    let _ = writeln!(
        text,
        "wouldblock: {} site(s), {} run(s) of {} trial(s){shard}: {} root cause(s) of {} \
         finding(s), {} robustness note(s){}",
        report.sites,
        report.runs,
        report.trials,
        report.causes().len(),
        report.findings.len(),
        report.notes.len(),
        match report.host_bugs.len() {
            0 => String::new(),
            n => format!(", {n} host-bug result(s) (robust against host bugs? not findings)"),
        }
    );
    let acknowledged = report.acknowledged.iter().map(|a| (None, a));
    text += &super::explore_suite::acknowledged_text(acknowledged, &report.stale);
    if let Some(failure) = &report.harness_failure {
        let _ = writeln!(
            text,
            "incomplete: the harness failed partway ({failure}); the trials that ended are \
             in it, as found (not shrunk); exit status 2, not the guest's doing"
        );
    } else if report.incomplete && report.not_run > 0 {
        let _ = writeln!(
            text,
            "incomplete: --budget-time ran out: {} trial(s) not run; the findings are as \
             found (not shrunk)",
            report.not_run
        );
    } else if report.incomplete {
        text += "incomplete: interrupted, so only the trials that ended are in it, as found \
                 (not shrunk)\n";
    }
    text
}

#[cfg(test)]
mod tests;
