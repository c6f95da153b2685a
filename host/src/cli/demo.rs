//! `wouldblock demo`: the bundled guests under every first-send form and every preset of
//! the fault catalogue, against a real UDP socket on 127.0.0.1, many runs each.

use crate::demo_cases::CATALOGUE;
use anyhow::{Context, Result};
use std::time::Instant;
use wouldblock::{Builder, Form, Guest, Harness, PEER_PLACEHOLDER, PeerOptions, Plan, Readiness};
use wouldblock_guests::{BundledGuest, UDP_SEND, UDP_SEND_NAIVE};

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Runs per guest and plan.
    #[arg(long, default_value_t = 20)]
    runs: u32,
    /// Datagrams the readiness-driven guest sends per run.
    #[arg(long, default_value_t = 8)]
    count: u64,
    /// Largest number of not-writable first sends (N runs from 1 to this).
    #[arg(long, default_value_t = 3)]
    max_n: u64,
}

/// One guest under one plan, `runs` times.
#[derive(Default)]
struct Tally {
    passed: u32,
    exactly_once: u32,
    millis: f64,
}

pub fn demo(args: DemoArgs) -> Result<i32> {
    let base = Builder::new().cache(true).build()?;
    let naive = compile(&base, &UDP_SEND_NAIVE)?;
    let correct = compile(&base, &UDP_SEND)?;
    let count = args.count.to_string();

    println!(
        "wouldblock demo: {} runs per cell, udp-send sends {} numbered datagrams to a real UDP socket on 127.0.0.1\n",
        args.runs, args.count
    );
    println!(
        "{:<12} {:>2} {:>2}  {:<22} {:<38} {:>8}",
        "form", "N", "K", "udp-send-naive", "udp-send (readiness-driven)", "ms/run"
    );
    let mut rows: Vec<(String, Option<Plan>)> = vec![("no fault".into(), None)];
    for form in Form::ALL {
        for n in 1..=args.max_n {
            rows.push((
                format!("{:<12} {n:>2} {:>2}", form.name(), 1),
                Some(Plan::first_send(form, n, Readiness::NotReady(1))),
            ));
        }
    }

    let mut as_expected = true;
    for (label, plan) in rows {
        let faulty = plan.is_some();
        let harness = base
            .with_plan(plan.unwrap_or_default())
            .with_peer(PeerOptions::counting());
        let naive_tally = tally(&harness, &naive, args.runs, &[], None)?;
        let correct_tally = tally(
            &harness,
            &correct,
            args.runs,
            &["--count", &count],
            Some(args.count),
        )?;
        // Under a fault the naive guest must fail every run; without one it must pass.
        let naive_ok = naive_tally.passed == if faulty { 0 } else { args.runs };
        let correct_ok =
            correct_tally.passed == args.runs && correct_tally.exactly_once == args.runs;
        as_expected &= naive_ok && correct_ok;
        let naive_cell = format!(
            "{} {}/{} failed",
            mark(naive_ok),
            args.runs - naive_tally.passed,
            args.runs
        );
        let correct_cell = format!(
            "{} {}/{} passed, {}/{} exactly once",
            mark(correct_ok),
            correct_tally.passed,
            args.runs,
            correct_tally.exactly_once,
            args.runs
        );
        let label = if faulty {
            label
        } else {
            format!("{label:<18}")
        };
        println!(
            "{label}  {naive_cell:<22} {correct_cell:<38} {:>8.2}",
            (naive_tally.millis + correct_tally.millis) / f64::from(2 * args.runs)
        );
    }
    as_expected &= catalogue(&base, &args)?;
    println!(
        "\n{}",
        if as_expected {
            "as expected: every naive guest fails the same way on every faulty run, every correct one passes and never loses or repeats a datagram or a byte"
        } else {
            "NOT as expected: see the rows marked ✗"
        }
    );
    Ok(if as_expected { 0 } else { 1 })
}

/// The second table: every preset with a correct and a naive program, each with the peer
/// its program needs ([`crate::demo_cases::Cell::harness`]).
fn catalogue(base: &Harness, args: &DemoArgs) -> Result<bool> {
    println!(
        "\n{:<26} {:<22} {:<21} {:<14} {:>8}",
        "preset", "program", "expected (each run)", "runs", "ms/run"
    );
    let mut as_expected = true;
    for cell in CATALOGUE {
        let (spec, bundled, expect) = (cell.spec, cell.guest, cell.expect);
        let guest = compile(base, bundled)?;
        let harness = cell.harness(base)?;
        let mut held = 0;
        let start = Instant::now();
        for _ in 0..args.runs {
            let outcome = harness.run(&guest, cell.args())?;
            held += u32::from(expect.holds(&outcome));
        }
        let millis = start.elapsed().as_secs_f64() * 1000.0 / f64::from(args.runs);
        let ok = held == args.runs;
        as_expected &= ok;
        println!(
            "{spec:<26} {:<22} {:<21} {} {:>3}/{:<8} {millis:>8.2}",
            bundled.name,
            expect.name(),
            mark(ok),
            held,
            args.runs
        );
    }
    Ok(as_expected)
}

fn compile(harness: &Harness, guest: &BundledGuest) -> Result<Guest> {
    harness
        .compile(guest.name, guest.wasm)
        .with_context(|| format!("compiling the bundled {}", guest.name))
}

/// Runs `guest {peer} extra...` `runs` times, each against the harness's fresh peer.
fn tally(
    harness: &Harness,
    guest: &Guest,
    runs: u32,
    extra: &[&str],
    expected: Option<u64>,
) -> Result<Tally> {
    let mut tally = Tally::default();
    let args: Vec<&str> = std::iter::once(PEER_PLACEHOLDER)
        .chain(extra.iter().copied())
        .collect();
    for _ in 0..runs {
        let start = Instant::now();
        let outcome = harness.run(guest, &args)?;
        tally.millis += start.elapsed().as_secs_f64() * 1000.0;
        tally.passed += u32::from(outcome.passed());
        let received = outcome.received.as_ref();
        tally.exactly_once +=
            u32::from(expected.is_some_and(|n| received.is_some_and(|r| r.exactly_once(n))));
    }
    Ok(tally)
}

fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}
