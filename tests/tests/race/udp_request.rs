//! `udp-request`: the connected request/response guest reports an ICMP error once, keeps
//! its socket and completes against a live peer; against a closed port on loopback (a real
//! ICMP port-unreachable, nothing injected) it gets the real connection-refused.

use anyhow::{Result, ensure};
use wouldblock::{Exit, Plan};
use wouldblock_guests::UDP_REQUEST;
use wouldblock_tests::{closed_port, echoing, guest, harness, plan, repeat};

const ARGS: &[&str] = &["{peer}", "--count", "4"];

#[test]
fn completes_after_an_icmp_error_reported_once_or_twice() -> Result<()> {
    for (spec, refusals) in [("icmp-refused", 1), ("icmp-refused:sticky=true", 2)] {
        let harness = echoing(plan(spec));
        repeat(&harness, &guest(&UDP_REQUEST), ARGS, |outcome| {
            ensure!(outcome.passed(), "{:?}", outcome.exit);
            let stderr = outcome.stderr_text();
            ensure!(
                stderr.matches("peer refused (reported once)").count() == refusals,
                "{stderr}"
            );
            ensure!(outcome.stdout_text().contains("4 replies"));
            Ok(())
        })
        .map_err(|e| e.context(spec))?;
    }
    Ok(())
}

#[test]
fn completes_when_the_incoming_pollable_is_stuck_ready() -> Result<()> {
    let harness = echoing(plan("errqueue-stuck"));
    repeat(&harness, &guest(&UDP_REQUEST), ARGS, |outcome| {
        ensure!(outcome.passed(), "{:?}", outcome.exit);
        ensure!(outcome.stats.faults_injected >= 3, "{}", outcome.summary());
        Ok(())
    })
}

/// A missed wake-up on the incoming pollable costs the readiness-driven guest one
/// insurance tick of its back-off clock, nothing more.
#[test]
fn completes_through_a_missed_wake_up_on_the_incoming_pollable() -> Result<()> {
    let harness = echoing(plan("udp.incoming-pollable:first=1,ready=never"));
    repeat(&harness, &guest(&UDP_REQUEST), ARGS, |outcome| {
        ensure!(outcome.passed(), "{:?}", outcome.exit);
        ensure!(outcome.stats.faults_injected == 1, "{}", outcome.summary());
        Ok(())
    })
}

#[test]
fn a_real_closed_port_gives_the_real_connection_refused() -> Result<()> {
    let harness = harness(Plan::new());
    for _ in 0..wouldblock_tests::RUNS {
        let addr = closed_port()?.to_string();
        let outcome = harness.run(&guest(&UDP_REQUEST), &[addr.as_str()])?;
        // No injection, so no verdict: the guest's own failure after its four retries.
        ensure!(outcome.exit == Exit::Code(1), "{:?}", outcome.exit);
        let stderr = outcome.stderr_text();
        ensure!(stderr.matches("peer refused").count() == 4, "{stderr}");
        ensure!(stderr.contains("kind: ConnectionRefused"), "{stderr}");
        let refused = outcome
            .trace
            .events()
            .iter()
            .filter(|e| e.op == "receive" && e.result == "error(connection-refused)")
            .inspect(|e| assert!(e.fault.is_none()))
            .count();
        ensure!(refused == 5, "{}", outcome.trace.to_json_lines());
    }
    Ok(())
}
