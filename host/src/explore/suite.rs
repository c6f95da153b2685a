//! Exploring a whole libtest suite, a test at a time: each test gets two fault-free runs in
//! fresh instances (a test that fails is reported with its evidence, one whose two runs part
//! is `flaky`; one whose runs fail only side by side is flaky for sharing a server), then
//! its own sites and trials. The trials of every test share the one worker
//! pool, so the cores stay busy to the last trial; a test is reported as soon as its last
//! trial ends.

use super::report::{Exploration, REPORT_FORMAT, Report, evidence};
use super::settle::{Found, Groups, group, settle};
use super::suite_report::{SUITE_REPORT_FORMAT, SuiteReport, TestReport, TestVerdict};
use super::{ExploreOptions, Trial, exploration, sites, trials};
use crate::error::Error;
use crate::harness::{Guest, Harness};
use crate::outcome::Outcome;
use crate::plan::Plan;
use crate::pool;
use crate::settings::Output;
use crate::suite::{self, Selection, TestCase};
use std::ops::ControlFlow;
use std::sync::Mutex;
use std::time::Instant;

/// What a suite exploration tells its caller as it goes, on the calling thread.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::Builder;
/// use wouldblock::explore::{self, ExploreOptions, SuiteEvent};
/// use wouldblock::suite::{self, Selection};
/// let harness = Builder::new().build()?;
/// let guest = harness.load(wouldblock_guests::GUEST_SUITE.as_ref())?;
/// let selection = Selection::default();
/// let cases = suite::list(&harness, &guest, &selection)?;
/// let mut done = 0;
/// explore::explore_suite(&harness, &guest, &cases, &selection, ExploreOptions::new(), |event| {
///     if let SuiteEvent::TestDone { test, .. } = event {
///         println!("{} {}", test.status.word(), test.name);
///         done += 1;
///     }
/// })?;
/// assert_eq!(done, cases.len(), "each test once");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum SuiteEvent<'a> {
    /// Runs done of the runs known so far (the trials are known once every fault-free run
    /// is in).
    Progress {
        /// Runs done.
        done: u64,
        /// Runs known so far.
        total: u64,
    },
    /// A test is done: its line can be printed.
    TestDone {
        /// Its place in the list.
        index: usize,
        /// What it gave.
        test: &'a TestReport,
    },
}

/// A test whose fault-free runs agree and pass: what its exploration needs.
struct Explorable {
    /// Its place in the list.
    index: usize,
    name: String,
    args: Vec<String>,
    sites: u64,
    trials: Vec<Trial>,
    /// This shard's trials, by their place in `trials`.
    mine: Vec<usize>,
}

/// One explorable test's trials as they end.
struct Progress<'t> {
    /// Reported: its line is out.
    done: bool,
    left: usize,
    ran: u64,
    groups: Groups<'t>,
}

