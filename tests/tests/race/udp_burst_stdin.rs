//! `udp-burst-stdin`: the sender that takes any wake-up for a back-off spins when stdin is
//! always readable; only a clock's wake-up counts as backing off, so the harness stops it
//! as a busy loop on every run.

use anyhow::{Result, ensure};
use wouldblock::Verdict;
use wouldblock_guests::UDP_BURST_STDIN;
use wouldblock_tests::{
    assert_delivered_exactly_once, assert_verdict, counting, guest, plan, repeat,
};

const ARGS: &[&str] = &["{peer}", "--count", "16"];

/// Out-of-memory with a missed wake-up, until the guest has backed off on a timer 3 times:
/// waking on stdin is no back-off, so the window never closes.
#[test]
fn a_stdin_wake_up_does_not_reset_the_busy_loop_detector() -> Result<()> {
    let spec = "udp.send:after=8,action=out-of-memory,ready=never,until-waits=3";
    let harness = counting(plan(spec), Some(16));
    repeat(&harness, &guest(&UDP_BURST_STDIN), ARGS, |outcome| {
        let (_, evidence) = assert_verdict(outcome, Verdict::BusyLoop)?;
        // The evidence shows the guest woken by something that is not a socket.
        ensure!(evidence.contains("-> other"), "{evidence}");
        Ok(())
    })
}

#[test]
fn passes_when_readiness_does_come_back() -> Result<()> {
    let harness = counting(plan("enobufs-backpressure"), Some(16));
    repeat(&harness, &guest(&UDP_BURST_STDIN), ARGS, |outcome| {
        assert_delivered_exactly_once(outcome, 16)
    })
}
