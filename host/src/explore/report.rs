//! What an exploration found: findings, robustness notes, the counts; as JSON (`--json`,
//! which `--merge` reads back) and as one replayable plan file per finding. The command's
//! reporter prints the table.

use super::{Tier, Trial, Tried};
use crate::outcome::{Exit, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One distinct finding: the verdict, the earliest site that gives it, the plan that
/// replays it, and how many other sites gave the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Finding {
    /// How the run ended, as the [`Ending`](crate::Ending)'s text: `busy-loop`, `loss`,
    /// `fail (exit 1)`, ... (text, so that `--merge` reads the same JSON).
    pub verdict: String,
    /// The exit status a replay gives.
    pub exit_code: i32,
    /// The site, e.g. `udp.send call 1`.
    pub site: String,
    /// The fault, e.g. `ok-zero, then not-ready 1`.
    pub fault: String,
    /// The plan that replays it, as TOML.
    pub plan: String,
    /// Runs that ended the same way at other sites of the same operation.
    pub duplicates: u64,
    /// The trace lines (or the guest's last words) that show it.
    pub evidence: String,
    /// A fault no program survives (a readiness that never comes, an error that never
    /// ends): a robustness note, not a readiness bug.
    pub robustness: bool,
    /// The trial's position in the exploration, for a stable order across shards.
    pub index: usize,
    /// `real` (a real host answers so) or `host-bug` (only a buggy host does).
    #[serde(default = "real")]
    pub tier: Tier,
    /// Why it is a bug, in four parts: the real condition that makes a host answer so,
    #[serde(default)]
    pub trigger: String,
    /// where that was seen,
    #[serde(default)]
    pub reference: String,
    /// the WIT clause that allows the answer,
    #[serde(default)]
    pub wit: String,
    /// and what a correct program does instead.
    #[serde(default)]
    pub correct: String,
}

fn real() -> Tier {
    Tier::Real
}

impl Finding {
    pub(super) fn new(index: usize, trial: &Trial, outcome: &Outcome, count: u64) -> Self {
        let sites: Vec<String> = trial.faults.iter().map(|(s, _)| s.to_string()).collect();
        let faults: Vec<String> = trial.faults.iter().map(|(_, f)| f.to_string()).collect();
        Self {
            verdict: outcome.ending().to_string(),
            exit_code: outcome.exit_code(),
            site: sites.join(" + "),
            fault: faults.join(" + "),
            plan: trial.plan().to_toml(),
            duplicates: count - 1,
            evidence: evidence(outcome),
            robustness: trial.is_robustness(),
            index,
            tier: trial.tier(),
            trigger: why(trial, |t| t.trigger),
            reference: why(trial, |t| t.reference),
            wit: why(trial, |t| t.wit),
            correct: why(trial, |t| t.correct),
        }
    }

    /// Why this is a bug, in one line: the trigger and its reference, the WIT clause, and
    /// what a correct program does instead.
    pub fn why(&self) -> String {
        format!(
            "{} ({}); WIT: {}; a correct program {}",
            self.trigger, self.reference, self.wit, self.correct
        )
    }

    /// `finding`, `note` (robustness) or `host-bug`: what the table and file names call it.
    pub fn kind(&self) -> &'static str {
        if self.robustness {
            "note"
        } else if self.tier == Tier::HostBug {
            "host-bug"
        } else {
            "finding"
        }
    }

    /// The plan file's text: comments naming the site, the verdict and the replay
    /// command, then the plan.
    pub fn plan_file(&self, replay: &str) -> String {
        format!(
            "# wouldblock explore {}: {}\n# site: {}\n# fault: {}\n# why: {}\n# replay: {replay}\n\n{}",
            self.kind(),
            self.verdict,
            self.site,
            self.fault,
            self.why(),
            self.plan
        )
    }
}

/// One part of a trial's "why", from the rows its faults came from (` + ` between two).
fn why(trial: &Trial, part: impl Fn(&Tried) -> &'static str) -> String {
    let parts: Vec<&str> = trial.sources().into_iter().flatten().map(part).collect();
    parts.join(" + ")
}

/// The verdict's reason, or the guest's last line, then the last socket calls with their
/// ports normalised: the same finding reads the same in every exploration.
fn evidence(outcome: &Outcome) -> String {
    let why = match &outcome.exit {
        Exit::Stopped(stop) => stop.reason.clone(),
        _ => {
            let stderr = outcome.stderr_text();
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
            last.unwrap_or("(nothing on stderr)").to_string()
        }
    };
    let calls = crate::trace::render(&outcome.trace.normalized().tail(4));
    format!("{why}\n{calls}")
}

/// An exploration's report. Two explorations with the same options give the same one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Report {
    /// Fault sites the fault-free run showed.
    pub sites: u64,
    /// Runs made, the fault-free one included.
    pub runs: u64,
    /// Trials in the whole exploration, all shards.
    pub trials: u64,
    /// The shard this report covers: `(i, n)`.
    pub shard: (u64, u64),
    /// Set when the fault-free run already failed: nothing was explored.
    pub baseline_failure: Option<String>,
    /// The readiness bugs found, one per distinct verdict and fault.
    pub findings: Vec<Finding>,
    /// What no program survives, and how this one ends under it.
    pub notes: Vec<Finding>,
    /// What the host-bug tier gave (`--host-bugs`): robustness against a host that breaks
    /// the WIT's promises, never a finding.
    #[serde(default)]
    pub host_bugs: Vec<Finding>,
}

impl Report {
    pub(super) fn failed_baseline(outcome: &Outcome) -> Self {
        Self {
            runs: 1,
            shard: (1, 1),
            baseline_failure: Some(format!("{}\n{}", outcome.summary(), evidence(outcome))),
            ..Self::default()
        }
    }

    /// 0 when nothing was found, 1 when something was (or the fault-free run failed).
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.findings.is_empty() || self.baseline_failure.is_some())
    }

    /// Shard reports as one: runs added, findings regrouped (the earliest of each kind
    /// stands for the others).
    pub fn merge(reports: Vec<Report>) -> Report {
        let mut merged = Report {
            shard: (1, 1),
            ..Report::default()
        };
        let mut groups: BTreeMap<(bool, String, String, String), Finding> = BTreeMap::new();
        for report in reports {
            merged.sites = merged.sites.max(report.sites);
            merged.trials = merged.trials.max(report.trials);
            merged.runs += report.runs;
            merged.baseline_failure = merged.baseline_failure.or(report.baseline_failure);
            let all = report.findings.into_iter().chain(report.notes);
            for finding in all.chain(report.host_bugs) {
                let op = finding.site.split(' ').next().unwrap_or("").to_string();
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
        merged
    }

    /// Writes one plan file per finding and note into `dir`; returns their paths in that
    /// order (the findings, then the notes). `replay` is the command with `{file}` where the plan goes.
    pub fn write_plans(&self, dir: &Path, replay: &str) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut paths = Vec::new();
        let all = self.findings.iter().chain(&self.notes);
        for (i, finding) in all.chain(&self.host_bugs).enumerate() {
            let kind = finding.kind();
            let slug: String = format!("{}-{}", finding.verdict, finding.site)
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            let path = dir.join(format!("{kind}-{:02}-{slug}.toml", i + 1));
            let command = replay.replace("{file}", &path.display().to_string());
            std::fs::write(&path, finding.plan_file(&command))?;
            paths.push(path);
        }
        Ok(paths)
    }
}
