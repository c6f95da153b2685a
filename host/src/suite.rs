//! Test suites as the main use: a libtest component's tests, each run in its own fresh
//! instance of the one compiled component, under the same plan, in parallel. A test that
//! panics fails alone; the tests after it still run.

use crate::error::Error;
use crate::harness::{Guest, Harness};
use crate::outcome::Outcome;
use crate::pool;
use crate::settings::{LISTING_LIMIT, Output};
use crate::verdict::Exit;
use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, Instant};

/// One test of a libtest component.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::suite::{self, Selection};
/// let harness = wouldblock::Builder::new().build()?;
/// let guest = harness.load(wouldblock_guests::GUEST_SUITE.as_ref())?;
/// let cases = suite::list(&harness, &guest, &Selection::default())?;
/// assert!(cases.iter().any(|case| case.name == "ignored_one" && case.ignored));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// Its full name, e.g. `udp::tests::sends`.
    pub name: String,
    /// Marked `#[ignore]`.
    pub ignored: bool,
}

impl TestCase {
    /// The arguments that run this test alone in an instance of its own, as every run of
    /// a suite does (a finding's plan replays on them too).
    ///
    /// ```
    /// use wouldblock::suite::TestCase;
    /// let case = TestCase { name: "udp::sends".into(), ignored: false };
    /// assert_eq!(case.args()[..2], ["udp::sends", "--exact"]);
    /// ```
    pub fn args(&self) -> Vec<String> {
        // `--nocapture`: a panic aborts the instance at once, so libtest's captured output
        // would die with it; on stderr the panic message reaches the harness.
        let mut args = vec![
            self.name.as_str(),
            "--exact",
            "--test-threads",
            "1",
            "--nocapture",
        ];
        if self.ignored {
            args.push("--include-ignored");
        }
        args.into_iter().map(String::from).collect()
    }
}

/// Which tests to run, as libtest's own flags say it.
///
/// ```
/// use wouldblock::suite::Selection;
/// let every = Selection::default(); // every test not `#[ignore]`d
/// assert!(every.filters.is_empty() && !every.include_ignored && !every.ignored_only);
/// assert!(Selection::from_args(&["--ignored"]).ignored_only);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Filters and `--exact` / `--skip NAME`, passed to libtest's own listing.
    pub filters: Vec<String>,
    /// `--ignored`: only the ignored tests.
    pub ignored_only: bool,
    /// `--include-ignored`: the ignored tests too.
    pub include_ignored: bool,
    /// `--list`: list the tests, run none (libtest lists them itself).
    pub list: bool,
}

impl Selection {
    /// Reads libtest's arguments: filters, `--exact`, `--skip NAME` (or `--skip=NAME`),
    /// `--ignored`, `--include-ignored`, `--list`; flags about output and threads are
    /// dropped, each test having an instance of its own.
    ///
    /// ```
    /// let s = wouldblock::suite::Selection::from_args(&["udp", "--include-ignored", "--test-threads=1", "--skip=slow"]);
    /// assert_eq!(s.filters, ["udp", "--skip", "slow"]);
    /// assert!(s.include_ignored);
    /// ```
    pub fn from_args(args: &[impl AsRef<str>]) -> Self {
        let mut selection = Selection::default();
        let mut args = args.iter().map(AsRef::as_ref);
        while let Some(arg) = args.next() {
            // `--flag=value` is `--flag value`, as libtest's getopts reads it.
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
                _ => (arg, None),
            };
            let mut value = || {
                inline
                    .map(str::to_string)
                    .or_else(|| args.next().map(str::to_string))
            };
            match flag {
                "--ignored" => selection.ignored_only = true,
                "--include-ignored" => selection.include_ignored = true,
                "--list" => selection.list = true,
                "--exact" => selection.filters.push(flag.into()),
                "--skip" => {
                    let name = value();
                    selection.filters.push(flag.into());
                    selection.filters.extend(name);
                }
                "--test-threads" | "--format" | "--color" | "-Z" | "--logfile"
                | "--shuffle-seed" => {
                    value();
                }
                flag if flag.starts_with('-') => {}
                filter => selection.filters.push(filter.into()),
            }
        }
        selection
    }
}

