//! `explore`: with no plan given, it finds the known bugs of the naive programs, each
//! shrunk to a plan that replays to the same verdict on every run, and nothing in the
//! correct ones.

use anyhow::{Context, Result, ensure};
use wouldblock::explore::{self, ExploreOptions, Report};
use wouldblock::{Harness, Plan};
use wouldblock_guests::{
    BundledGuest, TCP_C_SERVER, TCP_C_SERVER_NAIVE, TCP_C_SERVER_PATIENCE, TCP_ECHO_SERVER,
    TCP_ECHO_SERVER_NAIVE, UDP_BURST, UDP_BURST_DROP, UDP_BURST_SPIN, UDP_BURST_WAIT, UDP_C_BURST,
    UDP_C_BURST_DROP, UDP_REQUEST, UDP_REQUEST_NAIVE, UDP_SEND, UDP_SEND_NAIVE,
};
use wouldblock_tests::{counting, echoing, guest, repeat, tcp_driving};

/// The harness a program needs: an echo peer for request programs, the harness's TCP
/// client (1 B and 1 KiB) for the C servers, a counting one expecting every datagram for
/// the others (one for `udp-send-naive`, which sends one).
fn harness_for(program: &BundledGuest) -> Harness {
    if program.name.starts_with("tcp-c-server") {
        tcp_driving(Plan::new(), &[1, 1024], 1)
    } else if program.name.starts_with("udp-request") {
        echoing(Plan::new())
    } else if program.name == UDP_SEND_NAIVE.name {
        counting(Plan::new(), Some(1))
    } else {
        counting(Plan::new(), Some(16))
    }
}

fn args_for(program: &BundledGuest) -> &'static [&'static str] {
    if program.name.starts_with("tcp-c-server") {
        &["127.0.0.1:0"]
    } else if program.name == UDP_SEND_NAIVE.name {
        &["{peer}"]
    } else {
        &["{peer}", "--count", "16"]
    }
}

fn explore(program: &BundledGuest, options: ExploreOptions) -> Result<Report> {
    let (harness, guest, args) = (harness_for(program), guest(program), args_for(program));
    Ok(explore::explore(&harness, &guest, args, options)?)
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
    assert_replays_with(&harness_for(program), program, args_for(program), report)
}

