//! `udp-c-burst-drop`: firezone's original sender in C drops a datagram that sendto() does
//! not take at once; it exits 0, and the harness's peer finds the loss on every run.

use anyhow::{Result, ensure};
use wouldblock::{Plan, Verdict};
use wouldblock_guests::UDP_C_BURST_DROP;
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
        repeat(&harness, &guest(&UDP_C_BURST_DROP), ARGS, |outcome| {
            let (reason, _) = assert_verdict(outcome, Verdict::Loss)?;
            ensure!(outcome.exit_code() == 87);
            // Back-pressure starts after 8 datagrams: 8, 9 and 10 are the first to go.
            ensure!(reason.contains("missing [8, 9, 10"), "{reason}");
            // wasi-libc reports wasi:sockets' out-of-memory as ENOMEM.
            let stderr = outcome.stderr_text();
            ensure!(
                stderr.contains("dropped datagram 8: Out of memory"),
                "{stderr}"
            );
            Ok(())
        })
        .map_err(|e| e.context(spec))?;
    }
    Ok(())
}

#[test]
fn passes_without_a_fault() -> Result<()> {
    let harness = counting(Plan::new(), Some(16));
    repeat(&harness, &guest(&UDP_C_BURST_DROP), ARGS, |outcome| {
        assert_delivered_exactly_once(outcome, 16)
    })
}

/// A send that answers `ok(0)` is EWOULDBLOCK from wasi-libc: the datagram the host
/// refused is never offered again, the `dropped` verdict.
#[test]
fn a_refused_send_never_offered_again_is_dropped() -> Result<()> {
    let harness = counting(
        plan("enobufs-backpressure:action=ok-zero,ready=3"),
        Some(16),
    );
    repeat(&harness, &guest(&UDP_C_BURST_DROP), ARGS, |outcome| {
        let (reason, _) = assert_verdict(outcome, Verdict::Dropped)?;
        ensure!(reason.contains("\"8\" (1 bytes)"), "{reason}");
        Ok(())
    })
}
