//! `tcp-c-server`: the C server that takes only `recv() == 0` for the end and waits with
//! `poll()` on EWOULDBLOCK echoes every byte to the harness's client under every TCP
//! preset, as the Rust `tcp-echo-server` does.

use anyhow::{Result, ensure};
use wouldblock_guests::TCP_C_SERVER;
use wouldblock_tests::{
    assert_deterministic, assert_server_echoes, guest, plan, repeat, tcp_driving,
};

const SMALL: &[usize] = &[1, 1024];
const LARGE: &[usize] = &[65536, 1 << 20];

/// 100 runs of the server under `spec` with `connections` clients sending `sizes`.
fn echoes(spec: Option<&str>, sizes: &[usize], connections: usize) -> Result<()> {
    assert_server_echoes(&TCP_C_SERVER, spec, sizes, connections)
}

#[test]
fn echoes_small_messages_a_byte_at_a_time() -> Result<()> {
    echoes(Some("tcp-slow-peer"), SMALL, 1)
}

/// Connections are served one after another, the seed's architecture: the others wait
/// in the listener's backlog.
#[test]
fn echoes_small_messages_a_byte_at_a_time_on_four_connections() -> Result<()> {
    echoes(Some("tcp-slow-peer"), SMALL, 4)
}

#[test]
fn echoes_large_messages_in_slices() -> Result<()> {
    echoes(Some("tcp-slow-peer:slice=4096"), LARGE, 1)
}

#[test]
fn echoes_under_backpressure_and_no_fault() -> Result<()> {
    let up_to_64k = [1, 1024, 65536];
    echoes(Some("tcp-backpressure"), &up_to_64k, 1)?;
    echoes(None, &up_to_64k, 4)
}

/// wasi-libc reports a reset as EIO ("I/O error"), not ECONNRESET: the server names it
/// once and exits 1 by itself.
#[test]
fn reports_a_reset_once_and_exits_non_zero() -> Result<()> {
    let harness = tcp_driving(plan("tcp-reset"), SMALL, 1);
    repeat(
        &harness,
        &guest(&TCP_C_SERVER),
        &["127.0.0.1:0"],
        |outcome| {
            ensure!(outcome.exit_code() == 1, "{:?}", outcome.exit);
            ensure!(outcome.verdict().is_none(), "{:?}", outcome.exit);
            let stderr = outcome.stderr_text();
            let lines = stderr.lines().filter(|l| l.contains("recv: I/O error"));
            ensure!(lines.count() == 1, "{stderr}");
            Ok(())
        },
    )
}

#[test]
fn takes_the_same_path_on_every_run() -> Result<()> {
    let harness = tcp_driving(plan("tcp-slow-peer"), SMALL, 1);
    assert_deterministic(&harness, &guest(&TCP_C_SERVER), &["127.0.0.1:0"], "pass")
}
