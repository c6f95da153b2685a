//! `udp-burst-spin`: the sender that retries at once is stopped as a busy loop when sends
//! keep failing while the socket looks writable (libuv on FreeBSD), on every run.

use anyhow::{Result, ensure};
use wouldblock::Verdict;
use wouldblock_guests::UDP_BURST_SPIN;
use wouldblock_tests::{
    assert_delivered_exactly_once, assert_verdict, counting, guest, plan, repeat,
};

const ARGS: &[&str] = &["{peer}", "--count", "16"];

#[test]
fn is_a_busy_loop_under_enobufs_writable() -> Result<()> {
    let harness = counting(plan("enobufs-writable"), Some(16));
    repeat(&harness, &guest(&UDP_BURST_SPIN), ARGS, |outcome| {
        assert_verdict(outcome, Verdict::BusyLoop)?;
        ensure!(outcome.exit_code() == 84);
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
    let harness = counting(plan("enobufs-backpressure"), Some(16));
    repeat(&harness, &guest(&UDP_BURST_SPIN), ARGS, |outcome| {
        assert_delivered_exactly_once(outcome, 16)
    })
}
