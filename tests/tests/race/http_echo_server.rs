//! `http-echo-server`: a wasi:http/proxy component on wstd's `http_server`, served by the
//! harness's HTTP client; every response body is its request's, byte for byte, under the
//! body presets.

use anyhow::{Result, ensure};
use wouldblock::{Plan, Verdict};
use wouldblock_guests::HTTP_ECHO_SERVER;
use wouldblock_tests::{assert_deterministic, assert_verdict, guest, harness, plan, repeat};

/// 100 runs serving one request of each of `sizes` under `spec`.
fn served(spec: Option<&str>, sizes: &[usize]) -> Result<()> {
    let harness = harness(spec.map_or_else(Plan::new, plan)).with_http_client(sizes.to_vec());
    let none: [&str; 0] = [];
    repeat(&harness, &guest(&HTTP_ECHO_SERVER), &none, |outcome| {
        ensure!(outcome.passed(), "{:?}", outcome.exit);
        Ok(())
    })
}

#[test]
fn echoes_every_body_with_no_fault_and_under_a_slow_body() -> Result<()> {
    served(None, &[0, 1, 1024, 65536, 1048576])?;
    served(Some("http-slow-body"), &[1, 1024])?;
    served(Some("http-slow-body:slice=4096"), &[65536])
}

#[test]
fn echoes_every_body_under_body_backpressure() -> Result<()> {
    served(Some("http-body-backpressure"), &[1, 1024, 65536])
}

#[test]
fn a_reset_mid_body_is_no_echo_and_the_client_says_so() -> Result<()> {
    let harness = harness(plan("http-reset-mid-body")).with_http_client(vec![1024]);
    let none: [&str; 0] = [];
    repeat(&harness, &guest(&HTTP_ECHO_SERVER), &none, |outcome| {
        // wstd answers the failed read with an error response: not an echo.
        let (reason, _) = assert_verdict(outcome, Verdict::Loss)?;
        ensure!(reason.contains("0 of 1 response(s)"), "{reason}");
        Ok(())
    })
}

#[test]
fn a_proxy_component_is_not_run_without_the_http_client() -> Result<()> {
    let none: [&str; 0] = [];
    // wstd's servers keep a `main` that must never run: the harness refuses before it
    // would (it panicked, with no hint of --http-client), as its own error.
    let refused = harness(Plan::new())
        .run(&guest(&HTTP_ECHO_SERVER), &none)
        .unwrap_err();
    ensure!(
        matches!(
            refused,
            wouldblock::Error::Invalid {
                setting: "http-client",
                ..
            }
        ),
        "{refused}"
    );
    Ok(())
}

#[test]
fn takes_the_same_path_on_every_run_under_a_slow_body() -> Result<()> {
    let harness = harness(plan("http-slow-body")).with_http_client(vec![1, 1024]);
    let none: [&str; 0] = [];
    assert_deterministic(&harness, &guest(&HTTP_ECHO_SERVER), &none, "pass")
}

#[test]
fn a_hang_inside_the_handler_ends_the_run_at_once() -> Result<()> {
    // A missed wake-up (a host bug) on the request body: the handler's wait can never end,
    // and its response never comes; the run ends as `hang`, not at the time limit.
    let spec = "http.body-read:first=1,action=ok-zero,ready=never";
    let harness = harness(plan(spec)).with_http_client(vec![1024]);
    let none: [&str; 0] = [];
    repeat(&harness, &guest(&HTTP_ECHO_SERVER), &none, |outcome| {
        assert_verdict(outcome, Verdict::Hang).map(drop)
    })
}
