//! `udp-burst-drop`: firezone's original sender drops what the host does not take at once;
//! it exits 0, and the harness's peer finds the loss on every run.

use anyhow::{Result, ensure};
use wouldblock::guests::UDP_BURST_DROP;
use wouldblock::{Exit, Plan, Verdict};
use wouldblock_tests::{
    assert_peer_got_exactly_once, assert_verdict, guest, harness_with_peer, plan, repeat_outcomes,
};

const ARGS: &[&str] = &["{sink}", "--count", "16"];

#[test]
fn loses_datagrams_silently_under_every_back_pressure_preset() -> Result<()> {
    for spec in [
        "enobufs-backpressure",
        "enobufs-no-wakeup",
        "enobufs-writable",
    ] {
        let harness = harness_with_peer(plan(spec), false, Some(16));
        repeat_outcomes(&harness, &guest(&UDP_BURST_DROP), ARGS, |outcome| {
            assert_verdict(outcome, Verdict::Loss)?;
            ensure!(outcome.exit_code() == 7);
            let Exit::Stopped(stop) = &outcome.exit else {
                unreachable!()
            };
            // Back-pressure starts after 8 datagrams: 8, 9 and 10 are the first to go.
            ensure!(stop.reason.contains("missing [8, 9, 10"), "{}", stop.reason);
            Ok(())
        })
        .map_err(|e| e.context(spec))?;
    }
    Ok(())
}

#[test]
fn passes_without_a_fault() -> Result<()> {
    let harness = harness_with_peer(Plan::new(), false, Some(16));
    repeat_outcomes(&harness, &guest(&UDP_BURST_DROP), ARGS, |outcome| {
        assert_peer_got_exactly_once(outcome, 16)
    })
}
