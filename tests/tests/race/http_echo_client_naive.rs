//! `http-echo-client-naive`: it takes the first empty read of a response body for its
//! end, so when a body's next frame is late it reports the echo short on every run.

use anyhow::{Result, ensure};
use wouldblock::Exit;
use wouldblock_guests::HTTP_ECHO_CLIENT_NAIVE;
use wouldblock_tests::{guest, harness, plan, repeat};

/// 100 runs under `spec`: each reports its first echo short and exits 1 by itself.
fn short(spec: &str) -> Result<()> {
    let harness = harness(plan(spec));
    let args = ["{http-echo}", "--sizes", "1024"];
    repeat(
        &harness,
        &guest(&HTTP_ECHO_CLIENT_NAIVE),
        &args,
        |outcome| {
            ensure!(outcome.exit == Exit::Code(1), "{:?}", outcome.exit);
            let stderr = outcome.stderr_text();
            ensure!(stderr.contains("echo short: request 0"), "{stderr}");
            Ok(())
        },
    )
}

#[test]
fn takes_an_empty_body_read_for_the_end_under_a_slow_body() -> Result<()> {
    short("http-slow-body")?;
    short("http-slow-body:slice=512")?;
    short("http.body-read:first=1,action=ok-zero")
}

#[test]
fn passes_when_no_read_comes_back_empty() -> Result<()> {
    // Its bug needs an empty read: a slow response head or back-pressure on the request
    // body does not show it (it writes with blocking writes).
    for spec in ["http-slow-response", "http-body-backpressure"] {
        let harness = harness(plan(spec));
        let args = ["{http-echo}", "--sizes", "1,1024"];
        repeat(
            &harness,
            &guest(&HTTP_ECHO_CLIENT_NAIVE),
            &args,
            |outcome| {
                ensure!(outcome.passed(), "{spec}: {:?}", outcome.exit);
                Ok(())
            },
        )?;
    }
    Ok(())
}
