//! Root causes: the findings of one program, or of a whole suite, folded by what their
//! fix would be (the operation, the fault's answer, the verdict and where the guest
//! panicked), and what each asks of the user: a fix to how the program handles the host,
//! or a decision about a transient error that reached code which gave up on it.

use super::report::{Finding, Report};
use crate::plan::Op;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What a root cause asks of the user.
///
/// ```
/// use wouldblock::explore::Action;
/// assert_eq!(serde_json::to_string(&Action::TransientError).unwrap(), r#""transient-error""#);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The program mishandles what the host answered (it spins, hangs, loses or drops
    /// data, breaks the WIT, fails): its handling must change.
    #[default]
    FixHandling,
    /// A transient error came back correctly and the code it reached gave up on it
    /// (`unusable-after-error`): retry or back off there, or acknowledge it if giving up
    /// is what the program means to do.
    TransientError,
}

impl Action {
    /// What a finding that ended in `verdict` asks of the user.
    fn of(verdict: &str) -> Action {
        if verdict == crate::verdict::Verdict::UnusableAfterError.name() {
            Action::TransientError
        } else {
            Action::FixHandling
        }
    }

    /// What the user does, in a sentence.
    ///
    /// ```
    /// use wouldblock::explore::Action;
    /// assert!(Action::TransientError.advice().contains("retry or back off"));
    /// ```
    pub fn advice(self) -> &'static str {
        match self {
            Action::FixHandling => {
                "the program mishandles what the host answered: change how it handles it \
                 (each finding's `why` says what a correct program does)"
            }
            Action::TransientError => {
                "a transient error reached code that gave up on it; the error itself came \
                 back correctly: retry or back off where it is handled, or acknowledge it \
                 ([[allow]]) if giving up is meant"
            }
        }
    }

    /// How the text report heads it.
    ///
    /// ```
    /// use wouldblock::explore::Action;
    /// assert_eq!(Action::FixHandling.heading(), "handling bugs");
    /// ```
    pub fn heading(self) -> &'static str {
        match self {
            Action::FixHandling => "handling bugs",
            Action::TransientError => "transient errors given up on",
        }
    }
}

/// The exit status of an exploration whose only findings are transient errors given up
/// on ([`Action::TransientError`]): not clean, but not a handling bug either.
///
/// ```
/// assert_eq!(wouldblock::explore::EXIT_GAVE_UP, 93);
/// ```
pub const EXIT_GAVE_UP: i32 = 93;

/// The status `findings` give: 0 for none, 1 with a handling bug, else [`EXIT_GAVE_UP`].
pub(crate) fn findings_status<'a>(findings: impl Iterator<Item = &'a Finding>) -> i32 {
    let mut status = 0;
    for finding in findings {
        match finding.action() {
            Action::FixHandling => return 1,
            Action::TransientError => status = EXIT_GAVE_UP,
        }
    }
    status
}

impl Finding {
    /// What this finding asks of the user.
    ///
    /// ```
    /// # fn main() -> Result<(), serde_json::Error> {
    /// use wouldblock::explore::{Action, Finding};
    /// let finding: Finding = serde_json::from_value(serde_json::json!({
    ///     "verdict": "unusable-after-error", "exit_code": 88, "site": "udp.send call 1",
    ///     "fault": "error(out-of-memory), then real", "plan": "", "duplicates": 0,
    ///     "evidence": "", "robustness": false, "index": 0,
    /// }))?; // as `explore --json` wrote it
    /// assert_eq!(finding.action(), Action::TransientError);
    /// # Ok(()) }
    /// ```
    pub fn action(&self) -> Action {
        Action::of(&self.verdict)
    }
}

impl Report {
    /// Its findings' root causes (robustness notes and the host-bug tier are none), the
    /// handling bugs first.
    ///
    /// ```
    /// use wouldblock::explore::Report;
    /// assert!(Report::default().causes().is_empty());
    /// ```
    pub fn causes(&self) -> Vec<Cause> {
        causes(self.findings.iter().map(|f| (None, f)))
    }

