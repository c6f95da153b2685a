//! `tcp-dns-client-naive`: it asks for one address at once and trusts it, so a slow
//! resolver fails it cleanly (exit 1 naming `would-block`), one temporary failure is
//! `unusable-after-error`, and an answer with ::1 first has it connect where nobody
//! listens; with no fault it passes.

use anyhow::{Result, ensure};
use wouldblock::{Exit, Plan, Verdict};
use wouldblock_guests::TCP_DNS_CLIENT_NAIVE;
use wouldblock_tests::{assert_verdict, guest, harness, plan, repeat};

const ARGS: [&str; 5] = ["{tcp-echo}", "--name", "localhost", "--sizes", "1,1024"];

fn runs(plan: Plan, check: impl Fn(&wouldblock::Outcome) -> Result<()>) -> Result<()> {
    repeat(&harness(plan), &guest(&TCP_DNS_CLIENT_NAIVE), &ARGS, check)
}

#[test]
fn passes_with_a_resolver_that_answers_at_once() -> Result<()> {
    runs(Plan::new(), |outcome| {
        ensure!(outcome.passed(), "{}", outcome.stderr_text());
        Ok(())
    })
}

#[test]
fn takes_a_slow_resolver_for_a_failed_lookup() -> Result<()> {
    runs(plan("dns-slow"), |outcome| {
        ensure!(outcome.exit == Exit::Code(1), "{:?}", outcome.exit);
        let stderr = outcome.stderr_text();
        ensure!(
            stderr.contains("lookup of localhost: wasi error-code would-block"),
            "{stderr}"
        );
        Ok(())
    })
}

#[test]
fn gives_up_after_one_temporary_failure() -> Result<()> {
    let once = plan("dns.resolve:first=1,action=temporary-resolver-failure");
    runs(once, |outcome| {
        let (reason, _) = assert_verdict(outcome, Verdict::UnusableAfterError)?;
        ensure!(reason.contains("temporary-resolver-failure"), "{reason}");
        Ok(())
    })
}

/// A permanent error is no transient one: giving up on it is right, so the guest's own
/// exit 1 stands, never `unusable-after-error` (issue 31, item 4).
#[test]
fn gives_up_cleanly_on_a_permanent_error() -> Result<()> {
    for spec in [
        "dns.resolve:first=1,action=name-unresolvable",
        "dns.resolve:first=1,action=permanent-resolver-failure",
        "dns.resolve:first=1,action=invalid-argument",
        "tcp.connect:first=1,action=connection-refused",
        "tcp.connect:first=1,action=timeout",
        "tcp.create-socket:first=1,action=access-denied",
    ] {
        runs(plan(spec), |outcome| {
            ensure!(outcome.exit == Exit::Code(1), "{spec}: {:?}", outcome.exit);
            ensure!(
                outcome.verdict().is_none(),
                "{spec}: {:?}",
                outcome.verdict()
            );
            Ok(())
        })?;
    }
    Ok(())
}

#[test]
fn connects_to_the_first_address_only() -> Result<()> {
    runs(plan("dns.resolve:action=ipv6-first"), |outcome| {
        ensure!(outcome.exit == Exit::Code(1), "{:?}", outcome.exit);
        let stderr = outcome.stderr_text();
        ensure!(stderr.contains("connect [::1]:"), "{stderr}");
        ensure!(stderr.contains("connection-refused"), "{stderr}");
        Ok(())
    })
}

/// With no plan, explore finds all three at the lookup's sites; the correct client has no
/// finding there.
#[test]
fn explore_finds_every_lookup_bug_and_none_in_the_correct_client() -> Result<()> {
    use wouldblock::explore::{self, ExploreOptions};
    use wouldblock_guests::TCP_DNS_CLIENT;
    let dns_findings = |program| -> Result<Vec<String>> {
        let harness = harness(Plan::new());
        let report = explore::explore(&harness, &guest(program), &ARGS, ExploreOptions::new())?;
        let at_dns = report
            .findings
            .iter()
            .filter(|f| f.site.starts_with("dns."));
        Ok(at_dns
            .map(|f| format!("{} at {}: {}", f.verdict, f.site, f.fault))
            .collect())
    };
    let naive = dns_findings(&TCP_DNS_CLIENT_NAIVE)?;
    for expected in [
        "fail (exit 1) at dns.resolve call 1: ipv6-first",
        "unusable-after-error at dns.resolve call 1: error(temporary-resolver-failure)",
        "fail (exit 1) at dns.resolve-next-address call 1: error(would-block), then not-ready",
    ] {
        ensure!(
            naive.iter().any(|f| f.starts_with(expected)),
            "{expected}: {naive:#?}"
        );
    }
    let correct = dns_findings(&TCP_DNS_CLIENT)?;
    ensure!(correct.is_empty(), "{correct:#?}");
    Ok(())
}
