//! `udp-request-naive`: the naive request loop gives up on an error reported once and
//! spins on a stuck-ready pollable, with the verdict that names each, on every run.

use anyhow::{Result, ensure};
use wouldblock::{Exit, Plan, Verdict};
use wouldblock_guests::UDP_REQUEST_NAIVE;
use wouldblock_tests::{assert_verdict, closed_port, echoing, guest, harness, plan, repeat};

const ARGS: &[&str] = &["{peer}", "--count", "4"];

#[test]
fn is_unusable_after_an_icmp_error() -> Result<()> {
    let harness = echoing(plan("icmp-refused"));
    repeat(&harness, &guest(&UDP_REQUEST_NAIVE), ARGS, |outcome| {
        assert_verdict(outcome, Verdict::UnusableAfterError)?;
        ensure!(outcome.exit_code() == 88);
        ensure!(outcome.stderr_text().contains("kind: ConnectionRefused"));
        Ok(())
    })
}

#[test]
fn busy_loops_when_the_incoming_pollable_is_stuck_ready() -> Result<()> {
    let harness = echoing(plan("errqueue-stuck"));
    repeat(&harness, &guest(&UDP_REQUEST_NAIVE), ARGS, |outcome| {
        assert_verdict(outcome, Verdict::BusyLoop).map(drop)
    })
}

#[test]
fn hangs_on_a_missed_wake_up_on_the_incoming_pollable() -> Result<()> {
    let harness = echoing(plan("udp.incoming-pollable:first=1,ready=never"));
    repeat(&harness, &guest(&UDP_REQUEST_NAIVE), ARGS, |outcome| {
        assert_verdict(outcome, Verdict::Hang).map(drop)
    })
}

#[test]
fn passes_with_a_live_peer_and_no_fault() -> Result<()> {
    let harness = echoing(Plan::new());
    repeat(&harness, &guest(&UDP_REQUEST_NAIVE), ARGS, |outcome| {
        ensure!(outcome.passed(), "{:?}", outcome.exit);
        Ok(())
    })
}

#[test]
fn a_real_closed_port_is_fatal_to_it() -> Result<()> {
    let harness = harness(Plan::new());
    let addr = closed_port()?.to_string();
    let outcome = harness.run(&guest(&UDP_REQUEST_NAIVE), &[addr.as_str()])?;
    ensure!(outcome.exit == Exit::Code(1), "{:?}", outcome.exit);
    ensure!(outcome.stderr_text().contains("kind: ConnectionRefused"));
    Ok(())
}

/// A guest blocked on a real pollable that never fires (a peer that never answers) is
/// not a plan's doing, so counting cannot see it: the wall-clock safety net stops it.
#[test]
fn the_time_limit_stops_a_guest_waiting_for_a_reply_that_never_comes() -> Result<()> {
    let harness = wouldblock_tests::builder()
        .time_limit(std::time::Duration::from_millis(300))
        .peer(wouldblock::PeerOptions::counting())
        .build()?;
    let guest = harness.compile(UDP_REQUEST_NAIVE.name, UDP_REQUEST_NAIVE.wasm)?;
    for _ in 0..3 {
        let outcome = harness.run(&guest, &["{peer}"])?;
        assert_verdict(&outcome, Verdict::TimeLimit)?;
        ensure!(outcome.exit_code() == 86);
    }
    Ok(())
}
