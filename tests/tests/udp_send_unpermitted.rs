//! `udp-send-unpermitted`: a send without a `check-send` permit traps on every run, under a
//! fault or not, with a verdict that says why in plain words.

use anyhow::{Result, ensure};
use wouldblock::guests::UDP_SEND_UNPERMITTED;
use wouldblock::{Exit, Form, Plan, Readiness, Verdict};
use wouldblock_tests::{assert_verdict, guest, harness, repeat};

#[test]
fn traps_as_a_spec_violation_with_or_without_faults() -> Result<()> {
    for plan in [
        Plan::new(),
        Plan::first_send(Form::OkZero, 1, Readiness::NotReady(1)),
    ] {
        repeat(&harness(plan), &guest(&UDP_SEND_UNPERMITTED), &[], |run| {
            assert_verdict(&run.outcome, Verdict::SpecViolation)?;
            ensure!(run.outcome.exit_code() == 3);
            let Exit::Stopped(stop) = &run.outcome.exit else {
                unreachable!()
            };
            ensure!(stop.reason.contains("permitted 0"), "{}", stop.reason);
            ensure!(
                stop.evidence.contains("outgoing#1.send"),
                "{}",
                stop.evidence
            );
            // Nothing was injected: the permit is checked before the plan is asked.
            ensure!(run.outcome.stats.faults_injected == 0);
            ensure!(run.received.total() == 0);
            Ok(())
        })?;
    }
    Ok(())
}
