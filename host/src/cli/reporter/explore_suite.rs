//! What people read of a suite explored a test at a time: a nextest-shaped line per test as
//! it ends (`PASS`, `FINDING n`, `FAIL`, `FLAKY`, `SKIP`, `CUT`), then the summary: the
//! counts, each test's findings with their replay files, and the root causes shared across
//! tests.

use super::table::table_row;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;
use wouldblock::explore::{Acknowledged, Action, Cause, SuiteReport, TestReport, TestVerdict};

/// The first line of `text`: whole, or at most `cut` characters (on a terminal).
fn first_line(text: &str, cut: Option<usize>) -> String {
    one_line(text.lines().next().unwrap_or_default(), cut)
}

/// `text` on one line (an assertion's `left:`/`right:` lines joined to it): whole, or at
/// most `cut` characters (on a terminal).
pub fn one_line(text: &str, cut: Option<usize>) -> String {
    let joined = text.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    joined.chars().take(cut.unwrap_or(usize::MAX)).collect()
}

/// One test's line, as it ends; its detail cut to `cut` characters on a terminal.
pub fn test_line(test: &TestReport, cut: Option<usize>) -> String {
    let first_line = |text: &str| first_line(text, cut);
    let name = super::shown(&test.name);
    let report = &test.report;
    let trials = format!("{:>4} trials", report.runs.saturating_sub(1));
    let detail = test.detail.as_deref().map(&first_line).unwrap_or_default();
    match test.status {
        TestVerdict::Clean => match report.acknowledged.len() {
            0 => format!("{:>12} [{trials}] {name}", "PASS"),
            n => format!("{:>12} [{trials}] {name} ({n} acknowledged)", "PASS"),
        },
        TestVerdict::Findings => {
            let n = report.findings.len();
            let first = &report.findings[0];
            format!(
                "{:>12} [{trials}] {name}: {} at {} ({})",
                format!("FINDING {n}"),
                first.verdict,
                first.site,
                first.fault
            )
        }
        TestVerdict::Failed => format!("{:>12} {:13} {name}: {detail}", "FAIL", ""),
        TestVerdict::Flaky => format!("{:>12} {:13} {name}: {detail}", "FLAKY", ""),
        TestVerdict::Skipped => format!("{:>12} {:13} {name} (ignored)", "SKIP", ""),
        TestVerdict::Incomplete => {
            let why = match test.detail.as_deref() {
                Some(detail) => first_line(detail),
                None => format!("{} trial(s) not run", test.unexplored),
            };
            format!("{:>12} [{trials}] {name}: {why}", "CUT")
        }
    }
}

/// How many tests ended each way: `2 clean, 1 with findings, ...`.
pub fn counts(report: &SuiteReport) -> String {
    let count = |status| report.count(status);
    format!(
        "{} clean, {} with findings, {} failing without a fault, {} flaky, {} skipped, {} cut \
         short",
        count(TestVerdict::Clean),
        count(TestVerdict::Findings),
        count(TestVerdict::Failed),
        count(TestVerdict::Flaky),
        count(TestVerdict::Skipped),
        count(TestVerdict::Incomplete),
    )
}

