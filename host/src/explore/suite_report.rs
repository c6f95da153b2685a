//! What exploring a whole test suite found: one [`TestReport`] per test (its status, and for
//! an explored test the same [`Report`] a single exploration gives), the root causes shared
//! across tests, and the merge of a CI matrix's shard reports into the report the whole run
//! gives.

use super::causes::{Cause, causes};
use super::merge::MergeError;
use super::report::{Exploration, Finding, REPORT_FORMAT, Report};
use serde::{Deserialize, Serialize};

/// How one test of an explored suite went, in a word.
///
/// ```
/// use wouldblock::explore::TestVerdict;
/// // In a suite report's JSON:
/// assert_eq!(serde_json::to_string(&TestVerdict::Incomplete).unwrap(), r#""incomplete""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestVerdict {
    /// Explored, and no fault made it fail.
    Clean,
    /// Explored, and some fault made it fail: see its findings.
    Findings,
    /// It fails with no fault at all: reported with its evidence, not explored.
    Failed,
    /// Its two fault-free runs took different paths: not explored, since no finding
    /// could rest on a path that moves.
    Flaky,
    /// Ignored, and not asked for.
    Skipped,
    /// Not every trial ran (the time budget ran out, or a signal came): what ran is kept.
    Incomplete,
}

impl TestVerdict {
    /// The word the streaming line starts with: `PASS`, `FINDING`, `FAIL`, `FLAKY`, `SKIP`,
    /// `CUT`.
    ///
    /// ```
    /// use wouldblock::explore::TestVerdict;
    /// assert_eq!(TestVerdict::Flaky.word(), "FLAKY");
    /// assert_eq!(TestVerdict::Clean.word(), "PASS");
    /// ```
    pub fn word(self) -> &'static str {
        match self {
            TestVerdict::Clean => "PASS",
            TestVerdict::Findings => "FINDING",
            TestVerdict::Failed => "FAIL",
            TestVerdict::Flaky => "FLAKY",
            TestVerdict::Skipped => "SKIP",
            TestVerdict::Incomplete => "CUT",
        }
    }
}

/// One test of an explored suite.
///
/// ```
/// # fn main() -> Result<(), serde_json::Error> {
/// use wouldblock::explore::{Report, TestReport, TestVerdict};
/// // As a suite report's JSON (`explore --json`) holds it.
/// let test: TestReport = serde_json::from_value(serde_json::json!({
///     "name": "delivers_to_itself", "status": "clean", "detail": null, "unexplored": 0,
///     "report": Report::default(),
/// }))?;
/// assert_eq!((test.status, test.report.findings.len()), (TestVerdict::Clean, 0));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TestReport {
    /// Its full libtest name.
    pub name: String,
    /// How it went.
    pub status: TestVerdict,
    /// For `failed`: how the fault-free run ended and its evidence; for `flaky`: where
    /// the two fault-free runs parted.
    pub detail: Option<String>,
    /// Its exploration (sites, trials, findings, notes), as `explore` reports one program.
    pub report: Report,
    /// Trials of this shard that did not run (time budget, or a signal).
    pub unexplored: u64,
}

impl TestReport {
    /// A test with nothing explored: skipped, failing or flaky.
    pub(crate) fn unexplored(name: &str, status: TestVerdict, detail: Option<String>) -> Self {
        Self {
            name: name.to_string(),
            status,
            detail,
            report: Report::default(),
            unexplored: 0,
        }
    }

    /// The findings, then the robustness notes, then the host-bug tier's results.
    ///
    /// ```
    /// # fn main() -> Result<(), serde_json::Error> {
    /// use wouldblock::explore::{Report, TestReport};
    /// # let finding = |robustness| serde_json::json!({
    /// #     "verdict": "hang", "exit_code": wouldblock::Verdict::Hang.exit_code(),
    /// #     "site": "udp.send call 1", "fault": "error(out-of-memory), then never-ready",
    /// #     "plan": "", "duplicates": 0, "evidence": "", "robustness": robustness, "index": 0,
    /// # });
    /// let mut report = serde_json::to_value(Report::default())?;
    /// report["findings"] = serde_json::json!([finding(false)]);
    /// report["notes"] = serde_json::json!([finding(true)]);
    /// let test: TestReport = serde_json::from_value(serde_json::json!({
    ///     "name": "sends", "status": "findings", "detail": null, "unexplored": 0, "report": report,
    /// }))?;
    /// let kinds: Vec<&str> = test.all_findings().map(|f| f.kind()).collect();
    /// assert_eq!(kinds, ["finding", "note"]);
    /// # Ok(()) }
    /// ```
    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        let report = &self.report;
        report
            .findings
            .iter()
            .chain(&report.notes)
            .chain(&report.host_bugs)
    }
}

