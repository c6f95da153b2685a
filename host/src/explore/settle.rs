//! From the runs that did not pass to findings: grouped by ending and kind as they arrive
//! (the earliest trial of a group stands for it), then each group's trial shrunk to its
//! smallest form, and the groups that shrinking makes one merged.

use super::{Finding, Tier, Trial};
use crate::error::Error;
use crate::harness::{Guest, Harness};
use crate::outcome::Outcome;
use crate::plan::Readiness;
use std::collections::BTreeMap;

/// The runs that did not pass, grouped by ending and kind: per group the earliest trial
/// (its index, the trial, its outcome) and how many gave it.
pub(crate) type Groups<'t> = BTreeMap<String, (usize, &'t Trial, Outcome, u64)>;

/// Puts a run that did not pass in its group: the earliest trial of a group stands for it
/// whatever order the runs end in, so a report does not depend on the threads.
pub(crate) fn group<'t>(groups: &mut Groups<'t>, index: usize, trial: &'t Trial, outcome: Outcome) {
    let key = format!("{}|{}", outcome.ending(), trial.kind());
    match groups.get_mut(&key) {
        Some(group) => {
            group.3 += 1;
            if index < group.0 {
                (group.0, group.1, group.2) = (index, trial, outcome);
            }
        }
        None => {
            groups.insert(key, (index, trial, outcome, 1));
        }
    }
}

/// What the groups of one exploration come to: the findings, the robustness notes and the
/// host-bug tier's results, each shrunk (unless interrupted) and in trial order.
pub(crate) struct Found {
    pub(crate) findings: Vec<Finding>,
    pub(crate) notes: Vec<Finding>,
    pub(crate) host_bugs: Vec<Finding>,
}

/// Shrinks each group's earliest trial and merges the groups that shrinking makes one.
pub(crate) fn settle(
    quiet: &Harness,
    guest: &Guest,
    args: &[impl AsRef<str> + Sync],
    groups: Groups<'_>,
    incomplete: bool,
) -> Result<Found, Error> {
    // Shrunk, two kinds may become one (a pair that one of its faults gives alone).
    let mut shrunk: BTreeMap<String, Finding> = BTreeMap::new();
    for (index, trial, outcome, count) in groups.into_values() {
        // Interrupted, the findings stay as found: the user asked to stop.
        let (trial, outcome) = if incomplete {
            (trial.clone(), outcome)
        } else {
            shrink(quiet, guest, args, trial, outcome)?
        };
        let key = format!("{}|{}", outcome.ending(), trial.kind());
        let finding = Finding::new(index, &trial, &outcome, count);
        match shrunk.get_mut(&key) {
            Some(kept) if kept.index <= index => kept.duplicates += count,
            Some(kept) => {
                let duplicates = kept.duplicates + 1;
                *kept = Finding {
                    duplicates: duplicates + finding.duplicates,
                    ..finding
                };
            }
            None => {
                shrunk.insert(key, finding);
            }
        }
    }
    let mut findings: Vec<Finding> = shrunk.into_values().collect();
    findings.sort_by_key(|f| f.index);
    let (notes, findings): (Vec<_>, Vec<_>) = findings.into_iter().partition(|f| f.robustness);
    let (host_bugs, findings) = findings.into_iter().partition(|f| f.tier == Tier::HostBug);
    Ok(Found {
        findings,
        notes,
        host_bugs,
    })
}

/// The smallest form of a finding that still ends the same way: a pair that one of its
/// faults gives alone becomes that fault; a readiness count drops to the least that
/// still does it.
fn shrink(
    harness: &Harness,
    guest: &Guest,
    args: &[impl AsRef<str> + Sync],
    trial: &Trial,
    outcome: Outcome,
) -> Result<(Trial, Outcome), Error> {
    let want = outcome.ending();
    let same = |candidate: &Trial| -> Result<Option<Outcome>, Error> {
        let outcome = harness.with_plan(candidate.plan()).run(guest, args)?;
        Ok((outcome.ending() == want).then_some(outcome))
    };
    let (mut best, mut best_outcome) = (trial.clone(), outcome);
    if best.faults.len() > 1 {
        for one in trial.faults.clone() {
            let single = Trial { faults: vec![one] };
            if let Some(outcome) = same(&single)? {
                (best, best_outcome) = (single, outcome);
                break;
            }
        }
    }
    for i in 0..best.faults.len() {
        let Readiness::NotReady(k) = best.faults[i].1.ready else {
            continue;
        };
        for smaller in 1..k {
            let mut candidate = best.clone();
            candidate.faults[i].1.ready = Readiness::NotReady(smaller);
            if let Some(outcome) = same(&candidate)? {
                (best, best_outcome) = (candidate, outcome);
                break;
            }
        }
    }
    Ok((best, best_outcome))
}
