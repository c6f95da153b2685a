//! `udp-send-unpermitted`: a send without a `check-send` permit traps on every run, under a
//! fault or not, with a verdict that says why in plain words.

use anyhow::{Result, ensure};
use wouldblock::{Form, Plan, Readiness, Verdict};
use wouldblock_guests::UDP_SEND_UNPERMITTED;
use wouldblock_tests::{assert_nothing_arrived, assert_verdict, counting, guest, repeat};

#[test]
fn traps_as_a_spec_violation_with_or_without_faults() -> Result<()> {
    for plan in [
        Plan::new(),
        Plan::first_send(Form::OkZero, 1, Readiness::NotReady(1)),
    ] {
        let harness = counting(plan, None);
        repeat(
            &harness,
            &guest(&UDP_SEND_UNPERMITTED),
            &["{peer}"],
            |outcome| {
                let (reason, evidence) = assert_verdict(outcome, Verdict::SpecViolation)?;
                ensure!(outcome.exit_code() == 83);
                ensure!(reason.contains("permitted 0"), "{reason}");
                ensure!(evidence.contains("outgoing#1.send"), "{evidence}");
                // Nothing was injected: the permit is checked before the plan is asked.
                ensure!(outcome.stats.faults_injected == 0);
                assert_nothing_arrived(outcome)
            },
        )?;
    }
    Ok(())
}
