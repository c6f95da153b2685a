//! Fixtures for wouldblock's race tests: a shared harness with the bundled guests compiled
//! once per test binary, a real UDP sink per run, and `assert_*` helpers in the style of
//! mio's `tests/util`.

#![deny(missing_docs)]

use anyhow::{Context, Result, ensure};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use wouldblock::guests::BundledGuest;
use wouldblock::{Builder, Guest, Harness, Outcome, Peer, Plan, Received, Sink, Trace, Verdict};

/// How many times each race test repeats itself in one run, to show it is not luck.
pub const RUNS: u32 = 100;

/// The engine every test in a binary shares, so each guest is compiled once.
fn base() -> &'static Harness {
    static BASE: OnceLock<Harness> = OnceLock::new();
    BASE.get_or_init(|| Builder::new().build().expect("the harness builds"))
}

/// A harness with `plan` on the shared engine.
pub fn harness(plan: Plan) -> Harness {
    base().with_plan(plan)
}

/// A loopback UDP address nobody listens on: a datagram sent there comes back as an
/// ICMP port-unreachable.
pub fn closed_port() -> Result<std::net::SocketAddr> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    Ok(socket.local_addr()?)
}

/// The plan of one `--fault` spec, e.g. `enobufs-writable` or `icmp-refused:sticky=true`.
pub fn plan(spec: &str) -> Plan {
    Plan::new().with_spec(spec).expect("a valid spec")
}

/// A harness with `plan` whose every run gets its own harness-owned UDP peer: the
/// address replaces `{sink}` in the arguments, and the end-of-run verdicts (loss) apply.
pub fn harness_with_peer(plan: Plan, echo: bool, expect_datagrams: Option<u64>) -> Harness {
    harness(plan).with_peer(Peer {
        echo,
        expect_datagrams,
    })
}

/// Runs a harness-with-peer [`RUNS`] times with `args` and calls `check` on each outcome.
pub fn repeat_outcomes(
    harness: &Harness,
    guest: &Guest,
    args: &[&str],
    check: impl FnMut(&Outcome) -> Result<()>,
) -> Result<()> {
    repeat_with(|| Ok(harness.run(guest, args)?), |outcome| outcome, check)
}

/// Makes and checks [`RUNS`] runs, naming the failing run and its guest's stderr.
fn repeat_with<R>(
    mut run: impl FnMut() -> Result<R>,
    outcome: impl Fn(&R) -> &Outcome,
    mut check: impl FnMut(&R) -> Result<()>,
) -> Result<()> {
    for i in 0..RUNS {
        let made = run()?;
        check(&made).with_context(|| {
            let outcome = outcome(&made);
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

/// The guest passed and the harness-owned peer got `0..n` exactly once.
pub fn assert_peer_got_exactly_once(outcome: &Outcome, n: u64) -> Result<()> {
    ensure!(outcome.passed(), "the guest failed: {:?}", outcome.exit);
    let received = outcome.received.as_ref().context("the run had no peer")?;
    ensure!(received.exactly_once(n), "{:?}", received.discrepancy(n));
    Ok(())
}

/// A bundled guest, compiled once per test binary.
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

/// One run against a fresh real UDP socket on 127.0.0.1.
pub struct SinkRun {
    /// What the guest did.
    pub outcome: Outcome,
    /// What the socket received.
    pub received: Received,
}

/// Runs `guest SINK_ADDR extra...` once against a fresh sink.
pub fn run_to_sink(harness: &Harness, guest: &Guest, extra: &[&str]) -> Result<SinkRun> {
    let sink = Sink::start().context("starting the sink")?;
    let mut args = vec![sink.addr().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    let outcome = harness.run(guest, &args)?;
    let received = sink.finish().context("stopping the sink")?;
    Ok(SinkRun { outcome, received })
}

/// Runs it [`RUNS`] times against a fresh sink each time and calls `check` on each run.
pub fn repeat(
    harness: &Harness,
    guest: &Guest,
    extra: &[&str],
    check: impl FnMut(&SinkRun) -> Result<()>,
) -> Result<()> {
    repeat_with(
        || run_to_sink(harness, guest, extra),
        |run| &run.outcome,
        check,
    )
}

/// The guest ended with status 0 and every numbered datagram `0..n` reached the socket
/// exactly once.
pub fn assert_delivered_exactly_once(run: &SinkRun, n: u64) -> Result<()> {
    ensure!(
        run.outcome.passed(),
        "the guest failed: {:?}",
        run.outcome.exit
    );
    ensure!(
        run.received.exactly_once(n),
        "not exactly once: missing {:?}, duplicated {:?}, invalid {}",
        run.received.missing(n),
        run.received.duplicated(),
        run.received.invalid
    );
    Ok(())
}

/// The guest failed by itself (exit 1, not a harness verdict) and said WouldBlock.
pub fn assert_would_block(outcome: &Outcome) -> Result<()> {
    ensure!(
        outcome.exit == wouldblock::Exit::Code(1),
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

/// The harness stopped the guest with `verdict`.
pub fn assert_verdict(outcome: &Outcome, verdict: Verdict) -> Result<()> {
    ensure!(
        outcome.verdict() == Some(verdict),
        "expected verdict {verdict}, got {:?}",
        outcome.exit
    );
    Ok(())
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
