//! Fixtures for wouldblock's race tests: a shared harness with the bundled guests compiled
//! once, the harness's own peer for every run (its address replaces `{peer}`), a repeat
//! loop and `assert_*` helpers in the style of mio's `tests/util`.

#![deny(missing_docs)]

use anyhow::{Context, Result, ensure};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use wouldblock::{
    Builder, Exit, Guest, Harness, Outcome, PeerOptions, Plan, Repeat, TcpClientOptions, Trace,
    Verdict,
};
use wouldblock_guests::BundledGuest;

/// How many times each race test repeats itself in one run, to show it is not luck.
pub const RUNS: u32 = 100;

/// The engine every test shares, so each guest is compiled once.
fn base() -> &'static Harness {
    static BASE: OnceLock<Harness> = OnceLock::new();
    // wasmtime's disk cache: a warm run loads each guest in about a millisecond instead of
    // compiling it again (keyed by the module and the engine settings, so never stale).
    BASE.get_or_init(|| {
        Builder::new()
            .cache(true)
            .build()
            .expect("the harness builds")
    })
}

/// The plan of one `--fault` spec, e.g. `enobufs-writable` or `icmp-refused:sticky=true`.
pub fn plan(spec: &str) -> Plan {
    Plan::new().with_spec(spec).expect("a valid spec")
}

/// A harness with `plan` on the shared engine and no peer.
pub fn harness(plan: Plan) -> Harness {
    base().with_plan(plan)
}

/// A harness with `plan` whose every run gets a fresh harness-owned peer that counts what
/// arrives; with `expect = Some(n)` a guest that exits 0 without delivering `0..n`
/// exactly once gets the `loss` verdict.
pub fn counting(plan: Plan, expect: Option<u64>) -> Harness {
    let peer = PeerOptions::counting();
    harness(plan).with_peer(match expect {
        Some(n) => peer.expect_datagrams(n),
        None => peer,
    })
}

/// A harness with `plan` whose every run gets a fresh harness-owned echo peer.
pub fn echoing(plan: Plan) -> Harness {
    harness(plan).with_peer(PeerOptions::echo())
}

/// A loopback UDP address nobody listens on: a datagram sent there comes back as an
/// ICMP port-unreachable.
pub fn closed_port() -> Result<std::net::SocketAddr> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    Ok(socket.local_addr()?)
}

/// A bundled guest, compiled once.
pub fn guest(bundled: &BundledGuest) -> Guest {
    static GUESTS: OnceLock<Mutex<BTreeMap<&'static str, Guest>>> = OnceLock::new();
    let mut guests = GUESTS
        .get_or_init(Default::default)
        .lock()
        .expect("not poisoned");
    guests
        .entry(bundled.name)
        .or_insert_with(|| {
            base()
                .compile(bundled.name, bundled.wasm)
                .expect("bundled guests compile")
        })
        .clone()
}

/// Runs `guest args...` [`RUNS`] times and calls `check` on each outcome, naming the
/// failing run and its guest's stderr.
pub fn repeat(
    harness: &Harness,
    guest: &Guest,
    args: &[&str],
    mut check: impl FnMut(&Outcome) -> Result<()>,
) -> Result<()> {
    for i in 0..RUNS {
        let outcome = harness.run(guest, args)?;
        check(&outcome).with_context(|| {
            format!(
                "run {} of {RUNS}; guest stderr:\n{}\n{}",
                i + 1,
                outcome.stderr_text(),
                outcome.summary()
            )
        })?;
    }
    Ok(())
}

/// The guest passed and the harness's peer got `0..n` exactly once.
pub fn assert_delivered_exactly_once(outcome: &Outcome, n: u64) -> Result<()> {
    ensure!(outcome.passed(), "the guest failed: {:?}", outcome.exit);
    let received = outcome.received.as_ref().context("the run had no peer")?;
    ensure!(received.exactly_once(n), "{:?}", received.discrepancy(n));
    Ok(())
}

/// The harness's peer got nothing at all.
pub fn assert_nothing_arrived(outcome: &Outcome) -> Result<()> {
    let received = outcome.received.as_ref().context("the run had no peer")?;
    ensure!(received.total() == 0, "a datagram arrived: {received:?}");
    Ok(())
}

/// The guest failed by itself (exit 1, not a harness verdict) and said WouldBlock.
pub fn assert_would_block(outcome: &Outcome) -> Result<()> {
    ensure!(
        outcome.exit == Exit::Code(1),
        "expected guest exit 1, got {:?}",
        outcome.exit
    );
    let stderr = outcome.stderr_text();
    ensure!(
        stderr.contains("WouldBlock"),
        "stderr does not name WouldBlock: {stderr}"
    );
    Ok(())
}

/// The harness stopped the guest with `verdict`; returns the reason and the evidence.
pub fn assert_verdict(outcome: &Outcome, verdict: Verdict) -> Result<(&str, &str)> {
    match &outcome.exit {
        Exit::Stopped(stop) if stop.verdict == verdict => {
            Ok((stop.reason.as_str(), stop.evidence.as_str()))
        }
        other => anyhow::bail!("expected verdict {verdict}, got {other:?}"),
    }
}

