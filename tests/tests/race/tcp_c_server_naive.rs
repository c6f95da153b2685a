//! `tcp-c-server-naive`: the seed's C server as its author wrote it takes recv()'s
//! EWOULDBLOCK for the end of the request, so under a slow peer it echoes one byte and
//! closes on every run; on a fast loopback it passes, which is why it shipped.

use anyhow::{Result, ensure};
use wouldblock::Verdict;
use wouldblock_guests::TCP_C_SERVER_NAIVE;
use wouldblock_tests::{
    assert_passes_on_a_fast_loopback, assert_same_path_under_a_slow_peer, assert_verdict, guest,
    plan, repeat, tcp_driving,
};

#[test]
fn closes_early_under_a_slow_peer() -> Result<()> {
    let harness = tcp_driving(plan("tcp-slow-peer"), &[1, 1024], 1);
    repeat(
        &harness,
        &guest(&TCP_C_SERVER_NAIVE),
        &["127.0.0.1:0"],
        |outcome| {
            let (reason, evidence) = assert_verdict(outcome, Verdict::Loss)?;
            ensure!(
                reason.contains("the guest closed after echoing 1 of 1033 bytes"),
                "{reason}"
            );
            ensure!(evidence.contains("ok(0 bytes)"), "{evidence}");
            // One slice, one empty read taken for the end.
            ensure!(outcome.stats.faults_injected == 2, "{}", outcome.summary());
            Ok(())
        },
    )
}

/// On a fast loopback a one-byte message arrives whole before the first recv(): the bug
/// stays hidden, which is why it shipped.
#[test]
fn passes_on_a_fast_loopback_with_one_small_message() -> Result<()> {
    assert_passes_on_a_fast_loopback(&TCP_C_SERVER_NAIVE, &[1])
}

#[test]
fn takes_the_same_path_on_every_run() -> Result<()> {
    assert_same_path_under_a_slow_peer(&TCP_C_SERVER_NAIVE, "loss")
}
