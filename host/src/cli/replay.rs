//! `--html` of an exploration: each finding's plan run once more, for its timeline.

use anyhow::Result;
use wouldblock::explore::Finding;
use wouldblock::{Guest, Harness, Outcome, Output, Plan};

/// Each finding's plan run once more with its arguments, for its timeline in the HTML
/// report: the plan replays it (every run of a plan takes the same path), and an
/// exploration without `--html` need not keep every finding's trace. On `jobs` threads,
/// in the findings' order.
pub fn replay_findings(
    harness: &Harness,
    guest: &Guest,
    findings: &[(&Finding, &[String])],
    jobs: usize,
) -> Result<Vec<Outcome>> {
    let quiet = harness.with_output(Output::Capture);
    let one = |(finding, args): &(&Finding, &[String])| -> Result<Outcome> {
        let plan = Plan::from_toml(&finding.plan, "a finding's plan")?;
        Ok(quiet.with_plan(plan).run(guest, args)?)
    };
    let per_thread = findings.len().div_ceil(jobs.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = findings
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().map(one).collect::<Vec<_>>()))
            .collect();
        let mut outcomes = Vec::with_capacity(findings.len());
        for handle in handles {
            let chunk = handle
                .join()
                .map_err(|_| anyhow::anyhow!("a replay thread panicked"))?;
            for outcome in chunk {
                outcomes.push(outcome?);
            }
        }
        Ok(outcomes)
    })
}