/// How one test went.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::suite::{self, Selection};
/// let harness = wouldblock::Builder::new().build()?;
/// let guest = harness.load(wouldblock_guests::GUEST_SUITE.as_ref())?;
/// let selection = Selection::default();
/// let cases = suite::list(&harness, &guest, &selection)?;
/// for result in suite::run(&harness, &guest, &cases, &selection, 4)? {
///     println!("{} {} in {:?}", result.status(), result.case.name, result.duration);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TestResult {
    /// The test.
    pub case: TestCase,
    /// Its run, or `None` if it was ignored and not asked for.
    pub outcome: Option<Outcome>,
    /// How long its run took.
    pub duration: Duration,
}

/// How one test went, in a word.
///
/// ```
/// use wouldblock::suite::TestStatus;
/// assert_eq!(TestStatus::Pass.to_string(), "pass");
/// assert_eq!(TestStatus::Skip.to_string(), "skip");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestStatus {
    /// It ran, alone, and passed.
    Pass,
    /// It ran and did not pass (see [`TestResult::failure`]).
    Fail,
    /// It is ignored and was not asked for.
    Skip,
}

impl fmt::Display for TestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TestStatus::Pass => "pass",
            TestStatus::Fail => "fail",
            TestStatus::Skip => "skip",
        })
    }
}

impl TestResult {
    /// Passed, failed or skipped.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wouldblock::suite::{TestCase, TestResult, TestStatus};
    /// let case = TestCase { name: "ignored_one".into(), ignored: true };
    /// let skipped = TestResult { case, outcome: None, duration: Duration::ZERO };
    /// assert_eq!(skipped.status(), TestStatus::Skip);
    /// ```
    pub fn status(&self) -> TestStatus {
        match &self.outcome {
            None => TestStatus::Skip,
            Some(outcome) if passed(outcome) => TestStatus::Pass,
            Some(_) => TestStatus::Fail,
        }
    }

    /// Why it failed, in one line: the verdict, the panic, or the exit status.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::suite::{self, Selection};
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.load(wouldblock_guests::GUEST_SUITE.as_ref())?;
    /// let selection = Selection::from_args(&["panics_on_purpose", "--exact"]);
    /// let cases = suite::list(&harness, &guest, &selection)?;
    /// let results = suite::run(&harness, &guest, &cases, &selection, 1)?;
    /// let why = results[0].failure().unwrap_or_default();
    /// assert!(why.starts_with("panic: panicked at tests/suite.rs"), "{why}");
    /// # Ok(()) }
    /// ```
    pub fn failure(&self) -> Option<String> {
        let outcome = self.outcome.as_ref().filter(|o| !passed(o))?;
        Some(match &outcome.exit {
            Exit::Stopped(stop) => format!("{}: {}", stop.verdict, stop.reason),
            Exit::Abort { kind, message, .. } => format!("{kind}: {message}"),
            Exit::Code(0) => "the test did not run: libtest found no test of that name".into(),
            Exit::Code(code) => format!("exit {code}"),
        })
    }
}

/// A test passed when its instance exited 0 having run exactly that one test.
pub(crate) fn passed(outcome: &Outcome) -> bool {
    outcome.passed() && outcome.stdout_text().contains("test result: ok. 1 passed")
}

/// Lists the tests `selection` picks, asking the component itself (`--list --format
/// terse`), ignored ones marked.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::suite::{self, Selection};
/// let harness = wouldblock::Builder::new().build()?;
/// let guest = harness.load(wouldblock_guests::GUEST_SUITE.as_ref())?;
/// let cases = suite::list(&harness, &guest, &Selection::from_args(&["adds", "--exact"]))?;
/// let names: Vec<&str> = cases.iter().map(|case| case.name.as_str()).collect();
/// assert_eq!(names, ["adds"]);
/// # Ok(()) }
/// ```
pub fn list(
    harness: &Harness,
    guest: &Guest,
    selection: &Selection,
) -> Result<Vec<TestCase>, Error> {
    // A listing is read whole or refused, never cut: a test missing from it would never
    // run and be named nowhere.
    let quiet = harness
        .with_output(Output::Capture)
        .with_capture_limit(LISTING_LIMIT);
    let names = |extra: &[&str]| -> Result<Vec<String>, Error> {
        let mut args = selection.filters.clone();
        args.extend(["--list", "--format", "terse"].map(String::from));
        args.extend(extra.iter().map(|s| s.to_string()));
        let outcome = quiet.run(guest, &args)?;
        if !outcome.passed() {
            return Err(Error::Setup(format!(
                "{}: listing its tests failed ({}); is it a libtest binary?\n{}",
                guest.name(),
                outcome.summary(),
                outcome.stderr_text()
            )));
        }
        // Past the bound, the capture keeps its first bytes and says so right after them.
        if outcome
            .stdout
            .get(LISTING_LIMIT..)
            .is_some_and(|cut| cut.starts_with(b"\n[wouldblock: "))
        {
            return Err(Error::Setup(format!(
                "{}: its test listing (--list --format terse) is over {} MiB, the most \
                 wouldblock reads of one; run a part of its tests at a time with a filter \
                 (wouldblock test {} FILTER)",
                guest.name(),
                LISTING_LIMIT >> 20,
                guest.name()
            )));
        }
        let stdout = outcome.stdout_text();
        Ok(stdout
            .lines()
            .filter_map(|line| line.strip_suffix(": test"))
            .map(str::to_string)
            .collect())
    };
    let ignored = names(&["--ignored"])?;
    if selection.ignored_only {
        return Ok(ignored
            .into_iter()
            .map(|name| TestCase {
                name,
                ignored: true,
            })
            .collect());
    }
    let ignored: HashSet<String> = ignored.into_iter().collect();
    Ok(names(&[])?
        .into_iter()
        .map(|name| TestCase {
            ignored: ignored.contains(&name),
            name,
        })
        .collect())
}

