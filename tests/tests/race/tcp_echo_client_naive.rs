//! `tcp-echo-client-naive`: it takes an empty read for the end of the echo, so under a
//! slow peer it reports the echo short on every run.

use anyhow::{Result, ensure};
use wouldblock::Exit;
use wouldblock_guests::TCP_ECHO_CLIENT_NAIVE;
use wouldblock_tests::{guest, harness, plan, repeat};

#[test]
fn takes_an_empty_read_for_the_end_under_a_slow_peer() -> Result<()> {
    let harness = harness(plan("tcp-slow-peer"));
    let args = ["{tcp-echo}", "--sizes", "1024"];
    repeat(&harness, &guest(&TCP_ECHO_CLIENT_NAIVE), &args, |outcome| {
        ensure!(outcome.exit == Exit::Code(1), "{:?}", outcome.exit);
        ensure!(outcome.stderr_text().contains("echo short"));
        Ok(())
    })
}
