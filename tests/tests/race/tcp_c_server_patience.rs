//! `tcp-c-server-patience`: the seed author's fix, a patience counter (8 EWOULDBLOCKs in a
//! row, retried at once, are the end), is still a guess about timing: under a slow peer
//! the empty read stands until the server waits, which it never does, so it closes after
//! one byte on every run, as the naive one does.

use anyhow::{Result, ensure};
use wouldblock::Verdict;
use wouldblock_guests::TCP_C_SERVER_PATIENCE;
use wouldblock_tests::{
    assert_passes_on_a_fast_loopback, assert_same_path_under_a_slow_peer, assert_verdict, guest,
    plan, repeat, tcp_driving,
};

#[test]
fn closes_early_under_a_slow_peer_after_its_patience_runs_out() -> Result<()> {
    let harness = tcp_driving(plan("tcp-slow-peer"), &[1, 1024], 1);
    repeat(
        &harness,
        &guest(&TCP_C_SERVER_PATIENCE),
        &["127.0.0.1:0"],
        |outcome| {
            let (reason, evidence) = assert_verdict(outcome, Verdict::Loss)?;
            ensure!(
                reason.contains("the guest closed after echoing 1 of 1033 bytes"),
                "{reason}"
            );
            ensure!(
                evidence.contains("held until the guest waits"),
                "{evidence}"
            );
            // One slice, then PATIENCE (8) empty reads in a row.
            ensure!(outcome.stats.faults_injected == 9, "{}", outcome.summary());
            Ok(())
        },
    )
}

/// On a fast loopback a one-byte message arrives whole before the first recv(): the bug
/// stays hidden, which is why it shipped.
#[test]
fn passes_on_a_fast_loopback_with_one_small_message() -> Result<()> {
    assert_passes_on_a_fast_loopback(&TCP_C_SERVER_PATIENCE, &[1])
}

#[test]
fn takes_the_same_path_on_every_run() -> Result<()> {
    assert_same_path_under_a_slow_peer(&TCP_C_SERVER_PATIENCE, "loss")
}