/// [`assert_replays`] with a harness and arguments of the caller's.
fn assert_replays_with(
    base: &Harness,
    program: &BundledGuest,
    args: &[&str],
    report: &Report,
) -> Result<()> {
    for finding in &report.findings {
        let plan = Plan::from_toml(&finding.plan, "finding").context("a finding's plan")?;
        let harness = base.with_plan(plan);
        repeat(&harness, &guest(program), args, |outcome| {
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
    // Trusting the pollable alone: no wake-up after ENOBUFS (firezone#10965) hangs it, a
    // socket that stays writable while ENOBUFS continues (libuv#5194) spins it.
    let wait = explore(&UDP_BURST_WAIT, ExploreOptions::new())?;
    let oom = "error(out-of-memory), then";
    assert_found(&wait, "hang", "udp.send", &format!("{oom} never-ready"))?;
    assert_found(
        &wait,
        "busy-loop",
        "udp.send",
        &format!("{oom} spurious-ready"),
    )?;
    assert_replays(&UDP_BURST_WAIT, &wait)
}

/// Every finding rests on a real host's answer and says why it is a bug; the host-bug
/// tier is tried only when asked, and reported apart.
#[test]
fn findings_are_real_faults_with_their_reasons_and_host_bugs_stand_apart() -> Result<()> {
    for program in [&UDP_BURST_WAIT, &UDP_REQUEST_NAIVE, &UDP_BURST_DROP] {
        let report = explore(program, ExploreOptions::new())?;
        ensure!(
            report.host_bugs.is_empty(),
            "{}: host bugs without the flag",
            program.name
        );
        for finding in &report.findings {
            ensure!(
                finding.tier == wouldblock::explore::Tier::Real,
                "{finding:?}"
            );
            ensure!(!finding.trigger.is_empty() && !finding.reference.is_empty());
            ensure!(!finding.wit.is_empty() && !finding.correct.is_empty());
        }
    }
    // The naive request loop trusts readiness blindly: only a host that keeps the pollable
    // ready with nothing pending spins it, so that is a host-bug result, not a finding.
    let report = explore(&UDP_REQUEST_NAIVE, ExploreOptions::new().host_bugs(true))?;
    let spins = |f: &wouldblock::explore::Finding| {
        f.verdict == "busy-loop" && f.site.starts_with("udp.incoming-pollable")
    };
    ensure!(
        report.host_bugs.iter().any(spins),
        "{:#?}",
        report.host_bugs
    );
    ensure!(
        !report.findings.iter().any(spins),
        "a host bug reported as a finding"
    );
    Ok(())
}

#[test]
fn finds_the_naive_request_loop_unusable_after_an_error_and_spinning() -> Result<()> {
    let report = explore(&UDP_REQUEST_NAIVE, ExploreOptions::new())?;
    let refused = "error(connection-refused)";
    assert_found(&report, "unusable-after-error", "udp.receive", refused)?;
    // Readiness stuck while the ICMP error is pending (bun#29473): fatal here too.
    let stuck = "error(connection-refused), then spurious-ready";
    assert_found(&report, "unusable-after-error", "udp.receive", stuck)?;
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

/// The seed's bug in C at depth 1: poll() says the connection is readable, the first
/// recv() answers EWOULDBLOCK (an empty read), and the naive server and the patience
/// counter alike take it for the end of the request (`loss`, nothing echoed). The
/// correct C server, and the C sender that backs off, give nothing; the C sender that
/// drops gives `loss` at the first out-of-memory.
#[test]
fn finds_the_c_programs_bugs_at_depth_one_and_nothing_in_the_correct_ones() -> Result<()> {
    for program in [&TCP_C_SERVER_NAIVE, &TCP_C_SERVER_PATIENCE] {
        let report = explore(program, ExploreOptions::new())?;
        assert_found(
            &report,
            "loss",
            "tcp.read call 1",
            "ok-zero, then not-ready 1",
        )
        .map_err(|e| e.context(program.name))?;
        assert_replays(program, &report)?;
    }
    let drop = explore(&UDP_C_BURST_DROP, ExploreOptions::new())?;
    assert_found(&drop, "loss", "udp.send", "error(out-of-memory)")?;
    assert_replays(&UDP_C_BURST_DROP, &drop)?;
    for program in [&TCP_C_SERVER, &UDP_C_BURST] {
        let report = explore(program, ExploreOptions::new())?;
        ensure!(
            report.findings.is_empty() && report.sites > 0,
            "{}: {:#?}",
            program.name,
            report.findings
        );
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
/// path in its fault-free run; see docs/explore.md.)
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

/// The seed TCP bug at depth 1: a short read whose rest has not arrived yet (the next read
/// is empty until the guest waits), which the naive server takes for the end (`loss`);
/// nothing in the correct server.
#[test]
fn finds_the_empty_read_taken_for_the_end_at_depth_one() -> Result<()> {
    let args = ["127.0.0.1:0"];
    let options = ExploreOptions::new();
    let naive = tcp_driving(Plan::new(), &[1, 1024], 1);
    let report = explore::explore(&naive, &guest(&TCP_ECHO_SERVER_NAIVE), &args, options)?;
    assert_found(
        &report,
        "loss",
        "tcp.read call 1",
        "slice 1, then not-ready 1",
    )?;
    assert_replays_with(&naive, &TCP_ECHO_SERVER_NAIVE, &args, &report)?;
    let correct = tcp_driving(Plan::new(), &[1, 1024], 1);
    let report = explore::explore(&correct, &guest(&TCP_ECHO_SERVER), &args, options)?;
    ensure!(report.findings.is_empty(), "{:#?}", report.findings);
    Ok(())
}

/// Depth 2 tries pairs too: a pair that one of its faults gives alone shrinks to it, and
/// nothing breaks the correct server.
#[test]
fn finds_the_empty_read_taken_for_the_end_at_depth_two() -> Result<()> {
    let args = ["127.0.0.1:0"];
    let options = ExploreOptions::new().depth(2);
    let naive = tcp_driving(Plan::new(), &[1, 1024], 1);
    let report = explore::explore(&naive, &guest(&TCP_ECHO_SERVER_NAIVE), &args, options)?;
    assert_found(&report, "loss", "tcp.read call 1", "slice 1")?;
    // An empty first read, then the short one: the same bug by another path, which
    // neither fault gives alone.
    assert_found(
        &report,
        "loss",
        "tcp.read call 1 + tcp.read call 2",
        "ok-zero, then not-ready 1 + slice 1",
    )?;
    let correct = tcp_driving(Plan::new(), &[1, 1024], 1);
    let report = explore::explore(&correct, &guest(&TCP_ECHO_SERVER), &args, options)?;
    ensure!(report.findings.is_empty(), "{:#?}", report.findings);
    Ok(())
}