    /// 0 when nothing was found, 1 when a handling bug was (or the fault-free run failed),
    /// [`EXIT_GAVE_UP`] when the only findings are transient errors
    /// given up on, 2 when the harness itself failed partway.
    ///
    /// ```
    /// use wouldblock::explore::Report;
    /// let mut report = Report::default();
    /// assert_eq!(report.exit_code(), 0);
    /// report.baseline_failure = Some("fail (exit 1)".into());
    /// assert_eq!(report.exit_code(), 1);
    /// report.harness_failure = Some("cannot preopen /tmp/data".into());
    /// assert_eq!(report.exit_code(), 2);
    /// ```
    pub fn exit_code(&self) -> i32 {
        if self.harness_failure.is_some() {
            return 2;
        }
        if self.baseline_failure.is_some() {
            return 1;
        }
        findings_status(self.findings.iter())
    }
}

/// One root cause shared by tests: the same operation, fault and verdict, at the same
/// guest call site when the panic names one.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::Builder;
/// use wouldblock::explore::{self, ExploreOptions};
/// use wouldblock::suite::{self, Selection};
/// let harness = Builder::new().build()?;
/// let guest = harness.load(wouldblock_guests::GUEST_SUITE.as_ref())?;
/// let selection = Selection::default();
/// let cases = suite::list(&harness, &guest, &selection)?;
/// let options = ExploreOptions::new();
/// let report = explore::explore_suite(&harness, &guest, &cases, &selection, options, |_| {})?;
/// for cause in &report.causes {
///     println!("{} {} ({}): {}", cause.op, cause.fault, cause.verdict, cause.tests.join(", "));
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Cause {
    /// The operation(s) faulted, e.g. `udp.send`.
    pub op: String,
    /// The fault's answer, e.g. `ok-zero` or `error(out-of-memory)`: the readiness after
    /// it (once, twice, never ready, stuck) is a variant of the one cause.
    pub fault: String,
    /// The variants of it that gave the verdict, e.g. `error(out-of-memory), then real`.
    #[serde(default)]
    pub variants: Vec<String>,
    /// How the runs ended, e.g. `busy-loop` or `fail (exit 101)`.
    pub verdict: String,
    /// Where the guest panicked (`src/lib.rs:12:5`), when it did; else the code a stop was
    /// attributed to (`mio (mio::net::UdpSocket::send_to)`).
    pub location: Option<String>,
    /// The tests that show it, in list order (none for a program).
    pub tests: Vec<String>,
    /// What the user does about it.
    #[serde(default)]
    pub action: Action,
    /// How many findings (variants, across tests) it stands for.
    #[serde(default)]
    pub findings: usize,
}

/// The root causes of `findings`, each with the test it came from (`None` for a program):
/// handling bugs first, then most tests, then in the order of their text.
pub(crate) fn causes<'a>(
    findings: impl Iterator<Item = (Option<&'a str>, &'a Finding)>,
) -> Vec<Cause> {
    type Key = (Vec<Op>, String, String, Option<String>);
    let mut found: BTreeMap<Key, (Vec<String>, BTreeSet<String>, usize)> = BTreeMap::new();
    for (test, finding) in findings {
        let answer = finding.fault.split(", then").next().unwrap_or_default();
        let key = (
            finding.ops.clone(),
            answer.to_string(),
            finding.verdict.clone(),
            // Where the guest panicked; else the code the stop was attributed to.
            finding.location.clone().or_else(|| finding.culprit.clone()),
        );
        let (tests, variants, count) = found.entry(key).or_default();
        if let Some(test) = test
            && tests.last().map(String::as_str) != Some(test)
        {
            tests.push(test.to_string());
        }
        variants.insert(finding.fault.clone());
        *count += 1;
    }
    let mut causes: Vec<Cause> = found
        .into_iter()
        .map(
            |((ops, fault, verdict, location), (tests, variants, findings))| {
                let action = Action::of(&verdict);
                Cause {
                    op: ops
                        .iter()
                        .map(|op| op.name())
                        .collect::<Vec<_>>()
                        .join(" + "),
                    fault,
                    variants: variants.into_iter().collect(),
                    verdict,
                    location,
                    tests,
                    action,
                    findings,
                }
            },
        )
        .collect();
    causes.sort_by_cached_key(|c| {
        let text = (c.op.clone(), c.fault.clone(), c.verdict.clone());
        (
            c.action,
            std::cmp::Reverse(c.tests.len()),
            text,
            c.location.clone(),
        )
    });
    causes
}
