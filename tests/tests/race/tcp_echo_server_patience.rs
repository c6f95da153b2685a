//! `tcp-echo-server-patience`: the seed's patience counter (8 empty reads in a row
//! tolerated) is still a guess about timing. Its retries do not wait, so the next part of a
//! slow peer's request is not there for any of them: it closes with bytes in flight on
//! every run. On a fast loopback the request arrives whole and it passes, which is why the
//! "fix" was believed.

use anyhow::{Result, ensure};
use wouldblock::{Plan, Verdict};
use wouldblock_guests::TCP_ECHO_SERVER_PATIENCE;
use wouldblock_tests::{
    assert_deterministic, assert_echoed, assert_verdict, guest, plan, repeat, tcp_driving,
};

#[test]
fn closes_early_under_a_slow_peer() -> Result<()> {
    let harness = tcp_driving(plan("tcp-slow-peer"), &[1024], 1);
    let guest = guest(&TCP_ECHO_SERVER_PATIENCE);
    repeat(&harness, &guest, &["127.0.0.1:0"], |outcome| {
        let (reason, evidence) = assert_verdict(outcome, Verdict::Loss)?;
        ensure!(
            reason.contains("the guest closed after echoing"),
            "{reason}"
        );
        ensure!(evidence.contains("ok(0 bytes)"), "{evidence}");
        Ok(())
    })
}

#[test]
fn passes_on_a_fast_loopback() -> Result<()> {
    let harness = tcp_driving(Plan::new(), &[1024], 1);
    let guest = guest(&TCP_ECHO_SERVER_PATIENCE);
    repeat(&harness, &guest, &["127.0.0.1:0"], |outcome| {
        assert_echoed(outcome).map(drop)
    })
}

#[test]
fn takes_the_same_path_on_every_run() -> Result<()> {
    let harness = tcp_driving(plan("tcp-slow-peer"), &[1024], 1);
    let guest = guest(&TCP_ECHO_SERVER_PATIENCE);
    assert_deterministic(&harness, &guest, &["127.0.0.1:0"], "loss")
}
