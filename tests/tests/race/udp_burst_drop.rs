//! `udp-burst-drop`: firezone's original sender drops what the host does not take at once;
//! it exits 0, and the harness's peer finds the loss on every run.

use anyhow::{Result, ensure};
use wouldblock::{Plan, Verdict};
use wouldblock_guests::UDP_BURST_DROP;
use wouldblock_tests::{
    assert_delivered_exactly_once, assert_verdict, counting, guest, plan, repeat,
};

const ARGS: &[&str] = &["{peer}", "--count", "16"];

#[test]
fn loses_datagrams_silently_under_every_back_pressure_preset() -> Result<()> {
    for spec in [
        "enobufs-backpressure",
        "enobufs-no-wakeup",
        "enobufs-writable",
    ] {
        let harness = counting(plan(spec), Some(16));
        repeat(&harness, &guest(&UDP_BURST_DROP), ARGS, |outcome| {
            let (reason, _) = assert_verdict(outcome, Verdict::Loss)?;
            ensure!(outcome.exit_code() == 87);
            // Back-pressure starts after 8 datagrams: 8, 9 and 10 are the first to go.
            ensure!(reason.contains("missing [8, 9, 10"), "{reason}");
            Ok(())
        })
        .map_err(|e| e.context(spec))?;
    }
    Ok(())
}

#[test]
fn passes_without_a_fault() -> Result<()> {
    let harness = counting(Plan::new(), Some(16));
    repeat(&harness, &guest(&UDP_BURST_DROP), ARGS, |outcome| {
        assert_delivered_exactly_once(outcome, 16)
    })
}

/// A datagram refused with out-of-memory (ENOBUFS) and never sent again is counted, and is
/// the `dropped` verdict only when asked: dropping under ENOBUFS is a policy some stacks
/// choose.
#[test]
fn an_enobufs_drop_is_counted_and_a_verdict_only_with_no_drops() -> Result<()> {
    let counted = counting(plan("enobufs-backpressure"), Some(16));
    repeat(&counted, &guest(&UDP_BURST_DROP), ARGS, |outcome| {
        assert_verdict(outcome, Verdict::Loss)?;
        ensure!(
            outcome.stats.datagrams_dropped == 3,
            "{}",
            outcome.summary()
        );
        Ok(())
    })?;
    let strict = wouldblock_tests::builder()
        .plan(plan("enobufs-backpressure"))
        .peer(wouldblock::PeerOptions::counting().expect_datagrams(16))
        .no_drops(true)
        .build()?;
    let guest = strict.compile(UDP_BURST_DROP.name, UDP_BURST_DROP.wasm)?;
    repeat(&strict, &guest, ARGS, |outcome| {
        let (reason, _) = assert_verdict(outcome, Verdict::Dropped)?;
        ensure!(reason.contains("\"8\" (1 bytes)"), "{reason}");
        Ok(())
    })
}