/// The counts, then each test's findings (with their plan files) and each failing or
/// flaky test's evidence, then the root causes.
pub fn summary(report: &SuiteReport, files: &[PathBuf], elapsed: Duration) -> String {
    let count = |status| report.count(status);
    let trials: u64 = report
        .tests
        .iter()
        .map(|t| t.report.runs.saturating_sub(1))
        .sum();
    let explored = count(TestVerdict::Clean) + count(TestVerdict::Findings);
    let shard = match report.shard {
        (_, 1) => String::new(),
        (i, n) => format!(" (shard {i}/{n})"),
    };
    let mut text = format!(
        "------------\n     Summary [{:>8.3}s] {} tests, {explored} explored at depth {}{shard}: \
         {}; {trials} trials\n",
        elapsed.as_secs_f64(),
        report.tests.len(),
        report.exploration.depth,
        counts(report),
    );
    // What to do first: the root causes, by what each asks of the user.
    text += &causes_text(&report.causes, true);
    let mut files = files.iter();
    for test in &report.tests {
        let rows: Vec<String> = test
            .all_findings()
            .map(|finding| table_row(finding, files.next().map(PathBuf::as_path)))
            .collect();
        match test.status {
            TestVerdict::Failed | TestVerdict::Flaky => {
                let word = test.status.word();
                let _ = writeln!(text, "\n--- {word} {} ---", super::shown(&test.name));
                let _ = writeln!(text, "{}", test.detail.as_deref().unwrap_or_default());
            }
            _ if !rows.is_empty() => {
                let name = super::shown(&test.name);
                let _ = writeln!(text, "\n--- {} {name} ---", test.status.word());
                text.extend(rows);
            }
            _ => {}
        }
    }
    let acknowledged = (report.tests.iter()).flat_map(|t| {
        t.report
            .acknowledged
            .iter()
            .map(|a| (Some(t.name.as_str()), a))
    });
    text += &acknowledged_text(acknowledged, &report.stale);
    if report.interrupted {
        text += "incomplete: interrupted; the tests that had not ended are CUT, as found (not \
                 shrunk)\n";
    }
    if report.out_of_time {
        text += "incomplete: --budget-time ran out; the CUT tests' trials left were not run\n";
    }
    if let Some(failure) = &report.harness_failure {
        let _ = writeln!(
            text,
            "incomplete: the harness failed partway ({failure}); what ended is kept, the CUT \
             tests as found (not shrunk); exit status 2, not the tests' doing"
        );
    }
    text
}

/// The acknowledged findings (each with its test, if any, and its reason) and the stale
/// acknowledgements; empty when there are neither.
pub fn acknowledged_text<'a>(
    acknowledged: impl Iterator<Item = (Option<&'a str>, &'a Acknowledged)>,
    stale: &[String],
) -> String {
    let mut text = String::new();
    for (i, (test, ack)) in acknowledged.enumerate() {
        if i == 0 {
            text += "\nacknowledged (reported, not failing the run):\n";
        }
        let f = &ack.finding;
        let ops: Vec<&str> = f.ops.iter().map(|op| op.name()).collect();
        let test = test
            .map(|t| format!(" in {}", super::shown(t)))
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "  {}: {} -> {}{test}, at {}\n      because: {} ({})",
            ops.join(" + "),
            f.fault,
            f.verdict,
            f.site,
            ack.reason,
            ack.origin
        );
    }
    if !stale.is_empty() {
        text += "\nstale acknowledgements (they matched no finding in this exploration; remove them if that holds for the whole suite):\n";
        for entry in stale {
            let _ = writeln!(text, "  {entry}");
        }
    }
    text
}

/// The root causes (one per operation, fault's answer, verdict and panic location), the
/// handling bugs apart from the transient errors given up on, each group with its advice;
/// `suite`: each with its tests. Empty when there are none.
pub fn causes_text(causes: &[Cause], suite: bool) -> String {
    if causes.is_empty() {
        return String::new();
    }
    let findings: usize = causes.iter().map(|c| c.findings).sum();
    let mut text = format!(
        "\nroot causes: {} ({findings} finding(s); the same operation, fault, verdict and panic \
         location are one cause, its variants listed with the findings)\n",
        causes.len()
    );
    for action in [Action::FixHandling, Action::TransientError] {
        let mine: Vec<&Cause> = causes.iter().filter(|c| c.action == action).collect();
        if mine.is_empty() {
            continue;
        }
        let _ = writeln!(text, "{}: {}", action.heading(), action.advice());
        for cause in mine {
            let at = (cause.location.as_deref()).map_or(String::new(), |l| format!(" at {l}"));
            let variants = match cause.variants.len() {
                0 | 1 => String::new(),
                n => format!("; {n} variants"),
            };
            let shown = format!("{}: {} -> {}{at}", cause.op, cause.fault, cause.verdict);
            if suite {
                let tests = cause.tests.len();
                let names: Vec<&str> = cause.tests.iter().take(3).map(String::as_str).collect();
                let more = if tests > 3 { ", ..." } else { "" };
                let names = names.join(", ");
                let _ = writeln!(
                    text,
                    "  {tests:>4} test(s)  {shown}  ({names}{more}{variants})"
                );
            } else {
                let _ = writeln!(text, "  {shown}  ({} finding(s){variants})", cause.findings);
            }
        }
    }
    text
}
