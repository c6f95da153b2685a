//! `tcp-dns-client`: it finds the harness's echo server by the name `localhost`, which
//! the harness resolves itself (127.0.0.1, then ::1; no query leaves the machine), and gets
//! every echo under a slow resolver, one temporary failure, an answer with ::1 first, and
//! no fault.

use anyhow::{Result, ensure};
use wouldblock::Plan;
use wouldblock_guests::TCP_DNS_CLIENT;
use wouldblock_tests::{guest, harness, plan, repeat};

const ARGS: [&str; 5] = ["{tcp-echo}", "--name", "localhost", "--sizes", "1,1024"];

/// 100 runs of the client under `plan`, each echoed in full; `check` sees each trace.
fn echoed(plan: Plan, check: impl Fn(&wouldblock::Outcome) -> Result<()>) -> Result<()> {
    repeat(&harness(plan), &guest(&TCP_DNS_CLIENT), &ARGS, |outcome| {
        ensure!(
            outcome.passed(),
            "{:?}\n{}",
            outcome.exit,
            outcome.stderr_text()
        );
        ensure!(outcome.stdout_text().contains("echoed byte-exactly"));
        check(outcome)
    })
}

/// The results of the run's `resolve-next-address` calls, in order.
fn answers(outcome: &wouldblock::Outcome) -> Vec<String> {
    let events = outcome.trace.events().iter();
    let next = events.filter(|e| e.operation == Some(wouldblock::Op::DnsResolveNextAddress));
    next.map(|e| e.result.to_string()).collect()
}

#[test]
fn localhost_resolves_to_both_loopback_addresses_ipv4_first() -> Result<()> {
    echoed(Plan::new(), |outcome| {
        let answers = answers(outcome);
        ensure!(
            answers == ["ok(127.0.0.1)", "ok(::1)", "ok(none)"],
            "{answers:?}"
        );
        Ok(())
    })
}

/// Under `dns-slow` the first answer is `would-block`; the client waits on the lookup's
/// pollable (not ready for 3 checks) instead of failing or spinning.
#[test]
fn waits_out_a_slow_resolver() -> Result<()> {
    echoed(plan("dns-slow"), |outcome| {
        let answers = answers(outcome);
        ensure!(answers[0] == "error(would-block)", "{answers:?}");
        let waited = outcome.trace.events().iter().any(|e| {
            e.interface == "wasi:io/poll"
                && e.waits.iter().any(|id| id.kind == wouldblock::Kind::Lookup)
        });
        ensure!(waited, "{}", outcome.trace.to_json_lines());
        Ok(())
    })
}

/// One lookup fails with `temporary-resolver-failure` (EAI_AGAIN); the client backs off on
/// a clock and looks the name up again.
#[test]
fn asks_again_after_a_temporary_failure() -> Result<()> {
    let once = plan("dns.resolve:first=1,action=temporary-resolver-failure");
    echoed(once, |outcome| {
        let answers = answers(outcome);
        ensure!(
            answers[0] == "error(temporary-resolver-failure)" && answers[1] == "ok(127.0.0.1)",
            "{answers:?}"
        );
        Ok(())
    })
}

/// With ::1 first (nodejs/node#40702) the connect to [::1] is refused (the echo server
/// listens on 127.0.0.1 only) and the client tries the next address.
#[test]
fn tries_the_next_address_when_ipv6_comes_first() -> Result<()> {
    echoed(plan("dns.resolve:action=ipv6-first"), |outcome| {
        let answers = answers(outcome);
        ensure!(answers[..2] == ["ok(::1)", "ok(127.0.0.1)"], "{answers:?}");
        Ok(())
    })
}