/// Two traces are the same once ephemeral ports are normalised.
pub fn assert_same_trace(a: &Trace, b: &Trace) -> Result<()> {
    let (a, b) = (a.normalized(), b.normalized());
    ensure!(
        a == b,
        "traces differ:\n--- first\n{}--- second\n{}",
        a.to_json_lines(),
        b.to_json_lines()
    );
    Ok(())
}

/// A harness with `plan` whose client drives a guest TCP server: `connections` at once,
/// each sending one framed message of every size and checking the echo byte for byte.
pub fn tcp_driving(plan: Plan, sizes: &[usize], connections: usize) -> Harness {
    let client = TcpClientOptions::new(sizes.to_vec()).connections(connections);
    harness(plan).with_tcp_client(client)
}

/// The guest passed and the harness's TCP client got every byte back, in order; returns
/// the bytes checked.
pub fn assert_echoed(outcome: &Outcome) -> Result<u64> {
    ensure!(outcome.passed(), "the guest failed: {:?}", outcome.exit);
    let report = outcome.tcp.as_ref().context("the run had no TCP client")?;
    ensure!(report.complete(), "{}", report.summary());
    Ok(report.connections.iter().map(|c| c.bytes_checked).sum())
}

/// The guest reported a connection reset once (one line naming it) and exited 1 by
/// itself: no verdict, no panic, no hang.
pub fn assert_reset_reported_once(outcome: &Outcome) -> Result<()> {
    ensure!(
        outcome.exit == Exit::Code(1),
        "expected guest exit 1, got {:?}",
        outcome.exit
    );
    let stderr = outcome.stderr_text();
    let lines = stderr.lines().filter(|l| l.contains("ConnectionReset"));
    ensure!(
        lines.count() == 1,
        "the reset is not reported once: {stderr}"
    );
    Ok(())
}

/// [`RUNS`] runs of `guest args...` give the same normalised trace, and all end as
/// `ending` (`pass`, or a verdict's name).
pub fn assert_deterministic(
    harness: &Harness,
    guest: &Guest,
    args: &[&str],
    ending: &str,
) -> Result<()> {
    let repeat = Repeat::run(harness, guest, args, u64::from(RUNS), 2, |_| {})?;
    ensure!(
        repeat.differing == 0,
        "{} of {RUNS} runs took another path: {:?}",
        repeat.differing,
        repeat.nondeterministic
    );
    let all = repeat.endings.get(ending).copied().unwrap_or(0);
    ensure!(all == u64::from(RUNS), "endings: {:?}", repeat.endings);
    Ok(())
}

/// A builder for tests that need settings of their own, with wasmtime's disk cache (warm
/// runs load each guest instead of compiling it).
pub fn builder() -> Builder {
    Builder::new().cache(true)
}

/// 100 runs of the TCP server `program` under `spec` (none: no fault), driven by the
/// harness's client on `connections` connections sending one message of each of `sizes`;
/// each run must echo every byte (framing included) back.
pub fn assert_server_echoes(
    program: &BundledGuest,
    spec: Option<&str>,
    sizes: &[usize],
    connections: usize,
) -> Result<()> {
    let plan = spec.map_or_else(Plan::new, plan);
    let harness = tcp_driving(plan, sizes, connections);
    let n = connections.to_string();
    let args = ["127.0.0.1:0", "--connections", &n];
    let frames: u64 = sizes.iter().map(|s| *s as u64 + 4).sum();
    repeat(&harness, &guest(program), &args, |outcome| {
        let checked = assert_echoed(outcome)?;
        ensure!(
            checked == frames * connections as u64,
            "{checked} bytes checked"
        );
        Ok(())
    })
}

/// 100 runs of the TCP server `program` with no fault, the harness's client sending one
/// message of each of `sizes`: every byte echoed. A naive server passes here, on a fast
/// loopback, which is why its bug shipped.
pub fn assert_passes_on_a_fast_loopback(program: &BundledGuest, sizes: &[usize]) -> Result<()> {
    let harness = tcp_driving(Plan::new(), sizes, 1);
    repeat(&harness, &guest(program), &["127.0.0.1:0"], |outcome| {
        assert_echoed(outcome).map(drop)
    })
}

/// The TCP server `program` under `tcp-slow-peer` (1 B + 1 KiB) takes the same path on
/// every run and ends in `ending`.
pub fn assert_same_path_under_a_slow_peer(program: &BundledGuest, ending: &str) -> Result<()> {
    let harness = tcp_driving(plan("tcp-slow-peer"), &[1, 1024], 1);
    assert_deterministic(&harness, &guest(program), &["127.0.0.1:0"], ending)
}

/// 100 runs of the echo client `program` under `spec` (none: no fault) sending one message
/// of each of `sizes` (comma-separated) to the harness peer `placeholder` (`{tcp-echo}`,
/// `{http-echo}`): each run must pass, having had every message echoed byte-exactly.
pub fn assert_client_echoes(
    program: &BundledGuest,
    placeholder: &str,
    spec: Option<&str>,
    sizes: &str,
) -> Result<()> {
    let harness = harness(spec.map_or_else(Plan::new, plan));
    let args = [placeholder, "--sizes", sizes];
    let said = format!("{} message(s)", sizes.split(',').count());
    repeat(&harness, &guest(program), &args, |outcome| {
        ensure!(outcome.passed(), "{:?}", outcome.exit);
        ensure!(outcome.stdout_text().contains(&said));
        ensure!(outcome.stdout_text().contains("echoed byte-exactly"));
        Ok(())
    })
}
