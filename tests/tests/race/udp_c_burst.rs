//! `udp-c-burst`: the C sender that waits with poll() on EWOULDBLOCK and backs off on the
//! clock on ENOBUFS loses nothing under every back-pressure preset, as the Rust
//! `udp-burst` does.

use anyhow::{Result, ensure};
use wouldblock::Plan;
use wouldblock_guests::UDP_C_BURST;
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
        repeat(&harness, &guest(&UDP_C_BURST), ARGS, |outcome| {
            assert_delivered_exactly_once(outcome, 16)?;
            ensure!(outcome.stats.faults_injected >= 3, "{}", outcome.summary());
            let stdout = outcome.stdout_text();
            ensure!(stdout.contains("with 3 retries"), "{stdout}");
            Ok(())
        })
        .map_err(|e| e.context(spec))?;
    }
    Ok(())
}

/// The first send of a fresh socket not taken (wasmtime#12612) is one EWOULDBLOCK from
/// wasi-libc, waited out with poll().
#[test]
fn delivers_everything_under_first_send_and_no_fault() -> Result<()> {
    for plan in [plan("first-send"), Plan::new()] {
        let harness = counting(plan, Some(16));
        repeat(&harness, &guest(&UDP_C_BURST), ARGS, |outcome| {
            assert_delivered_exactly_once(outcome, 16)
        })?;
    }
    Ok(())
}
