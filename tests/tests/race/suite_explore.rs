//! Exploring whole libtest suites (`test --explore`): every test its own fault-free runs,
//! sites and findings; a test whose path moves is flaky; the report is the same on every
//! exploration, whatever the threads or shards; an interrupt or a spent time budget keeps
//! what ended and says what did not.

use anyhow::{Result, ensure};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wouldblock::explore::{self, ExploreOptions, SuiteEvent, SuiteReport, TestVerdict};
use wouldblock::suite::{self, Selection};
use wouldblock::{Guest, Harness};
use wouldblock_guests::{GUEST_FLAKY, GUEST_SUITE};
use wouldblock_tests::{RUNS, builder};

fn explore(harness: &Harness, guest: &Guest, options: ExploreOptions) -> Result<SuiteReport> {
    let selection = Selection::default();
    let cases = suite::list(harness, guest, &selection)?;
    let report = explore::explore_suite(harness, guest, &cases, &selection, options, |_| {})?;
    Ok(report)
}

fn status(report: &SuiteReport) -> Vec<(&str, TestVerdict)> {
    report
        .tests
        .iter()
        .map(|t| (t.name.as_str(), t.status))
        .collect()
}

#[test]
fn every_test_gets_its_own_verdict_and_the_report_is_the_same_every_time() -> Result<()> {
    let harness = builder().build()?;
    let guest = harness.load(GUEST_SUITE.as_ref())?;
    let first = explore(&harness, &guest, ExploreOptions::new().jobs(2))?;
    ensure!(
        status(&first)
            == [
                ("adds", TestVerdict::Clean),
                ("delivers_to_itself", TestVerdict::Clean),
                ("ignored_one", TestVerdict::Skipped),
                ("out_of_memory_is_fatal_here", TestVerdict::Findings),
                ("panics_on_purpose", TestVerdict::Failed),
            ],
        "{:?}",
        status(&first)
    );
    let failed = &first.tests[4];
    let detail = failed.detail.as_deref().unwrap_or_default();
    ensure!(
        detail.contains("boom: the suite's failing test"),
        "{detail}"
    );
    // The one root cause: out-of-memory taken for the end, at the test's own `expect`.
    let oom = &first.tests[3].report.findings;
    ensure!(
        oom.iter().all(|f| f.verdict == "unusable-after-error"),
        "{oom:?}"
    );
    let cause = &first.causes[0];
    ensure!(
        cause.op == "udp.send" && cause.location.as_deref() == Some("tests/suite.rs:61:25"),
        "{cause:?}"
    );
    for run in 1..RUNS {
        let jobs = 1 + run as usize % 3;
        let again = explore(&harness, &guest, ExploreOptions::new().jobs(jobs))?;
        ensure!(
            again == first,
            "exploration {run} (on {jobs} threads) differs"
        );
    }
    Ok(())
}

#[test]
fn a_test_whose_path_moves_is_flaky_and_the_steady_one_is_explored() -> Result<()> {
    let harness = builder().build()?;
    let guest = harness.load(GUEST_FLAKY.as_ref())?;
    for run in 0..RUNS {
        let report = explore(&harness, &guest, ExploreOptions::new().jobs(2))?;
        ensure!(
            status(&report)
                == [
                    ("steady", TestVerdict::Clean),
                    ("takes_a_random_path", TestVerdict::Flaky),
                ],
            "exploration {run}: {:?}",
            status(&report)
        );
        let flaky = report.tests[1].detail.as_deref().unwrap_or_default();
        ensure!(flaky.contains("part at trace line"), "{flaky}");
        ensure!(report.tests[0].report.trials > 0);
        ensure!(report.exit_code() == wouldblock::explore::EXIT_FLAKY);
    }
    Ok(())
}

#[test]
fn shards_merge_into_the_report_of_the_whole_exploration() -> Result<()> {
    let harness = builder().build()?;
    let guest = harness.load(GUEST_SUITE.as_ref())?;
    let whole = explore(&harness, &guest, ExploreOptions::new())?;
    let shard = |i| explore(&harness, &guest, ExploreOptions::new().shard(i, 3));
    let shards = vec![shard(2)?, shard(3)?, shard(1)?];
    // Each shard ran its own slice of the trials, and every fault-free run.
    let trials = |r: &SuiteReport| -> u64 { r.tests.iter().map(|t| t.report.runs).sum() };
    ensure!(shards.iter().all(|s| trials(s) < trials(&whole)));
    let merged = SuiteReport::merge(shards.clone())?;
    ensure!(merged == whole, "merged:\n{merged:#?}\nwhole:\n{whole:#?}");

    let twice = SuiteReport::merge(vec![shards[0].clone(), shards[0].clone()]);
    ensure!(twice.unwrap_err().to_string().contains("given twice"));
    let other = harness.load(GUEST_FLAKY.as_ref())?;
    let flaky = explore(&harness, &other, ExploreOptions::new().shard(1, 3))?;
    let mixed = SuiteReport::merge(vec![shards[0].clone(), flaky]);
    let err = mixed.unwrap_err().to_string();
    ensure!(err.contains("component (sha256)"), "{err}");
    Ok(())
}