/// Runs every case in a fresh instance, `jobs` at a time (at most the harness's
/// parallelism), in list order; an ignored case runs only when the selection asks for it.
/// The results are in list order; once the harness's interrupt flag is set, only the
/// tests that ended before it.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::suite::{self, Selection, TestStatus};
/// let harness = wouldblock::Builder::new().build()?;
/// let guest = harness.load(wouldblock_guests::GUEST_SUITE.as_ref())?;
/// let selection = Selection::default();
/// let cases = suite::list(&harness, &guest, &selection)?;
/// let results = suite::run(&harness, &guest, &cases, &selection, 4)?;
/// let skipped = results.iter().filter(|r| r.status() == TestStatus::Skip).count();
/// assert_eq!(skipped, 1, "ignored_one, not asked for");
/// # Ok(()) }
/// ```
pub fn run(
    harness: &Harness,
    guest: &Guest,
    cases: &[TestCase],
    selection: &Selection,
    jobs: usize,
) -> Result<Vec<TestResult>, Error> {
    run_each(harness, guest, cases, selection, jobs, |_, _| {})
}

/// [`run`], handing each result to `on` (on the calling thread) as the test ends, with
/// its index in `cases`: a runner prints each line at once and the summary in list order.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::suite::{self, Selection};
/// let harness = wouldblock::Builder::new().build()?;
/// let guest = harness.load(wouldblock_guests::GUEST_SUITE.as_ref())?;
/// let selection = Selection::default();
/// let cases = suite::list(&harness, &guest, &selection)?;
/// let results = suite::run_each(&harness, &guest, &cases, &selection, 4, |i, result| {
///     println!("{} {}", result.status(), cases[i].name);
/// })?;
/// assert_eq!(results.len(), cases.len());
/// # Ok(()) }
/// ```
pub fn run_each(
    harness: &Harness,
    guest: &Guest,
    cases: &[TestCase],
    selection: &Selection,
    jobs: usize,
    on: impl FnMut(usize, &TestResult),
) -> Result<Vec<TestResult>, Error> {
    let quiet = harness.with_output(Output::Capture);
    let work = |index: usize| run_one(&quiet, guest, &cases[index], selection);
    let jobs = harness.workers(jobs);
    pool::try_collect(harness.interrupt(), cases.len(), jobs, work, on)
}

/// Whether the selection runs this case (an ignored one only when asked for).
pub(crate) fn runs(case: &TestCase, selection: &Selection) -> bool {
    !case.ignored || selection.ignored_only || selection.include_ignored
}

fn run_one(
    harness: &Harness,
    guest: &Guest,
    case: &TestCase,
    selection: &Selection,
) -> Result<TestResult, Error> {
    if !runs(case, selection) {
        return Ok(TestResult {
            case: case.clone(),
            outcome: None,
            duration: Duration::ZERO,
        });
    }
    let args = case.args();
    let start = Instant::now();
    let outcome = harness.run(guest, &args)?;
    Ok(TestResult {
        case: case.clone(),
        outcome: Some(outcome),
        duration: start.elapsed(),
    })
}
