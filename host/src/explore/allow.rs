//! Acknowledged findings: a team that has looked at a root cause and accepts it (or will
//! fix it later) says so once, with its reason, in `.config/wouldblock.toml` (or with
//! `--allow` for a one-off). An acknowledged finding is still reported, as such, and does
//! not fail the run; an entry that matches nothing any more is reported as stale.
//!
//! ```toml
//! [[allow]]
//! op = "udp.send"                     # the root cause: operation,
//! fault = "error(out-of-memory)"      # the fault's answer (its readiness after is a variant),
//! verdict = "unusable-after-error"    # and how the run ended (`fail` is any `fail (exit N)`)
//! test = "send_to_peer"               # optional: only this test's
//! location = "tests/udp.rs:35"        # optional: only where the guest panicked there
//! reason = "the test gives up on ENOBUFS on purpose; #12 tracks a retry"
//! ```

use super::report::Finding;
use crate::plan::Op;
use crate::verdict::Verdict;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use toml::Spanned;

/// A bad acknowledgement: where it is and what is wrong.
///
/// ```
/// use wouldblock::explore::{Allow, AllowError};
/// let err = Allow::parse("udp.send: ok-zero").unwrap_err();
/// assert!(matches!(err, AllowError::Field { field: "op", .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowError {
    /// The file could not be read as TOML of the expected shape.
    #[error("{file}: {message}")]
    Toml {
        /// The file.
        file: String,
        /// What the TOML parser said (with its line and column).
        message: String,
    },
    /// An entry's field has a value that can match nothing.
    #[error("{at}: [[allow]] field `{field}`: {problem}")]
    Field {
        /// `file:line`, or `--allow`.
        at: String,
        /// The field.
        field: &'static str,
        /// What is wrong with its value.
        problem: String,
    },
}

/// One acknowledged root cause, and why it is accepted.
///
/// ```
/// use wouldblock::explore::Allow;
/// let allow = Allow::parse("udp.send: error(out-of-memory) -> unusable-after-error")?;
/// assert_eq!((allow.op.as_str(), allow.verdict.as_str()), ("udp.send", "unusable-after-error"));
/// # Ok::<(), wouldblock::explore::AllowError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Allow {
    /// The operation(s), as a root cause names them: `udp.send`, or `tcp.read + tcp.write`.
    pub op: String,
    /// The fault's answer: `ok-zero`, `error(out-of-memory)`, ...
    pub fault: String,
    /// How the runs ended: a verdict (`busy-loop`), or `fail` for any failing exit.
    pub verdict: String,
    /// Only this test's findings (its full libtest name).
    pub test: Option<String>,
    /// Only findings whose guest panicked at a place ending so (`tests/udp.rs:35`).
    pub location: Option<String>,
    /// Why it is accepted.
    pub reason: String,
    /// Where it was given: `file:line`, or `--allow`.
    pub origin: String,
}

/// An acknowledged finding, as the report keeps it.
///
/// ```
/// use wouldblock::explore::Report;
/// // `Report::acknowledge` moves the findings an entry matches here.
/// assert!(Report::default().acknowledged.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Acknowledged {
    /// The finding, as it would have been reported.
    pub finding: Finding,
    /// The entry's reason.
    pub reason: String,
    /// Where the entry is.
    pub origin: String,
}

/// `[[allow]]` as written, each field with its place.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    op: Spanned<String>,
    fault: Spanned<String>,
    verdict: Spanned<String>,
    test: Option<String>,
    location: Option<String>,
    reason: Option<Spanned<String>>,
}

/// The file's `[[allow]]` entries; the rest of it is another reader's.
#[derive(Deserialize)]
struct File {
    #[serde(default)]
    allow: Vec<Entry>,
}

impl Allow {
    /// A one-off, as `--allow` takes it: `OP: FAULT -> VERDICT`, the way the report names
    /// a root cause.
    ///
    /// ```
    /// use wouldblock::explore::Allow;
    /// assert_eq!(Allow::parse("tcp.read: ok-zero -> hang")?.fault, "ok-zero");
    /// assert!(Allow::parse("tcp.read: ok-zero -> spinning").is_err(), "no such verdict");
    /// # Ok::<(), wouldblock::explore::AllowError>(())
    /// ```
    pub fn parse(spec: &str) -> Result<Allow, AllowError> {
        let bad = |problem: &str| AllowError::Field {
            at: "--allow".into(),
            field: "op",
            problem: format!("{spec:?}: {problem}"),
        };
        let (op, rest) = spec
            .split_once(": ")
            .ok_or_else(|| bad("expected `OP: FAULT -> VERDICT`"))?;
        let (fault, verdict) = rest
            .split_once(" -> ")
            .ok_or_else(|| bad("expected `OP: FAULT -> VERDICT`"))?;
        let allow = Allow {
            op: op.trim().to_string(),
            fault: fault.trim().to_string(),
            verdict: verdict.trim().to_string(),
            test: None,
            location: None,
            reason: "acknowledged for this run".into(),
            origin: "--allow".into(),
        };
        allow.check(|_| "--allow".into())?;
        Ok(allow)
    }

