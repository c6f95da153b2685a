//! `udp-burst-wait`: the sender that trusts readiness alone hangs on a missed wake-up and
//! spins on an always-ready pollable, and the harness says so at once, on every run.

use anyhow::{Result, ensure};
use wouldblock::Verdict;
use wouldblock_guests::UDP_BURST_WAIT;
use wouldblock_tests::{
    assert_delivered_exactly_once, assert_verdict, counting, guest, plan, repeat,
};

const ARGS: &[&str] = &["{peer}", "--count", "16"];

#[test]
fn hangs_on_a_missed_wake_up() -> Result<()> {
    for spec in ["enobufs-no-wakeup", "enobufs-no-wakeup:action=ok-zero"] {
        let harness = counting(plan(spec), Some(16));
        repeat(&harness, &guest(&UDP_BURST_WAIT), ARGS, |outcome| {
            let (_, evidence) = assert_verdict(outcome, Verdict::Hang)?;
            ensure!(outcome.exit_code() == 85);
            ensure!(evidence.contains("never-ready"), "{evidence}");
            Ok(())
        })
        .map_err(|e| e.context(spec))?;
    }
    Ok(())
}

#[test]
fn spins_when_the_pollable_stays_ready() -> Result<()> {
    let harness = counting(plan("enobufs-writable"), Some(16));
    repeat(&harness, &guest(&UDP_BURST_WAIT), ARGS, |outcome| {
        assert_verdict(outcome, Verdict::BusyLoop).map(drop)
    })
}

#[test]
fn passes_when_readiness_does_come_back() -> Result<()> {
    let harness = counting(plan("enobufs-backpressure"), Some(16));
    repeat(&harness, &guest(&UDP_BURST_WAIT), ARGS, |outcome| {
        assert_delivered_exactly_once(outcome, 16)
    })
}
