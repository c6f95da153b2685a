//! `tcp-echo-client`: framed, waiting on pollables and respecting permits, it gets every
//! message back byte-exactly from the harness's echo server under every TCP preset.

use anyhow::Result;
use wouldblock_guests::TCP_ECHO_CLIENT;
use wouldblock_tests::{
    assert_client_echoes, assert_reset_reported_once, guest, harness, plan, repeat,
};

const ALL: &str = "1,1024,65536,1048576";
/// Back-pressure and pending connects act on every permit and connect, not on message
/// size: 64 KiB already takes 64 short permits.
const UP_TO_64K: &str = "1,1024,65536";

/// 100 runs of the client under `spec` sending `sizes` to `{tcp-echo}`.
fn echoed(spec: Option<&str>, sizes: &str) -> Result<()> {
    assert_client_echoes(&TCP_ECHO_CLIENT, "{tcp-echo}", spec, sizes)
}

#[test]
fn gets_every_echo_under_a_slow_peer() -> Result<()> {
    echoed(Some("tcp-slow-peer"), "1,1024")?;
    echoed(Some("tcp-slow-peer:slice=4096"), ALL)
}

#[test]
fn gets_every_echo_under_backpressure_a_pending_connect_and_no_fault() -> Result<()> {
    echoed(Some("tcp-backpressure"), UP_TO_64K)?;
    echoed(Some("tcp-connect-pending"), UP_TO_64K)?;
    echoed(None, ALL)
}

#[test]
fn reports_a_reset_once_and_exits_non_zero() -> Result<()> {
    let harness = harness(plan("tcp-reset"));
    let args = ["{tcp-echo}", "--sizes", "1,1024"];
    repeat(&harness, &guest(&TCP_ECHO_CLIENT), &args, |outcome| {
        assert_reset_reported_once(outcome)
    })
}