/// The version of a suite report's JSON; `--merge` reads this one only.
///
/// ```
/// # fn main() -> Result<(), wouldblock::explore::MergeError> {
/// use wouldblock::explore::{SUITE_REPORT_FORMAT, SuiteReport};
/// let mut shard = SuiteReport::default();
/// shard.shard = (1, 1);
/// assert!(SuiteReport::merge(vec![shard.clone()]).is_err(), "format 0: an older wouldblock's");
/// shard.suite_format = SUITE_REPORT_FORMAT;
/// assert_eq!(SuiteReport::merge(vec![shard])?.suite_format, SUITE_REPORT_FORMAT);
/// # Ok(()) }
/// ```
pub const SUITE_REPORT_FORMAT: u32 = 1;

/// An explored suite's report. The same options give the same report, whatever the
/// threads or the shards it was run in.
///
/// ```
/// # fn main() -> Result<(), serde_json::Error> {
/// use wouldblock::explore::SuiteReport;
/// // As `explore --json` writes it and `--merge` reads it back.
/// let report = SuiteReport::default();
/// let json = serde_json::to_string(&report)?;
/// assert_eq!(serde_json::from_str::<SuiteReport>(&json)?, report);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SuiteReport {
    /// [`SUITE_REPORT_FORMAT`] when written.
    pub suite_format: u32,
    /// What was explored, and how (its `args` are the libtest filters).
    pub exploration: Exploration,
    /// This shard, `(i, n)`.
    pub shard: (u64, u64),
    /// A signal stopped it: the tests that had not ended are `incomplete`.
    pub interrupted: bool,
    /// The time budget ran out: the tests with trials left are `incomplete`.
    pub out_of_time: bool,
    /// The harness itself failed partway (its error, e.g. a preopened directory gone):
    /// what ended is kept, and the tests that had not ended are `incomplete`.
    #[serde(default)]
    pub harness_failure: Option<String>,
    /// Every listed test, in list order.
    pub tests: Vec<TestReport>,
    /// The findings' root causes across the tests, most tests first.
    pub causes: Vec<Cause>,
    /// Acknowledgements that matched no finding in any test any more.
    #[serde(default)]
    pub stale: Vec<String>,
}

impl SuiteReport {
    /// How many tests have each status.
    ///
    /// ```
    /// use wouldblock::explore::{SuiteReport, TestVerdict};
    /// assert_eq!(SuiteReport::default().count(TestVerdict::Flaky), 0);
    /// ```
    pub fn count(&self, status: TestVerdict) -> usize {
        self.tests.iter().filter(|t| t.status == status).count()
    }

    /// 0 when every explored test is clean; 1 when a handling bug was found or a test
    /// fails without a fault; [`EXIT_GAVE_UP`](super::EXIT_GAVE_UP) when the only findings
    /// are transient errors given up on; [`EXIT_FLAKY`] when the only trouble is a flaky
    /// test; 2 when the
    /// harness itself failed partway, whatever the tests found before.
    ///
    /// ```
    /// use wouldblock::explore::SuiteReport;
    /// let mut report = SuiteReport::default();
    /// assert_eq!(report.exit_code(), 0);
    /// report.harness_failure = Some("cannot preopen /tmp/data".into());
    /// assert_eq!(report.exit_code(), 2);
    /// ```
    pub fn exit_code(&self) -> i32 {
        let findings = self.tests.iter().flat_map(|t| &t.report.findings);
        if self.harness_failure.is_some() {
            2
        } else if self.count(TestVerdict::Failed) > 0 {
            1
        } else if self.count(TestVerdict::Findings) > 0 {
            super::causes::findings_status(findings)
        } else if self.count(TestVerdict::Flaky) > 0 {
            EXIT_FLAKY
        } else {
            0
        }
    }

    /// Recomputes [`SuiteReport::causes`] from the tests' findings (robustness notes and
    /// the host-bug tier are no root causes).
    pub(crate) fn find_causes(&mut self) {
        let findings = (self.tests.iter())
            .flat_map(|t| t.report.findings.iter().map(|f| (Some(t.name.as_str()), f)));
        self.causes = causes(findings);
    }