#[test]
fn an_interrupt_keeps_the_tests_that_ended_and_names_the_others() -> Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let harness = builder().interrupt(stop.clone()).build()?;
    let guest = harness.load(GUEST_SUITE.as_ref())?;
    let selection = Selection::default();
    let cases = suite::list(&harness, &guest, &selection)?;
    let mut ended = Vec::new();
    // The first test to end stops the exploration, as Ctrl-C would.
    let options = ExploreOptions::new();
    let report = explore::explore_suite(&harness, &guest, &cases, &selection, options, |e| {
        if let SuiteEvent::TestDone { test, .. } = e {
            ended.push((test.name.clone(), test.status));
            stop.store(true, Ordering::Relaxed);
        }
    })?;
    ensure!(report.interrupted, "{report:#?}");
    // Every test is reported once, as it ended or as cut short.
    ensure!(ended.len() == cases.len(), "{ended:?}");
    let cut = report.count(TestVerdict::Incomplete);
    ensure!(cut >= 1, "{:?}", status(&report));
    Ok(())
}

#[test]
fn a_spent_time_budget_cuts_the_trials_and_says_so() -> Result<()> {
    let harness = builder().build()?;
    let guest = harness.load(GUEST_SUITE.as_ref())?;
    let options = ExploreOptions::new().budget_time(Duration::ZERO);
    let report = explore(&harness, &guest, options)?;
    ensure!(report.out_of_time && !report.interrupted);
    let oom = &report.tests[3];
    ensure!(
        oom.status == TestVerdict::Incomplete && oom.unexplored == oom.report.trials,
        "{oom:#?}"
    );
    // The fault-free runs still ran: the failing test is still named.
    ensure!(report.tests[4].status == TestVerdict::Failed);
    Ok(())
}

#[test]
fn a_harness_failure_partway_keeps_what_ended_and_says_so() -> Result<()> {
    // A real failure of the harness's own: the directory it preopens for every run is
    // removed once the first test has ended (a CI job cleaning up under it).
    let dir = std::env::temp_dir().join(format!("wouldblock-gone-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let harness = builder()
        .preopen(dir.display().to_string(), "/data")
        .build()?;
    let guest = harness.load(GUEST_SUITE.as_ref())?;
    let selection = Selection::default();
    let cases = suite::list(&harness, &guest, &selection)?;
    let options = ExploreOptions::new().jobs(1);
    let report = explore::explore_suite(&harness, &guest, &cases, &selection, options, |e| {
        if let SuiteEvent::TestDone { test, .. } = e
            && test.status == TestVerdict::Clean
        {
            let _ = std::fs::remove_dir_all(&dir);
        }
    })?;
    let failure = report.harness_failure.as_deref().unwrap_or_default();
    ensure!(failure.contains("cannot preopen"), "{report:#?}");
    ensure!(report.exit_code() == 2);
    ensure!(
        status(&report)
            == [
                ("adds", TestVerdict::Clean),
                ("delivers_to_itself", TestVerdict::Incomplete),
                ("ignored_one", TestVerdict::Skipped),
                ("out_of_memory_is_fatal_here", TestVerdict::Incomplete),
                ("panics_on_purpose", TestVerdict::Failed),
            ],
        "{:?}",
        status(&report)
    );
    let cut = report.tests[1].detail.as_deref().unwrap_or_default();
    ensure!(cut.contains("the harness failed"), "{cut}");
    Ok(())
}

#[test]
fn a_programs_exploration_keeps_what_ended_when_the_harness_fails() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("wouldblock-gone-1-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let harness = builder()
        .preopen(dir.display().to_string(), "/data")
        .peer(wouldblock::PeerOptions::counting())
        .build()?;
    let guest = harness.compile("udp-send", wouldblock_guests::UDP_SEND.wasm)?;
    let args = ["{peer}", "--count", "4"];
    let options = ExploreOptions::new().jobs(1);
    let report = explore::explore_with_progress(&harness, &guest, &args, options, |done, _| {
        if done == 1 {
            let _ = std::fs::remove_dir_all(&dir);
        }
    })?;
    let failure = report.harness_failure.as_deref().unwrap_or_default();
    ensure!(
        failure.contains("cannot preopen"),
        "{:?} {} runs, incomplete {}",
        report.harness_failure,
        report.runs,
        report.incomplete
    );
    ensure!(
        report.incomplete && report.exit_code() == 2,
        "{:?} {} runs, incomplete {}",
        report.harness_failure,
        report.runs,
        report.incomplete
    );
    // The fault-free run and the first trial ended before the directory went (a second
    // may have started beside the first's report); not every trial did.
    ensure!(
        report.runs >= 2 && report.runs <= report.trials,
        "{:?} {} runs, incomplete {}",
        report.harness_failure,
        report.runs,
        report.incomplete
    );
    Ok(())
}
