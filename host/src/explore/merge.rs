//! `--merge`: shard reports as the one report the whole exploration gives, only when they
//! are the shards of one exploration: every shard once, one component, one set of options,
//! one format, none interrupted.

use super::Tier;
use super::report::{Finding, REPORT_FORMAT, Report};
use crate::plan::Op;
use std::collections::BTreeMap;

/// Why shard reports do not merge.
///
/// ```
/// use wouldblock::explore::{MergeError, REPORT_FORMAT, Report};
/// assert_eq!(Report::merge(vec![]), Err(MergeError::Empty));
/// let mut first = Report::default();
/// (first.format, first.shard) = (REPORT_FORMAT, (1, 2));
/// let error = Report::merge(vec![first]).unwrap_err();
/// assert_eq!(error, MergeError::Missing { missing: "2".into(), of: 2 });
/// assert_eq!(error.to_string(), "shard(s) 2 of 2 are missing: a merge needs every shard once");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no shard reports to merge")]
    Empty,
    /// A report of another format version (or of none: an older wouldblock's).
    #[error(
        "a report has format version {found}; this wouldblock reads version {REPORT_FORMAT} \
         (explore the shards again with this wouldblock)"
    )]
    Format {
        /// The version found (0: none).
        found: u32,
    },
    /// The reports split the exploration differently.
    #[error("the shards come from different splits: shard {a} and shard {b}")]
    Split {
        /// One shard, `i/n`.
        a: String,
        /// Another, `i/n`.
        b: String,
    },
    /// A shard number that is no shard (`0/2`, `3/2`): a report edited by hand.
    #[error("shard {shard} is not a shard of a split: I/N needs 1 <= I <= N")]
    NotAShard {
        /// The shard, `i/n`.
        shard: String,
    },
    /// A shard given twice.
    #[error("shard {shard} is given twice")]
    Duplicate {
        /// The shard, `i/n`.
        shard: String,
    },
    /// Shards not given.
    #[error("shard(s) {missing} of {of} are missing: a merge needs every shard once")]
    Missing {
        /// The missing shards' numbers, e.g. `2, 3`.
        missing: String,
        /// How many shards there are.
        of: u64,
    },
    /// Two shards of different explorations (component, arguments or options).
    #[error("shard {a} and shard {b} explored differently: {what}")]
    Mixed {
        /// One shard, `i/n`.
        a: String,
        /// Another, `i/n`.
        b: String,
        /// What differs, both values.
        what: String,
    },
    /// A shard stopped early.
    #[error("shard {shard} is incomplete (interrupted, or out of --budget-time): explore it again")]
    Incomplete {
        /// The shard, `i/n`.
        shard: String,
    },
}

fn name((i, n): (u64, u64)) -> String {
    format!("{i}/{n}")
}

/// The missing shards a refused merge names one by one.
const MISSING_NAMED: usize = 10;

/// What two shards of one exploration must share, by name, for the error to say which.
fn differences(a: &Report, b: &Report) -> Option<String> {
    let (x, y) = (&a.exploration, &b.exploration);
    let checks = [
        ("component (sha256)", x.sha256.clone(), y.sha256.clone()),
        (
            "guest arguments",
            format!("{:?}", x.args),
            format!("{:?}", y.args),
        ),
        ("--depth", x.depth.to_string(), y.depth.to_string()),
        ("--budget", x.budget.to_string(), y.budget.to_string()),
        ("--seed", x.seed.to_string(), y.seed.to_string()),
        (
            "--host-bugs",
            x.host_bugs.to_string(),
            y.host_bugs.to_string(),
        ),
        ("plan", x.plan.clone(), y.plan.clone()),
        ("harness options", x.settings.clone(), y.settings.clone()),
        (
            "fault-free run (sites, trials)",
            format!("{} sites, {} trials", a.sites, a.trials),
            format!("{} sites, {} trials", b.sites, b.trials),
        ),
    ];
    checks
        .into_iter()
        .find(|(_, p, q)| p != q)
        .map(|(what, p, q)| format!("{what}: {p} vs {q}"))
}

