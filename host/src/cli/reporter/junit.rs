//! A JUnit XML report of a test suite, for CI systems (nextest's own writer, quick-junit):
//! reserved before any test runs, written whole when the run ends, so a failed or
//! interrupted run never leaves an empty report over an earlier one.

use super::super::output::OutFile;
use super::{Displayer, Event, Start};
use anyhow::Result;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::path::Path;
use std::time::Duration;
use wouldblock::Outcome;
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

impl Displayer for Junit {
    fn display(&mut self, event: &Event<'_>, _: Duration) -> Result<()> {
        match event {
            Event::RunStarted(Start::Suite { component, .. }) => {
                self.suite = component.to_string();
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
