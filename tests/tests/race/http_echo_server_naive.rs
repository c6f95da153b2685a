//! `http-echo-server-naive`: it takes the first empty read of a request body for its end,
//! so under a slow body it echoes one byte and the harness's HTTP client calls it `loss`.

use anyhow::{Result, ensure};
use wouldblock::{Plan, Verdict};
use wouldblock_guests::HTTP_ECHO_SERVER_NAIVE;
use wouldblock_tests::{assert_deterministic, assert_verdict, guest, harness, plan, repeat};

#[test]
fn echoes_short_under_a_slow_body() -> Result<()> {
    let harness = harness(plan("http-slow-body")).with_http_client(vec![1024]);
    let none: [&str; 0] = [];
    repeat(
        &harness,
        &guest(&HTTP_ECHO_SERVER_NAIVE),
        &none,
        |outcome| {
            let (reason, _) = assert_verdict(outcome, Verdict::Loss)?;
            ensure!(
                reason.contains("echo short: 1 of 1024 bytes back"),
                "{reason}"
            );
            Ok(())
        },
    )
}

#[test]
fn echoes_every_body_when_no_read_comes_back_empty() -> Result<()> {
    let harness = harness(Plan::new()).with_http_client(vec![1, 1024, 65536]);
    let none: [&str; 0] = [];
    repeat(
        &harness,
        &guest(&HTTP_ECHO_SERVER_NAIVE),
        &none,
        |outcome| {
            ensure!(outcome.passed(), "{:?}", outcome.exit);
            Ok(())
        },
    )
}

#[test]
fn takes_the_same_path_on_every_run_under_a_slow_body() -> Result<()> {
    let harness = harness(plan("http-slow-body")).with_http_client(vec![1024]);
    let none: [&str; 0] = [];
    assert_deterministic(&harness, &guest(&HTTP_ECHO_SERVER_NAIVE), &none, "loss")
}