impl Report {
    /// Shard reports as one: every shard of one exploration exactly once (any order);
    /// runs added with the fault-free run counted once, findings regrouped (the earliest
    /// of each kind stands for the others).
    ///
    /// ```
    /// # fn main() -> Result<(), wouldblock::explore::MergeError> {
    /// use wouldblock::explore::{REPORT_FORMAT, Report};
    /// // Shard `i` of 2 of a 6-trial exploration: its 3 trials and the fault-free run.
    /// let shard = |i| {
    ///     let mut report = Report::default();
    ///     (report.format, report.shard, report.trials, report.runs) = (REPORT_FORMAT, (i, 2), 6, 4);
    ///     report
    /// };
    /// let merged = Report::merge(vec![shard(2), shard(1)])?;
    /// assert_eq!((merged.shard, merged.trials, merged.runs), ((1, 1), 6, 7));
    /// # Ok(()) }
    /// ```
    pub fn merge(reports: Vec<Report>) -> Result<Report, MergeError> {
        let first = reports.first().ok_or(MergeError::Empty)?.clone();
        let of = first.shard.1;
        let mut seen: BTreeMap<u64, ()> = BTreeMap::new();
        for report in &reports {
            if report.format != REPORT_FORMAT {
                return Err(MergeError::Format {
                    found: report.format,
                });
            }
            if report.shard.1 != of {
                return Err(MergeError::Split {
                    a: name(first.shard),
                    b: name(report.shard),
                });
            }
            if !(1..=of).contains(&report.shard.0) {
                return Err(MergeError::NotAShard {
                    shard: name(report.shard),
                });
            }
            if seen.insert(report.shard.0, ()).is_some() {
                return Err(MergeError::Duplicate {
                    shard: name(report.shard),
                });
            }
            if let Some(what) = differences(&first, report) {
                return Err(MergeError::Mixed {
                    a: name(first.shard),
                    b: name(report.shard),
                    what,
                });
            }
            if report.incomplete {
                return Err(MergeError::Incomplete {
                    shard: name(report.shard),
                });
            }
        }
        // The first few missing, and how many: `of` may be anything up to 2^64 - 1.
        let mut missing: Vec<String> = (1..=of)
            .filter(|i| !seen.contains_key(i))
            .take(MISSING_NAMED)
            .map(|i| i.to_string())
            .collect();
        if !missing.is_empty() {
            let all = of - seen.len() as u64;
            if all > missing.len() as u64 {
                missing.push(format!("{} more", all - missing.len() as u64));
            }
            return Err(MergeError::Missing {
                missing: missing.join(", "),
                of,
            });
        }
        let mut merged = Report {
            format: REPORT_FORMAT,
            exploration: first.exploration.clone(),
            sites: first.sites,
            trials: first.trials,
            shard: (1, 1),
            // Every shard made the one fault-free run; the whole exploration makes it once.
            runs: 1,
            ..Report::default()
        };
        let mut groups: BTreeMap<(bool, String, Option<Op>, String), Finding> = BTreeMap::new();
        for report in reports {
            merged.runs += report.runs.saturating_sub(1);
            merged.baseline_failure = merged.baseline_failure.or(report.baseline_failure);
            let all = report.findings.into_iter().chain(report.notes);
            for finding in all.chain(report.host_bugs) {
                let op = finding.ops.first().copied();
                let key = (
                    finding.robustness,
                    finding.verdict.clone(),
                    op,
                    finding.fault.clone(),
                );
                match groups.get_mut(&key) {
                    Some(kept) => {
                        let extra = finding.duplicates + 1;
                        if finding.index < kept.index {
                            let duplicates = kept.duplicates + extra;
                            *kept = Finding {
                                duplicates,
                                ..finding
                            };
                        } else {
                            kept.duplicates += extra;
                        }
                    }
                    None => {
                        groups.insert(key, finding);
                    }
                }
            }
        }
        let mut all: Vec<Finding> = groups.into_values().collect();
        all.sort_by_key(|f| f.index);
        let findings: Vec<Finding>;
        (merged.notes, findings) = all.into_iter().partition(|f| f.robustness);
        (merged.host_bugs, merged.findings) =
            findings.into_iter().partition(|f| f.tier == Tier::HostBug);
        Ok(merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(i: u64, n: u64) -> Report {
        let mut report = Report {
            format: REPORT_FORMAT,
            shard: (i, n),
            sites: 4,
            trials: 9,
            runs: 4,
            ..Report::default()
        };
        report.exploration.sha256 = "aa".into();
        report.exploration.depth = 2;
        report
    }

    fn merge(shards: Vec<Report>) -> Result<Report, String> {
        Report::merge(shards).map_err(|e| e.to_string())
    }

    #[test]
    fn every_shard_once_merges_with_the_fault_free_run_counted_once() {
        let merged = merge(vec![shard(2, 3), shard(1, 3), shard(3, 3)]).unwrap();
        // Three shards of three trials each, and one fault-free run.
        assert_eq!((merged.runs, merged.shard, merged.trials), (10, (1, 1), 9));
        assert_eq!(merge(vec![shard(1, 1)]).unwrap().runs, 4);
    }

    #[test]
    fn duplicates_missing_and_mixed_shards_are_refused_by_name() {
        let err = merge(vec![shard(1, 3), shard(1, 3), shard(1, 3)]).unwrap_err();
        assert_eq!(err, "shard 1/3 is given twice");
        let err = merge(vec![shard(1, 3), shard(3, 3)]).unwrap_err();
        assert!(err.contains("shard(s) 2 of 3 are missing"), "{err}");
        let err = merge(vec![shard(1, u64::MAX)]).unwrap_err();
        assert!(err.contains("2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 18446744073709551604 more of"));
        let err = merge(vec![shard(1, 2), shard(2, 2), shard(3, 2)]).unwrap_err();
        assert_eq!(
            err,
            "shard 3/2 is not a shard of a split: I/N needs 1 <= I <= N"
        );
        let err = merge(vec![shard(5, 0)]).unwrap_err();
        assert!(err.contains("shard 5/0 is not a shard"), "{err}");
        let err = merge(vec![shard(1, 2), shard(2, 3)]).unwrap_err();
        assert!(err.contains("different splits"), "{err}");
        let mut other = shard(2, 2);
        other.exploration.sha256 = "bb".into();
        let err = merge(vec![shard(1, 2), other]).unwrap_err();
        assert!(err.contains("component (sha256): aa vs bb"), "{err}");
        let mut other = shard(2, 2);
        other.exploration.seed = 7;
        let err = merge(vec![shard(1, 2), other]).unwrap_err();
        assert!(err.contains("--seed: 0 vs 7"), "{err}");
        let mut old = shard(2, 2);
        old.format = 0;
        let err = merge(vec![shard(1, 2), old]).unwrap_err();
        assert!(err.contains("format version 0"), "{err}");
        let mut cut = shard(2, 2);
        cut.incomplete = true;
        let err = merge(vec![shard(1, 2), cut]).unwrap_err();
        assert!(err.contains("shard 2/2 is incomplete"), "{err}");
        assert_eq!(merge(vec![]).unwrap_err(), "no shard reports to merge");
    }
}
