//! `explore`: with no plan given, it finds the known bugs of the naive programs, each
//! shrunk to a plan that replays to the same verdict on every run, and nothing in the
//! correct ones.

use anyhow::{Context, Result, ensure};
use wouldblock::explore::{ExploreOptions, Report};
use wouldblock::{Harness, Plan};
use wouldblock_guests::{
    BundledGuest, TCP_ECHO_SERVER, TCP_ECHO_SERVER_NAIVE, UDP_BURST, UDP_BURST_DROP,
    UDP_BURST_SPIN, UDP_BURST_WAIT, UDP_REQUEST, UDP_REQUEST_NAIVE, UDP_SEND, UDP_SEND_NAIVE,
};
use wouldblock_tests::{counting, echoing, guest, repeat, tcp_driving};

/// The harness a program needs: an echo peer for request programs, a counting one
/// expecting every datagram for the others (one for `udp-send-naive`, which sends one).
fn harness_for(program: &BundledGuest) -> Harness {
    if program.name.starts_with("udp-request") {
        echoing(Plan::new())
    } else if program.name == UDP_SEND_NAIVE.name {
        counting(Plan::new(), Some(1))
    } else {
        counting(Plan::new(), Some(16))
    }
}

fn args_for(program: &BundledGuest) -> &'static [&'static str] {
    if program.name == UDP_SEND_NAIVE.name {
        &["{peer}"]
    } else {
        &["{peer}", "--count", "16"]
    }
}

fn explore(program: &BundledGuest, options: ExploreOptions) -> Result<Report> {
    Ok(harness_for(program).explore(&guest(program), args_for(program), options)?)
}

/// The report has a finding with this verdict at a site of this operation and fault.
fn assert_found(report: &Report, verdict: &str, site: &str, fault: &str) -> Result<()> {
    let found = report
        .findings
        .iter()
        .any(|f| f.verdict == verdict && f.site.starts_with(site) && f.fault.starts_with(fault));
    let all: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{} at {} ({})", f.verdict, f.site, f.fault))
        .collect();
    ensure!(found, "no {verdict} at {site} ({fault}) in {all:#?}");
    Ok(())
}

/// Every finding's plan replays to the finding's verdict on every run.
fn assert_replays(program: &BundledGuest, report: &Report) -> Result<()> {
    for finding in &report.findings {
        let plan = Plan::from_toml(&finding.plan, "finding").context("a finding's plan")?;
        let harness = harness_for(program).with_plan(plan);
        repeat(&harness, &guest(program), args_for(program), |outcome| {
            ensure!(
                outcome.exit_code() == finding.exit_code,
                "{} replayed as {:?}",
                finding.verdict,
                outcome.exit
            );
            Ok(())
        })?;
    }
    Ok(())
}

#[test]
fn finds_the_first_send_failure_and_its_plans_replay() -> Result<()> {
    let report = explore(&UDP_SEND_NAIVE, ExploreOptions::new())?;
    assert_found(&report, "fail (exit 1)", "udp.check-send call 1", "ok-zero")?;
    assert_found(&report, "fail (exit 1)", "udp.send call 1", "ok-zero")?;
    ensure!(report.exit_code() == 1);
    assert_replays(&UDP_SEND_NAIVE, &report)
}

#[test]
fn finds_loss_a_busy_loop_and_a_hang_in_the_naive_burst_programs() -> Result<()> {
    let drop = explore(&UDP_BURST_DROP, ExploreOptions::new())?;
    assert_found(&drop, "loss", "udp.send", "error(out-of-memory)")?;
    assert_replays(&UDP_BURST_DROP, &drop)?;
    let spin = explore(&UDP_BURST_SPIN, ExploreOptions::new())?;
    assert_found(&spin, "busy-loop", "udp.check-send", "ok-zero")?;
    assert_replays(&UDP_BURST_SPIN, &spin)?;
    let wait = explore(&UDP_BURST_WAIT, ExploreOptions::new())?;
    assert_found(&wait, "hang", "udp.check-send", "ok-zero, then never-ready")?;
    assert_replays(&UDP_BURST_WAIT, &wait)
}