/// Explores `cases` (as [`suite::list`] gives them for `selection`) of `guest`, a
/// libtest component: each test in fresh instances, with its own fault-free runs,
/// sites and trials; an ignored test only when `selection` asks for it. `on` hears
/// each test as it ends. The report is the same for the same options, whatever the
/// threads.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::Builder;
/// use wouldblock::explore::{self, ExploreOptions, TestVerdict};
/// use wouldblock::suite::Selection;
/// let harness = Builder::new().build()?;
/// let guest = harness.load(wouldblock_guests::GUEST_SUITE.as_ref())?;
/// let selection = Selection::from_args(&["udp"]);
/// let cases = wouldblock::suite::list(&harness, &guest, &selection)?;
/// let options = ExploreOptions::new();
/// let report = explore::explore_suite(&harness, &guest, &cases, &selection, options, |_| {})?;
/// for test in &report.tests {
///     println!("{} {}", test.status.word(), test.name);
/// }
/// # Ok(()) }
/// ```
pub fn explore_suite(
    harness: &Harness,
    guest: &Guest,
    cases: &[TestCase],
    selection: &Selection,
    options: ExploreOptions,
    mut on: impl FnMut(SuiteEvent<'_>),
) -> Result<SuiteReport, Error> {
    let quiet = harness.with_output(Output::Capture).with_plan(Plan::new());
    let deadline = options
        .budget_time
        .and_then(|limit| Instant::now().checked_add(limit));
    let mut report = SuiteReport {
        suite_format: SUITE_REPORT_FORMAT,
        exploration: exploration(harness, guest, &selection.filters, options),
        shard: options.shard,
        tests: cases
            .iter()
            .map(|c| TestReport::unexplored(&c.name, TestVerdict::Skipped, None))
            .collect(),
        ..SuiteReport::default()
    };
    for (index, case) in cases.iter().enumerate() {
        if !suite::runs(case, selection) {
            let test = &report.tests[index];
            on(SuiteEvent::TestDone { index, test });
        }
    }
    let found = baselines(
        &quiet,
        guest,
        cases,
        selection,
        options,
        &mut report,
        &mut on,
    );
    let mut explorable = match found {
        Ok(explorable) => explorable,
        Err(e) => {
            report.harness_failure = Some(e.to_string());
            unended(&mut report, cases, selection, "the harness failed", &mut on);
            report.find_causes();
            return Ok(report);
        }
    };
    slice(&mut explorable, options.shard);
    let all: Vec<(usize, usize)> = explorable
        .iter()
        .enumerate()
        .flat_map(|(t, test)| test.mine.iter().map(move |&k| (t, k)))
        .collect();
    let mut state: Vec<Progress<'_>> = explorable
        .iter()
        .map(|test| Progress {
            done: false,
            left: test.mine.len(),
            ran: 0,
            groups: Groups::new(),
        })
        .collect();
    let jobs = harness.workers(options.jobs);
    // One job runs every run one at a time: a test's shrinking, on this thread, waits for
    // the trial the worker is running, and the worker waits for it.
    let one_at_a_time = Mutex::new(());
    let serial = || (jobs == 1).then(|| one_at_a_time.lock().unwrap_or_else(|e| e.into_inner()));
    let work = |i: usize| -> Result<Option<Outcome>, Error> {
        let _turn = serial();
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
        let (t, k) = all[i];
        let test = &explorable[t];
        let plan = test.trials[k].plan();
        quiet.with_plan(plan).run(guest, &test.args).map(Some)
    };
    let baseline_runs = 2 * cases.iter().filter(|c| suite::runs(c, selection)).count() as u64;
    let total = baseline_runs + all.len() as u64;
    let mut done = baseline_runs;
    // A test with no trial in this shard is done now.
    for (t, test) in explorable.iter().enumerate() {
        if test.mine.is_empty() && !harness.interrupted() {
            let groups = std::mem::take(&mut state[t].groups);
            report.tests[test.index] = explored(&quiet, guest, test, 0, groups, false, options)?;
            state[t].done = true;
            on(SuiteEvent::TestDone {
                index: test.index,
                test: &report.tests[test.index],
            });
        }
    }
    // A failure of the harness itself keeps what ended; the rest is cut, as found.
    let ran = pool::try_run(harness.interrupt(), all.len(), jobs, work, |i, outcome| {
        done += 1;
        on(SuiteEvent::Progress { done, total });
        let (t, k) = all[i];
        let test = &explorable[t];
        let progress = &mut state[t];
        progress.left -= 1;
        match outcome {
            None => report.out_of_time = true,
            Some(outcome) => {
                progress.ran += 1;
                if !suite::passed(&outcome) {
                    group(&mut progress.groups, k, &test.trials[k], outcome);
                }
            }
        }
        if progress.left > 0 {
            return ControlFlow::Continue(());
        }
        // Out of time, what ran stays as found, unshrunk: the budget is spent.
        let cut = progress.ran < test.mine.len() as u64;
        let groups = std::mem::take(&mut progress.groups);
        progress.done = true;
        let _turn = serial();
        match explored(&quiet, guest, test, progress.ran, groups, cut, options) {
            Ok(finished) => {
                report.tests[test.index] = finished;
                let index = test.index;
                on(SuiteEvent::TestDone {
                    index,
                    test: &report.tests[index],
                });
                ControlFlow::Continue(())
            }
            Err(e) => ControlFlow::Break(e),
        }
    });
    report.harness_failure = ran.err().map(|e| e.to_string());
    report.interrupted = harness.interrupted();
    // Interrupted, the tests with trials left keep what ran, unshrunk.
    for (t, test) in explorable.iter().enumerate() {
        let progress = &mut state[t];
        if progress.done {
            continue;
        }
        let groups = std::mem::take(&mut progress.groups);
        let mut cut = explored(&quiet, guest, test, progress.ran, groups, true, options)?;
        if let Some(failure) = &report.harness_failure {
            cut.detail = Some(format!(
                "the harness failed before its trials ended: {failure}"
            ));
        }
        report.tests[test.index] = cut;
        on(SuiteEvent::TestDone {
            index: test.index,
            test: &report.tests[test.index],
        });
    }
    if report.interrupted {
        unended(&mut report, cases, selection, "interrupted", &mut on);
    }
    report.find_causes();
    Ok(report)
}

/// The tests whose fault-free runs never ended (`why`: interrupted, the harness failed)
/// say so, `incomplete`.
fn unended(
    report: &mut SuiteReport,
    cases: &[TestCase],
    selection: &Selection,
    why: &str,
    on: &mut impl FnMut(SuiteEvent<'_>),
) {
    for (index, case) in cases.iter().enumerate() {
        let test = &mut report.tests[index];
        if suite::runs(case, selection) && test.status == TestVerdict::Skipped {
            test.status = TestVerdict::Incomplete;
            test.detail = Some(format!("{why} before its fault-free runs ended"));
            on(SuiteEvent::TestDone { index, test });
        }
    }
}

/// Runs every selected test twice with no fault, two runs at a time on the pool; reports
/// the failing and the flaky ones (on more than one job, after running them again one at
/// a time) and returns the others, with their trials.
fn baselines(
    quiet: &Harness,
    guest: &Guest,
    cases: &[TestCase],
    selection: &Selection,
    options: ExploreOptions,
    report: &mut SuiteReport,
    on: &mut impl FnMut(SuiteEvent<'_>),
) -> Result<Vec<Explorable>, Error> {
    let selected: Vec<usize> = (0..cases.len())
        .filter(|&i| suite::runs(&cases[i], selection))
        .collect();
    let args: Vec<Vec<String>> = selected.iter().map(|&i| cases[i].args()).collect();
    let work = |i: usize| quiet.run(guest, &args[i / 2]);
    let mut first: Vec<Option<Outcome>> = selected.iter().map(|_| None).collect();
    let mut explorable = Vec::new();
    // The tests whose runs failed or parted while they may have run side by side.
    let mut suspects = Vec::new();
    let total = 2 * selected.len() as u64;
    let mut done = 0;
    let jobs = quiet.workers(options.jobs);
    pool::try_run(
        quiet.interrupt(),
        2 * selected.len(),
        jobs,
        work,
        |i, outcome| {
            done += 1;
            on(SuiteEvent::Progress { done, total });
            let s = i / 2;
            let Some(other) = first[s].take() else {
                first[s] = Some(outcome);
                return ControlFlow::Continue(());
            };
            // The run with the lower index is the first, whichever ended first.
            let (a, b) = if i % 2 == 1 {
                (other, outcome)
            } else {
                (outcome, other)
            };
            let index = selected[s];
            match judge(&a, &b) {
                Some(verdict) if jobs > 1 => suspects.push((s, verdict)),
                Some((status, detail)) => {
                    report.tests[index] =
                        TestReport::unexplored(&cases[index].name, status, Some(detail));
                    on(SuiteEvent::TestDone {
                        index,
                        test: &report.tests[index],
                    });
                }
                None => {
                    let found = sites::sites(&a.trace);
                    explorable.push(Explorable {
                        index,
                        name: cases[index].name.clone(),
                        args: args[s].clone(),
                        sites: found.len() as u64,
                        trials: trials(&found, &sites::woken(&a.trace), options),
                        mine: Vec::new(),
                    });
                }
            }
            ControlFlow::Continue(())
        },
    )?;
    // Run one at a time, a test that passes and agrees with itself shares state between
    // its runs (a server's key): said so, with the remedies, and not explored.
    for (s, (mut status, mut detail)) in suspects {
        let index = selected[s];
        if !quiet.interrupted() {
            let (a, b) = (quiet.run(guest, &args[s])?, quiet.run(guest, &args[s])?);
            if judge(&a, &b).is_none() {
                (status, detail) = (TestVerdict::Flaky, SIDE_BY_SIDE.into());
            }
        }
        report.tests[index] = TestReport::unexplored(&cases[index].name, status, Some(detail));
        on(SuiteEvent::TestDone {
            index,
            test: &report.tests[index],
        });
    }
    // The trials are numbered in list order, whatever order the tests ended in.
    explorable.sort_by_key(|t| t.index);
    Ok(explorable)
}

/// Why a test whose fault-free runs fail side by side and pass one at a time is flaky:
/// its [`TestReport::detail`].
///
/// ```
/// assert!(wouldblock::explore::SIDE_BY_SIDE.contains("WOULDBLOCK_RUN_ID"));
/// ```
pub const SIDE_BY_SIDE: &str = "fails only when its runs share the server: its two \
     fault-free runs failed or parted side by side and passed alike one at a time; keep its \
     keys apart with WOULDBLOCK_RUN_ID, or run with --jobs 1";

/// Whether two fault-free runs of one test rule its exploration out: `failed` when both
/// fail, `flaky` when they part (one passes, or their normalised traces differ).
fn judge(a: &Outcome, b: &Outcome) -> Option<(TestVerdict, String)> {
    match (suite::passed(a), suite::passed(b)) {
        (false, false) => Some((
            TestVerdict::Failed,
            format!("{}\n{}", a.summary(), evidence(a)),
        )),
        (true, true) => {
            let (x, y) = (a.trace.normalized(), b.trace.normalized());
            let (x, y) = (
                crate::trace::render(x.events()),
                crate::trace::render(y.events()),
            );
            let parted = x.lines().zip(y.lines()).position(|(p, q)| p != q);
            let lines = (x.lines().count(), y.lines().count());
            match parted {
                Some(n) => Some((
                    TestVerdict::Flaky,
                    format!(
                        "its two fault-free runs part at trace line {}: `{}` vs `{}`",
                        n + 1,
                        x.lines().nth(n).unwrap_or_default(),
                        y.lines().nth(n).unwrap_or_default()
                    ),
                )),
                None if lines.0 != lines.1 => Some((
                    TestVerdict::Flaky,
                    format!(
                        "its two fault-free runs part at trace line {}: one ends there, the \
                         other goes on",
                        lines.0.min(lines.1) + 1
                    ),
                )),
                None => None,
            }
        }
        (pass, _) => Some((
            TestVerdict::Flaky,
            format!(
                "of its two fault-free runs one passed and one ended {}",
                if pass { b.ending() } else { a.ending() }
            ),
        )),
    }
}

/// Hands out every explorable test's trials, in list order, to `shard` `(i, n)`: trial
/// `j` of the whole suite is the shard's when `j % n == i - 1`.
fn slice(explorable: &mut [Explorable], (i, n): (u64, u64)) {
    let mut j = 0u64;
    for test in explorable {
        test.mine = (0..test.trials.len())
            .filter(|_| {
                let mine = n <= 1 || j % n == i.saturating_sub(1);
                j += 1;
                mine
            })
            .collect();
    }
}

/// One explored test's report: its groups settled (shrunk unless `cut`).
fn explored(
    quiet: &Harness,
    guest: &Guest,
    test: &Explorable,
    ran: u64,
    groups: Groups<'_>,
    cut: bool,
    options: ExploreOptions,
) -> Result<TestReport, Error> {
    let Found {
        findings,
        notes,
        host_bugs,
    } = settle(quiet, guest, &test.args, groups, cut)?;
    let status = match () {
        () if cut => TestVerdict::Incomplete,
        () if findings.is_empty() => TestVerdict::Clean,
        () => TestVerdict::Findings,
    };
    let report = Report {
        format: REPORT_FORMAT,
        exploration: Exploration {
            args: test.args.clone(),
            ..Exploration::default()
        },
        incomplete: cut,
        not_run: test.mine.len() as u64 - ran,
        sites: test.sites,
        // As a program's exploration counts: one fault-free run, and the trials.
        runs: ran + 1,
        trials: test.trials.len() as u64,
        shard: options.shard,
        baseline_failure: None,
        harness_failure: None,
        findings,
        notes,
        host_bugs,
        ..Report::default()
    };
    Ok(TestReport {
        name: test.name.clone(),
        status,
        detail: None,
        unexplored: test.mine.len() as u64 - ran,
        report,
    })
}