    /// The `[[allow]]` entries of `text`, the file at `file` (other tables are left to
    /// their own readers): every field checked, a bad one named with its line.
    ///
    /// ```
    /// use wouldblock::explore::Allow;
    /// let text = "[[allow]]\nop = \"udp.send\"\nfault = \"ok-zero\"\nverdict = \"spinning\"\nreason = \"x\"\n";
    /// let err = Allow::from_toml(text, ".config/wouldblock.toml").unwrap_err().to_string();
    /// assert!(err.starts_with(".config/wouldblock.toml:4: [[allow]] field `verdict`"), "{err}");
    /// ```
    pub fn from_toml(text: &str, file: &str) -> Result<Vec<Allow>, AllowError> {
        let parsed: File = toml::from_str(text).map_err(|e| AllowError::Toml {
            file: file.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let at = |span: Range<usize>| {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("{file}:{line}")
        };
        let mut allows = Vec::new();
        for entry in parsed.allow {
            // The entry's `[[allow]]` header: the last one before its first key.
            let key = entry.op.span().start.min(text.len());
            let origin = at(text[..key].rfind("[[allow]]").map_or(key..key, |h| h..h));
            let reason = entry.reason.as_ref().map(|r| r.get_ref().trim());
            let Some(reason) = reason.filter(|r| !r.is_empty()) else {
                return Err(AllowError::Field {
                    at: entry.reason.map_or(origin, |r| at(r.span())),
                    field: "reason",
                    problem: "every acknowledged finding needs its reason".into(),
                });
            };
            let allow = Allow {
                op: entry.op.get_ref().clone(),
                fault: entry.fault.get_ref().clone(),
                verdict: entry.verdict.get_ref().clone(),
                test: entry.test,
                location: entry.location,
                reason: reason.to_string(),
                origin,
            };
            allow.check(|field| match field {
                "op" => at(entry.op.span()),
                "fault" => at(entry.fault.span()),
                _ => at(entry.verdict.span()),
            })?;
            allows.push(allow);
        }
        Ok(allows)
    }

    /// Refuses a value that can match nothing, naming where it is.
    fn check(&self, at: impl Fn(&'static str) -> String) -> Result<(), AllowError> {
        let unknown = self.op.split(" + ").find(|op| Op::from_name(op).is_none());
        if let Some(op) = unknown {
            return Err(AllowError::Field {
                at: at("op"),
                field: "op",
                problem: format!("`{op}` is no operation (see docs/plans-and-presets.md)"),
            });
        }
        if self.fault.trim().is_empty() {
            return Err(AllowError::Field {
                at: at("fault"),
                field: "fault",
                problem: "empty; give the fault's answer, e.g. `ok-zero`".into(),
            });
        }
        let words: Vec<&str> = Verdict::ALL.iter().map(|v| v.name()).collect();
        if self.verdict != "fail" && !words.contains(&self.verdict.as_str()) {
            return Err(AllowError::Field {
                at: at("verdict"),
                field: "verdict",
                problem: format!(
                    "`{}` is no verdict (one of: fail, {})",
                    self.verdict,
                    words.join(", ")
                ),
            });
        }
        Ok(())
    }

    /// Whether `finding`, of test `test` (none for a program), is this root cause.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::explore::{Allow, Finding};
    /// let finding: Finding = serde_json::from_value(serde_json::json!({
    ///     "verdict": "busy-loop", "exit_code": 84, "site": "udp.check-send call 1",
    ///     "ops": ["udp.check-send"], "fault": "ok-zero, then not-ready 1", "plan": "",
    ///     "duplicates": 0, "evidence": "", "robustness": false, "index": 0,
    /// }))?;
    /// assert!(Allow::parse("udp.check-send: ok-zero -> busy-loop")?.matches(&finding, None));
    /// assert!(!Allow::parse("udp.send: ok-zero -> busy-loop")?.matches(&finding, None));
    /// # Ok(()) }
    /// ```
    pub fn matches(&self, finding: &Finding, test: Option<&str>) -> bool {
        let ops: Vec<&str> = finding.ops.iter().map(|op| op.name()).collect();
        let answer = finding.fault.split(", then").next().unwrap_or_default();
        let verdict = finding.verdict == self.verdict
            || finding.verdict.starts_with(&format!("{} (", self.verdict));
        ops.join(" + ") == self.op
            && answer == self.fault
            && verdict
            && self.test.as_deref().is_none_or(|t| Some(t) == test)
            && (self.location.as_deref())
                .is_none_or(|l| finding.location.as_deref().is_some_and(|f| f.ends_with(l)))
    }

    /// How the entry reads in a report: its root cause, its test, where it is.
    ///
    /// ```
    /// use wouldblock::explore::Allow;
    /// let allow = Allow::parse("tcp.read: ok-zero -> hang")?;
    /// assert_eq!(allow.describe(), "tcp.read: ok-zero -> hang (--allow)");
    /// # Ok::<(), wouldblock::explore::AllowError>(())
    /// ```
    pub fn describe(&self) -> String {
        let test = self
            .test
            .as_deref()
            .map(|t| format!(" in {t}"))
            .unwrap_or_default();
        format!(
            "{}: {} -> {}{test} ({})",
            self.op, self.fault, self.verdict, self.origin
        )
    }
}

impl super::Report {
    /// Moves the findings that `allows` acknowledge (the findings of test `test`, or of a
    /// program with `None`) to [`Report::acknowledged`](super::Report::acknowledged), and
    /// lists the entries that matched none in [`Report::stale`](super::Report::stale).
    /// Returns which entries matched.
    pub fn acknowledge(&mut self, allows: &[Allow], test: Option<&str>) -> Vec<bool> {
        let mut matched = vec![false; allows.len()];
        let findings = std::mem::take(&mut self.findings);
        for finding in findings {
            match allows.iter().position(|a| a.matches(&finding, test)) {
                Some(i) => {
                    matched[i] = true;
                    self.acknowledged.push(Acknowledged {
                        finding,
                        reason: allows[i].reason.clone(),
                        origin: allows[i].origin.clone(),
                    });
                }
                None => self.findings.push(finding),
            }
        }
        self.stale = stale(allows, &matched);
        matched
    }
}

impl super::TestReport {
    /// Acknowledges this test's findings that `allows` match; with none left it is clean.
    /// Returns which entries matched.
    pub fn acknowledge(&mut self, allows: &[Allow]) -> Vec<bool> {
        let matched = self.report.acknowledge(allows, Some(&self.name));
        self.report.stale.clear();
        if self.status == super::TestVerdict::Findings && self.report.findings.is_empty() {
            self.status = super::TestVerdict::Clean;
        }
        matched
    }
}

impl super::Report {
    /// The report as found, before any acknowledgement (what a merge of shards starts
    /// from: the whole is acknowledged again).
    pub fn unacknowledged(mut self) -> Self {
        let acknowledged = std::mem::take(&mut self.acknowledged);
        self.findings
            .extend(acknowledged.into_iter().map(|a| a.finding));
        self.findings.sort_by_key(|f| f.index);
        self.stale.clear();
        self
    }
}

impl super::SuiteReport {
    /// The report as found, before any acknowledgement.
    pub fn unacknowledged(mut self) -> Self {
        for test in &mut self.tests {
            test.report = std::mem::take(&mut test.report).unacknowledged();
            if test.status == super::TestVerdict::Clean && !test.report.findings.is_empty() {
                test.status = super::TestVerdict::Findings;
            }
        }
        self.stale.clear();
        self.find_causes();
        self
    }

    /// Acknowledges each test's findings that `allows` match: a test left with none is
    /// clean; the root causes are found again from what is left; the entries that matched
    /// nothing in any test are [`SuiteReport::stale`](super::SuiteReport::stale).
    pub fn acknowledge(&mut self, allows: &[Allow]) {
        let mut matched = vec![false; allows.len()];
        for test in &mut self.tests {
            let theirs = test.acknowledge(allows);
            for (all, mine) in matched.iter_mut().zip(theirs) {
                *all |= mine;
            }
        }
        self.stale = stale(allows, &matched);
        self.find_causes();
    }
}

/// The entries that matched nothing, as a report lists them.
fn stale(allows: &[Allow], matched: &[bool]) -> Vec<String> {
    let unmatched = allows.iter().zip(matched).filter(|(_, m)| !**m);
    unmatched.map(|(a, _)| a.describe()).collect()
}
