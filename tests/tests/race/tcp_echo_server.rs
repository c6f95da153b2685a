//! `tcp-echo-server`: readiness-driven, framed, closing only on `closed`, it echoes every
//! byte to the harness's client under every TCP preset, on one and on four connections.

use anyhow::Result;
use wouldblock_guests::TCP_ECHO_SERVER;
use wouldblock_tests::{
    assert_deterministic, assert_reset_reported_once, assert_server_echoes, guest, plan, repeat,
    tcp_driving,
};

const SMALL: &[usize] = &[1, 1024];
const LARGE: &[usize] = &[65536, 1 << 20];

/// 100 runs of the server under `spec` with `connections` clients sending `sizes`.
fn echoes(spec: Option<&str>, sizes: &[usize], connections: usize) -> Result<()> {
    assert_server_echoes(&TCP_ECHO_SERVER, spec, sizes, connections)
}

/// One connection is `takes_the_same_path_on_every_run`, which also checks every echo.
#[test]
fn echoes_small_messages_a_byte_at_a_time() -> Result<()> {
    echoes(Some("tcp-slow-peer"), SMALL, 4)
}

/// A byte a read would be two million host calls for 1 MiB: 4 KiB slices keep the
/// fragmentation and the empty reads between them.
#[test]
fn echoes_large_messages_in_slices() -> Result<()> {
    echoes(Some("tcp-slow-peer:slice=4096"), LARGE, 1)
}

#[test]
fn echoes_large_messages_in_slices_on_four_connections() -> Result<()> {
    echoes(Some("tcp-slow-peer:slice=4096"), LARGE, 4)
}

#[test]
fn echoes_under_backpressure_a_pending_connect_and_no_fault() -> Result<()> {
    // Back-pressure acts on every permit, not on message size: 64 KiB already takes 64
    // short permits (1 MiB on four connections is `echoes_large_messages_in_slices`).
    let up_to_64k = [1, 1024, 65536];
    echoes(Some("tcp-backpressure"), &up_to_64k, 1)?;
    echoes(Some("tcp-connect-pending"), &up_to_64k, 1)?;
    echoes(None, &up_to_64k, 4)
}

#[test]
fn reports_a_reset_once_and_exits_non_zero() -> Result<()> {
    let harness = tcp_driving(plan("tcp-reset"), SMALL, 1);
    repeat(
        &harness,
        &guest(&TCP_ECHO_SERVER),
        &["127.0.0.1:0"],
        assert_reset_reported_once,
    )
}

#[test]
fn takes_the_same_path_on_every_run() -> Result<()> {
    let harness = tcp_driving(plan("tcp-slow-peer"), SMALL, 1);
    // `pass` includes the client's check: every byte echoed, nothing reordered.
    assert_deterministic(&harness, &guest(&TCP_ECHO_SERVER), &["127.0.0.1:0"], "pass")
}
