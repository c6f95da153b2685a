//! `http-echo-client`: on wstd's HTTP client, every request body comes back byte-exactly
//! from the harness's HTTP echo peer under every wasi:http preset, and a request beyond
//! loopback is refused by the address policy before anything is sent.

use anyhow::{Result, ensure};
use wouldblock::{Exit, Plan};
use wouldblock_guests::HTTP_ECHO_CLIENT;
use wouldblock_tests::{assert_client_echoes, assert_deterministic, guest, harness, plan, repeat};

/// 100 runs of the client under `spec` posting bodies of `sizes` to `{http-echo}`.
fn echoed(spec: Option<&str>, sizes: &str) -> Result<()> {
    assert_client_echoes(&HTTP_ECHO_CLIENT, "{http-echo}", spec, sizes)
}

#[test]
fn gets_every_echo_with_no_fault() -> Result<()> {
    echoed(None, "0,1,1024,65536,1048576")
}

#[test]
fn gets_every_echo_under_a_slow_response_and_a_slow_body() -> Result<()> {
    echoed(Some("http-slow-response"), "1,1024")?;
    echoed(Some("http-slow-response:n=4,k=5"), "1,1024")?;
    echoed(Some("http-slow-body"), "1,1024")?;
    echoed(Some("http-slow-body:slice=4096"), "1,65536,1048576")
}

#[test]
fn gets_every_echo_under_body_backpressure() -> Result<()> {
    echoed(Some("http-body-backpressure"), "1,1024,65536")?;
    echoed(Some("http-body-backpressure:short-permit=1"), "1,1024")
}

#[test]
fn reports_a_reset_mid_body_once_and_exits_non_zero() -> Result<()> {
    let harness = harness(plan("http-reset-mid-body"));
    let args = ["{http-echo}", "--sizes", "1024"];
    repeat(&harness, &guest(&HTTP_ECHO_CLIENT), &args, |outcome| {
        ensure!(outcome.exit == Exit::Code(1), "{:?}", outcome.exit);
        let stderr = outcome.stderr_text();
        let errors = stderr.lines().filter(|l| l.starts_with("error:")).count();
        ensure!(errors == 1, "the reset is not reported once: {stderr}");
        ensure!(stderr.contains("reading the body"), "{stderr}");
        Ok(())
    })
}

#[test]
fn a_request_beyond_loopback_is_refused_by_the_policy() -> Result<()> {
    // 192.0.2.0/24 is TEST-NET-1: the policy refuses it before any connect.
    let args = ["http://192.0.2.1:80/", "--sizes", "1"];
    let outcome = harness(Plan::new()).run(&guest(&HTTP_ECHO_CLIENT), &args)?;
    ensure!(outcome.exit == Exit::Code(1), "{:?}", outcome.exit);
    let stderr = outcome.stderr_text();
    ensure!(stderr.contains("DestinationIpProhibited"), "{stderr}");
    Ok(())
}

#[test]
fn takes_the_same_path_on_every_run_under_a_slow_body() -> Result<()> {
    let harness = harness(plan("http-slow-body"));
    let args = ["{http-echo}", "--sizes", "1,1024"];
    assert_deterministic(&harness, &guest(&HTTP_ECHO_CLIENT), &args, "pass")
}
