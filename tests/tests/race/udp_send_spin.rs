//! `udp-send-spin`: the sender that retries without ever waiting never gets out of a
//! not-ready answer, because the answer holds until the guest waits; the busy-loop
//! detector stops it with the evidence, under every first-send form, on every run.

use anyhow::{Result, ensure};
use wouldblock::{Form, Plan, Readiness, Verdict};
use wouldblock_guests::UDP_SEND_SPIN;
use wouldblock_tests::{
    assert_delivered_exactly_once, assert_verdict, counting, guest, plan, repeat,
};

const ARGS: &[&str] = &["{peer}", "--count", "3"];

#[test]
fn busy_loops_under_every_first_send_form() -> Result<()> {
    for form in Form::ALL {
        let harness = counting(Plan::first_send(form, 1, Readiness::NotReady(1)), None);
        repeat(&harness, &guest(&UDP_SEND_SPIN), ARGS, |outcome| {
            let (_, evidence) = assert_verdict(outcome, Verdict::BusyLoop)?;
            ensure!(
                evidence.contains("held until the guest waits"),
                "{evidence}"
            );
            ensure!(
                outcome.stats.datagrams_accepted == 0,
                "{}",
                outcome.summary()
            );
            Ok(())
        })
        .map_err(|e| e.context(form.name()))?;
    }
    Ok(())
}

/// `first` decides when a fault starts, the gate when it ends: five not-ready answers do
/// not let a spinner out after five attempts.
#[test]
fn busy_loops_however_many_answers_the_rule_has() -> Result<()> {
    let harness = counting(plan("udp.check-send:action=ok-zero,first=5,ready=3"), None);
    repeat(&harness, &guest(&UDP_SEND_SPIN), ARGS, |outcome| {
        assert_verdict(outcome, Verdict::BusyLoop).map(drop)
    })
}

#[test]
fn passes_without_a_fault() -> Result<()> {
    let harness = counting(Plan::new(), Some(3));
    repeat(&harness, &guest(&UDP_SEND_SPIN), ARGS, |outcome| {
        assert_delivered_exactly_once(outcome, 3)
    })
}
