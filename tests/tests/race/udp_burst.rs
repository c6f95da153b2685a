//! `udp-burst`: the readiness-driven sender with back-off loses nothing under every
//! back-pressure preset, never spins and never hangs.

use anyhow::{Result, ensure};
use wouldblock_guests::UDP_BURST;
use wouldblock_tests::{assert_delivered_exactly_once, counting, guest, plan, repeat};

const ARGS: &[&str] = &["{peer}", "--count", "16"];

#[test]
fn delivers_every_datagram_exactly_once_under_back_pressure() -> Result<()> {
    for spec in [
        "enobufs-backpressure",
        "enobufs-backpressure:action=ok-zero,ready=3",
        "enobufs-no-wakeup",
        "enobufs-no-wakeup:action=ok-zero",
        "enobufs-writable",
    ] {
        let harness = counting(plan(spec), Some(16));
        repeat(&harness, &guest(&UDP_BURST), ARGS, |outcome| {
            assert_delivered_exactly_once(outcome, 16)?;
            ensure!(outcome.stats.faults_injected >= 3, "{}", outcome.summary());
            ensure!(
                outcome.stdout_text().contains("retries"),
                "{}",
                outcome.stdout_text()
            );
            Ok(())
        })
        .map_err(|e| e.context(spec))?;
    }
    Ok(())
}
