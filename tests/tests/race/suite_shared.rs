//! Suites whose tests share a server (`guest/tests/shared.rs` against a counter server this
//! test starts on 127.0.0.1): a test whose fault-free runs fail only side by side is flaky
//! for sharing it, with the remedies; a test that keys its state by `WOULDBLOCK_RUN_ID` is
//! explored; and one job runs every run one at a time.

use anyhow::{Result, ensure};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use wouldblock::explore::{self, ExploreOptions, SIDE_BY_SIDE, SuiteReport, TestVerdict};
use wouldblock::suite::{self, Selection};
use wouldblock_guests::GUEST_SHARED;
use wouldblock_tests::builder;

/// How long the first `DEL k` waits for a second one at most.
const PAIR_WAIT: Duration = Duration::from_secs(10);

/// The counter's keys, and how many `DEL k` it has seen.
#[derive(Default)]
struct Counts {
    keys: HashMap<String, u64>,
    fixed_resets: u32,
}

/// A counter server: `DEL key` answers `OK`, `INCR key` the new count. With `pair`, the
/// first `DEL k` is answered only once a second one came (or after [`PAIR_WAIT`]): two runs
/// side by side then both reset `k` before either counts, so one of them always counts to
/// ten, whatever the threads do.
fn counter(pair: bool) -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let state = Arc::new((Mutex::new(Counts::default()), Condvar::new()));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let state = Arc::clone(&state);
            std::thread::spawn(move || serve(stream, &state, pair));
        }
    });
    Ok(addr)
}

fn serve(stream: TcpStream, state: &(Mutex<Counts>, Condvar), pair: bool) {
    let (lock, paired) = state;
    let mut writer = &stream;
    for line in BufReader::new(&stream).lines() {
        let Ok(line) = line else { return };
        let mut counts = lock.lock().unwrap();
        let answer = match line.split_once(' ') {
            Some(("DEL", key)) => {
                counts.keys.remove(key);
                if key == "k" {
                    counts.fixed_resets += 1;
                    if pair && counts.fixed_resets == 1 {
                        counts = paired
                            .wait_timeout_while(counts, PAIR_WAIT, |c| c.fixed_resets < 2)
                            .unwrap()
                            .0;
                    }
                    paired.notify_all();
                }
                "OK".to_string()
            }
            Some(("INCR", key)) => {
                let count = counts.keys.entry(key.into()).or_default();
                *count += 1;
                count.to_string()
            }
            _ => "ERR".into(),
        };
        drop(counts);
        if writer.write_all(format!("{answer}\n").as_bytes()).is_err() {
            return;
        }
    }
}

fn explore_shared(pair: bool, jobs: usize, filters: &[&str]) -> Result<SuiteReport> {
    let addr = counter(pair)?;
    let harness = builder().env("COUNTER_ADDR", addr.to_string()).build()?;
    let guest = harness.load(GUEST_SHARED.as_ref())?;
    let selection = Selection::from_args(filters);
    let cases = suite::list(&harness, &guest, &selection)?;
    let options = ExploreOptions::new().jobs(jobs);
    Ok(explore::explore_suite(
        &harness,
        &guest,
        &cases,
        &selection,
        options,
        |_| {},
    )?)
}

fn status<'r>(report: &'r SuiteReport, name: &str) -> Option<&'r wouldblock::explore::TestReport> {
    report.tests.iter().find(|t| t.name == name)
}

#[test]
fn a_test_failing_only_side_by_side_is_flaky_for_sharing_the_server_and_a_run_id_key_is_not()
-> Result<()> {
    let report = explore_shared(true, 2, &[])?;
    let fixed = status(&report, "shares_a_fixed_key");
    ensure!(
        fixed.is_some_and(
            |t| t.status == TestVerdict::Flaky && t.detail.as_deref() == Some(SIDE_BY_SIDE)
        ),
        "{fixed:?}"
    );
    let apart = status(&report, "keeps_its_key_apart");
    ensure!(
        apart.is_some_and(|t| matches!(t.status, TestVerdict::Clean | TestVerdict::Findings)),
        "keyed by its run id, it is explored: {apart:?}"
    );
    ensure!(report.exit_code() == 92 || report.exit_code() == 1);
    Ok(())
}

#[test]
fn one_job_explores_a_fixed_key_test_as_any_other() -> Result<()> {
    let report = explore_shared(false, 1, &["--exact", "shares_a_fixed_key"])?;
    let fixed = status(&report, "shares_a_fixed_key");
    ensure!(
        fixed.is_some_and(
            |t| matches!(t.status, TestVerdict::Clean | TestVerdict::Findings)
                && t.report.trials > 0
        ),
        "{fixed:?}"
    );
    Ok(())
}
