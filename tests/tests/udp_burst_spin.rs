//! `udp-burst-spin`: the sender that retries at once is stopped as a busy loop when sends
//! keep failing while the socket looks writable (libuv on FreeBSD), on every run.

use anyhow::{Result, ensure};
use wouldblock::Verdict;
use wouldblock::guests::UDP_BURST_SPIN;
use wouldblock_tests::{
    assert_peer_got_exactly_once, assert_verdict, guest, harness_with_peer, plan, repeat_outcomes,
};

const ARGS: &[&str] = &["{sink}", "--count", "16"];

#[test]
fn is_a_busy_loop_under_enobufs_writable() -> Result<()> {
    let harness = harness_with_peer(plan("enobufs-writable"), false, Some(16));
    repeat_outcomes(&harness, &guest(&UDP_BURST_SPIN), ARGS, |outcome| {
        assert_verdict(outcome, Verdict::BusyLoop)?;
        ensure!(outcome.exit_code() == 4);
        // The threshold counts calls: the verdict falls at the same call every run.
        ensure!(
            outcome.stats.faults_injected == 1001,
            "{}",
            outcome.summary()
        );
        Ok(())
    })
}

/// A bounded burst of failures is only waste, not a hang: the spinner gets through.
#[test]
fn gets_through_bounded_back_pressure() -> Result<()> {
    let harness = harness_with_peer(plan("enobufs-backpressure"), false, Some(16));
    repeat_outcomes(&harness, &guest(&UDP_BURST_SPIN), ARGS, |outcome| {
        assert_peer_got_exactly_once(outcome, 16)
    })
}
