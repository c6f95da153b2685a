//! `udp-send-ignore-count`: the sender that takes `send` answering `ok(0)` for a datagram
//! sent exits 0 having dropped it; the harness finds the drop at the WIT boundary, with or
//! without a peer, on every run.

use anyhow::{Result, ensure};
use wouldblock::{Form, Plan, Readiness, Verdict};
use wouldblock_guests::UDP_SEND_IGNORE_COUNT;
use wouldblock_tests::{
    assert_delivered_exactly_once, assert_verdict, counting, guest, harness, repeat,
};

#[test]
fn drops_a_datagram_refused_with_ok_zero() -> Result<()> {
    let plan = Plan::first_send(Form::OkZero, 1, Readiness::NotReady(1));
    // No peer at all: the verdict comes from what the guest offered, not what arrived.
    let harness = harness(plan);
    repeat(
        &harness,
        &guest(&UDP_SEND_IGNORE_COUNT),
        &["127.0.0.1:9", "--count", "3"],
        |outcome| {
            let (reason, evidence) = assert_verdict(outcome, Verdict::Dropped)?;
            ensure!(outcome.exit_code() == 89);
            ensure!(
                reason.contains("\"0\" (1 bytes) to 127.0.0.1:9"),
                "{reason}"
            );
            ensure!(
                evidence.contains("outgoing#1.send") && evidence.contains("-> ok(0)"),
                "{evidence}"
            );
            ensure!(
                outcome.stats.datagrams_dropped == 1,
                "{}",
                outcome.summary()
            );
            Ok(())
        },
    )
}

/// The other forms do not apply: `would-block` and `check-send` 0 are not counts, so the
/// guest waits and sends everything.
#[test]
fn delivers_everything_under_the_forms_without_a_count() -> Result<()> {
    for form in [Form::WouldBlock, Form::CheckSend] {
        let harness = counting(Plan::first_send(form, 1, Readiness::NotReady(1)), Some(3));
        let args = &["{peer}", "--count", "3"];
        repeat(&harness, &guest(&UDP_SEND_IGNORE_COUNT), args, |outcome| {
            assert_delivered_exactly_once(outcome, 3)?;
            ensure!(
                outcome.stats.datagrams_dropped == 0,
                "{}",
                outcome.summary()
            );
            Ok(())
        })
        .map_err(|e| e.context(form.name()))?;
    }
    Ok(())
}
