//! `udp-burst-wait`: the sender that trusts readiness alone hangs on a missed wake-up and
//! spins on an always-ready pollable, and the harness says so at once, on every run.

use anyhow::{Result, ensure};
use wouldblock::guests::UDP_BURST_WAIT;
use wouldblock::{Exit, Verdict};
use wouldblock_tests::{
    assert_peer_got_exactly_once, assert_verdict, guest, harness_with_peer, plan, repeat_outcomes,
};

const ARGS: &[&str] = &["{sink}", "--count", "16"];

#[test]
fn hangs_on_a_missed_wake_up() -> Result<()> {
    for spec in ["enobufs-no-wakeup", "enobufs-no-wakeup:action=ok-zero"] {
        let harness = harness_with_peer(plan(spec), false, Some(16));
        repeat_outcomes(&harness, &guest(&UDP_BURST_WAIT), ARGS, |outcome| {
            assert_verdict(outcome, Verdict::Hang)?;
            ensure!(outcome.exit_code() == 5);
            let Exit::Stopped(stop) = &outcome.exit else {
                unreachable!()
            };
            ensure!(stop.evidence.contains("never-ready"), "{}", stop.evidence);
            Ok(())
        })
        .map_err(|e| e.context(spec))?;
    }
    Ok(())
}

#[test]
fn spins_when_the_pollable_stays_ready() -> Result<()> {
    let harness = harness_with_peer(plan("enobufs-writable"), false, Some(16));
    repeat_outcomes(&harness, &guest(&UDP_BURST_WAIT), ARGS, |outcome| {
        assert_verdict(outcome, Verdict::BusyLoop)
    })
}

#[test]
fn passes_when_readiness_does_come_back() -> Result<()> {
    let harness = harness_with_peer(plan("enobufs-backpressure"), false, Some(16));
    repeat_outcomes(&harness, &guest(&UDP_BURST_WAIT), ARGS, |outcome| {
        assert_peer_got_exactly_once(outcome, 16)
    })
}