#[test]
fn finds_the_naive_request_loop_unusable_after_an_error_and_spinning() -> Result<()> {
    let report = explore(&UDP_REQUEST_NAIVE, ExploreOptions::new())?;
    let refused = "error(connection-refused)";
    assert_found(&report, "unusable-after-error", "udp.receive", refused)?;
    assert_found(
        &report,
        "busy-loop",
        "udp.incoming-pollable",
        "spurious-ready",
    )?;
    assert_replays(&UDP_REQUEST_NAIVE, &report)
}

#[test]
fn finds_nothing_in_the_correct_programs() -> Result<()> {
    for program in [&UDP_SEND, &UDP_BURST, &UDP_REQUEST] {
        let report = explore(program, ExploreOptions::new())?;
        ensure!(
            report.findings.is_empty() && report.sites > 0,
            "{}: {:#?}",
            program.name,
            report.findings
        );
        // A permanent error is a note, not a bug, and says how the program ends under it.
        ensure!(report.notes.iter().all(|n| n.robustness));
    }
    Ok(())
}

/// Pairs are many: 2,000 runs each, minutes in a debug build, so with the stress tests.
#[test]
#[ignore = "slow: run with --ignored (CI does)"]
fn finds_nothing_in_the_correct_programs_at_depth_two() -> Result<()> {
    for program in [&UDP_SEND, &UDP_BURST, &UDP_REQUEST] {
        let report = explore(program, ExploreOptions::new().depth(2).budget(2000))?;
        ensure!(report.runs == 2001, "{} runs", report.runs);
        ensure!(
            report.findings.is_empty(),
            "{}: {:#?}",
            program.name,
            report.findings
        );
    }
    Ok(())
}

/// With a peer that only counts, the fault-free run is the same every time, and so is the
/// exploration. (A guest racing an echo peer's reply through the kernel may take another
/// path in its fault-free run; see the README.)
#[test]
fn the_same_options_give_the_same_report_and_shards_merge_into_it() -> Result<()> {
    let whole = explore(&UDP_BURST_SPIN, ExploreOptions::new().jobs(2))?;
    let again = explore(&UDP_BURST_SPIN, ExploreOptions::new().jobs(1))?;
    ensure!(whole == again, "two explorations differ");
    let shards: Vec<Report> = (1..=3)
        .map(|i| explore(&UDP_BURST_SPIN, ExploreOptions::new().shard(i, 3)))
        .collect::<Result<_>>()?;
    let merged = Report::merge(shards)?;
    ensure!(
        merged.findings == whole.findings,
        "merged shards differ from the whole"
    );
    ensure!(merged.notes == whole.notes);
    Ok(())
}

/// The seed TCP bug takes two faults: a short read, then an empty one. Depth 2 finds it in
/// the naive server (the harness's client gets a short echo: `loss`) and nothing in the
/// correct one.
#[test]
fn finds_the_empty_read_taken_for_the_end_at_depth_two() -> Result<()> {
    let args = ["127.0.0.1:0"];
    let options = ExploreOptions::new().depth(2);
    let naive = tcp_driving(Plan::new(), &[1, 1024], 1);
    let report = naive.explore(&guest(&TCP_ECHO_SERVER_NAIVE), &args, options)?;
    assert_found(
        &report,
        "loss",
        "tcp.read call 1 + tcp.read call 2",
        "slice 1",
    )?;
    let correct = tcp_driving(Plan::new(), &[1, 1024], 1);
    let report = correct.explore(&guest(&TCP_ECHO_SERVER), &args, options)?;
    ensure!(report.findings.is_empty(), "{:#?}", report.findings);
    Ok(())
}
