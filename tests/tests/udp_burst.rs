//! `udp-burst`: the readiness-driven sender with back-off loses nothing under every
//! back-pressure preset, never spins and never hangs.

use anyhow::{Result, ensure};
use wouldblock::guests::UDP_BURST;
use wouldblock_tests::{
    assert_peer_got_exactly_once, guest, harness_with_peer, plan, repeat_outcomes,
};

const ARGS: &[&str] = &["{sink}", "--count", "16"];

#[test]
fn delivers_every_datagram_exactly_once_under_back_pressure() -> Result<()> {
    for spec in [
        "enobufs-backpressure",
        "enobufs-backpressure:action=ok-zero,ready=3",
        "enobufs-no-wakeup",
        "enobufs-no-wakeup:action=ok-zero",
        "enobufs-writable",
    ] {
        let harness = harness_with_peer(plan(spec), false, Some(16));
        repeat_outcomes(&harness, &guest(&UDP_BURST), ARGS, |outcome| {
            assert_peer_got_exactly_once(outcome, 16)?;
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