    /// Joins the shard reports of one suite exploration into the report the whole run
    /// gives: every shard once, one component, one set of options, none cut short, the same
    /// tests in each. A test flaky in any shard, or failing in one and not another, is
    /// `flaky`.
    ///
    /// ```
    /// # fn main() -> Result<(), wouldblock::explore::MergeError> {
    /// use wouldblock::explore::{SUITE_REPORT_FORMAT, SuiteReport};
    /// let shard = |i| {
    ///     let mut report = SuiteReport::default();
    ///     (report.suite_format, report.shard) = (SUITE_REPORT_FORMAT, (i, 2));
    ///     report
    /// };
    /// assert_eq!(SuiteReport::merge(vec![shard(2), shard(1)])?.shard, (1, 1));
    /// assert!(SuiteReport::merge(vec![shard(1)]).is_err(), "shard 2 of 2 is missing");
    /// # Ok(()) }
    /// ```
    pub fn merge(shards: Vec<SuiteReport>) -> Result<SuiteReport, MergeError> {
        // The checks a single exploration's merge makes, on each shard's outline.
        let outline = |s: &SuiteReport| Report {
            format: if s.suite_format == SUITE_REPORT_FORMAT {
                REPORT_FORMAT
            } else {
                u32::MAX
            },
            exploration: s.exploration.clone(),
            shard: s.shard,
            incomplete: s.interrupted || s.out_of_time || s.harness_failure.is_some(),
            ..Report::default()
        };
        Report::merge(shards.iter().map(outline).collect())?;
        let first = &shards[0];
        let names: Vec<&str> = first.tests.iter().map(|t| t.name.as_str()).collect();
        for shard in &shards {
            let theirs: Vec<&str> = shard.tests.iter().map(|t| t.name.as_str()).collect();
            if theirs != names {
                return Err(MergeError::Mixed {
                    a: format!("{}/{}", first.shard.0, first.shard.1),
                    b: format!("{}/{}", shard.shard.0, shard.shard.1),
                    what: "the tests listed".into(),
                });
            }
        }
        let mut merged = SuiteReport {
            suite_format: SUITE_REPORT_FORMAT,
            exploration: first.exploration.clone(),
            shard: (1, 1),
            ..SuiteReport::default()
        };
        for (i, name) in names.iter().enumerate() {
            let copies: Vec<&TestReport> = shards.iter().map(|s| &s.tests[i]).collect();
            merged.tests.push(merge_test(name, &copies)?);
        }
        merged.find_causes();
        Ok(merged)
    }
}

/// One test's shard copies as one: each shard ran its fault-free runs, so they must agree.
fn merge_test(name: &str, copies: &[&TestReport]) -> Result<TestReport, MergeError> {
    if let Some(flaky) = copies.iter().find(|t| t.status == TestVerdict::Flaky) {
        return Ok((*flaky).clone());
    }
    let explored =
        |t: &&&TestReport| matches!(t.status, TestVerdict::Clean | TestVerdict::Findings);
    let first = copies[0];
    let parted = copies.iter().find(|t| explored(t) != explored(&&first));
    if let Some(other) = parted {
        let detail = format!(
            "the fault-free runs ended differently in two shards: {} vs {}",
            first.status.word(),
            other.status.word()
        );
        return Ok(TestReport::unexplored(
            name,
            TestVerdict::Flaky,
            Some(detail),
        ));
    }
    if !explored(&&first) {
        return Ok(first.clone());
    }
    let report = Report::merge(copies.iter().map(|t| t.report.clone()).collect())?;
    let status = if report.findings.is_empty() {
        TestVerdict::Clean
    } else {
        TestVerdict::Findings
    };
    Ok(TestReport {
        name: name.to_string(),
        status,
        detail: None,
        report,
        unexplored: 0,
    })
}

/// The exit status of a suite exploration whose only trouble is a flaky test: its tests
/// were not explored, so CI must not read it as clean.
///
/// ```
/// # fn main() -> Result<(), serde_json::Error> {
/// use wouldblock::explore::{EXIT_FLAKY, Report, SuiteReport, TestReport};
/// let flaky: TestReport = serde_json::from_value(serde_json::json!({
///     "name": "delivers_to_itself", "status": "flaky", "unexplored": 0,
///     "detail": "its two fault-free runs part at trace line 3", "report": Report::default(),
/// }))?;
/// let mut report = SuiteReport::default();
/// report.tests.push(flaky);
/// assert_eq!(report.exit_code(), EXIT_FLAKY);
/// # Ok(()) }
/// ```
pub const EXIT_FLAKY: i32 = 92;
