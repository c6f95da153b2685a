//! A JUnit XML report of a test suite, for CI systems (nextest's own writer, quick-junit):
//! reserved before any test runs, written whole when the run ends, so a failed or
//! interrupted run never leaves an empty report over an earlier one.

use super::super::output::OutFile;
use super::super::shell::shell_quote;
use super::{Displayer, Event, Start, Summary};
use anyhow::Result;
use quick_junit::{
    NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};
use std::path::{Path, PathBuf};
use std::time::Duration;
use wouldblock::Outcome;
use wouldblock::explore::{Action, TestReport, TestVerdict};
use wouldblock::suite::{TestResult, TestStatus};

/// Collects each test as it ends, and writes them in list order when the run ends.
pub struct Junit {
    file: OutFile,
    suite: String,
    cases: Vec<(usize, TestCase)>,
    /// Why the run stopped early, if it did.
    incomplete: Option<String>,
}

impl Junit {
    /// Checks and reserves the file now, before any test runs.
    pub fn create(path: &Path) -> Result<Self> {
        Ok(Self {
            file: OutFile::reserve(path, "--junit")?,
            suite: String::new(),
            cases: Vec::new(),
            incomplete: None,
        })
    }
}

/// One test as JUnit has it: a failure carries why as its message, the test's stderr as
/// its description.
fn case(result: &TestResult) -> TestCase {
    let status = match result.status() {
        TestStatus::Skip => TestCaseStatus::skipped(),
        TestStatus::Fail => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(result.failure().unwrap_or_default());
            let stderr = result.outcome.as_ref().map(Outcome::stderr_text);
            status.set_description(stderr.unwrap_or_default());
            status
        }
        TestStatus::Pass => TestCaseStatus::success(),
    };
    let mut case = TestCase::new(result.case.name.clone(), status);
    case.set_time(result.duration);
    case
}

/// One explored test: a finding is a failure that names its verdict, site, fault and the
/// command that replays it; a flaky test passes with a `flakyFailure` saying where its
/// fault-free runs parted; a test cut short is skipped with why.
fn explored_case(test: &TestReport, files: &[&PathBuf], replay: &str) -> TestCase {
    let detail = test.detail.clone().unwrap_or_default();
    let status = match test.status {
        TestVerdict::Clean => TestCaseStatus::success(),
        TestVerdict::Findings => {
            let findings = &test.report.findings;
            let first = &findings[0];
            let file = files
                .first()
                .map_or(String::new(), |f| f.display().to_string());
            let command = replay
                .replace("{file}", &shell_quote(&file))
                .replace("{test}", &shell_quote(&test.name));
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            // What the user does: fix a handling bug, or decide about a transient error.
            let bug = findings.iter().any(|f| f.action() == Action::FixHandling);
            status.set_type(if bug {
                "handling-bug"
            } else {
                "transient-error-given-up"
            });
            status.set_message(format!(
                "{} finding(s); first: {} at {} under {}; replay: {command}",
                findings.len(),
                first.verdict,
                first.site,
                first.fault
            ));
            let described: Vec<String> = findings
                .iter()
                .map(|f| {
                    format!(
                        "{} at {} ({})\n{}\nwhy: {}",
                        f.verdict,
                        f.site,
                        f.fault,
                        f.evidence,
                        f.why()
                    )
                })
                .collect();
            status.set_description(described.join("\n\n"));
            status
        }
        TestVerdict::Failed => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message("fails with no fault (not explored)");
            status.set_description(detail);
            status
        }
        TestVerdict::Flaky => {
            let mut status = TestCaseStatus::success();
            let mut rerun = TestRerun::new(NonSuccessKind::Failure);
            rerun.set_message(format!("flaky, not explored: {detail}"));
            status.add_rerun(rerun);
            status
        }
        TestVerdict::Skipped => TestCaseStatus::skipped(),
        TestVerdict::Incomplete => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!(
                "cut short, {} trial(s) not run {detail}",
                test.unexplored
            ));
            status
        }
    };
    TestCase::new(test.name.clone(), status)
}

impl Displayer for Junit {
    fn display(&mut self, event: &Event<'_>, _: Duration) -> Result<()> {
        match event {
            Event::RunStarted(
                Start::Suite { component, .. } | Start::ExploreSuite { component, .. },
            ) => {
                self.suite = component.to_string();
            }
            Event::Summary(Summary::ExploreSuite { report, files, .. }) => {
                if let Some(failure) = &report.harness_failure {
                    self.incomplete = Some(format!("the harness failed: {failure}"));
                }
                let mut files = files.iter();
                for (index, test) in report.tests.iter().enumerate() {
                    let mine: Vec<&PathBuf> =
                        files.by_ref().take(test.all_findings().count()).collect();
                    self.cases.push((
                        index,
                        explored_case(test, &mine, &report.exploration.replay),
                    ));
                }
            }
            Event::TestEnded { index, result } => self.cases.push((*index, case(result))),
            Event::Interrupted {
                signal,
                done,
                total,
            } => {
                self.incomplete = Some(format!(
                    "interrupted by {signal}: {done} of {total} tests ended"
                ));
            }
            Event::RunEnded => {
                // Tests end in any order; the report lists them as the suite does.
                self.cases.sort_by_key(|(index, _)| *index);
                let mut suite = TestSuite::new(self.suite.as_str());
                suite.add_test_cases(self.cases.drain(..).map(|(_, case)| case));
                if let Some(why) = &self.incomplete {
                    suite.add_property(Property::new("incomplete", why.as_str()));
                }
                let mut report = Report::new("wouldblock");
                report.add_test_suite(suite);
                self.file
                    .commit(report.to_string().unwrap_or_default().as_bytes())?;
            }
            _ => {}
        }
        Ok(())
    }
}
