//! The same plan many times in one process: one compiled component, runs spread over
//! worker threads, each run's normalised trace hashed and compared with run 1's, so a run
//! that went another way is reported as `nondeterministic` with the first line that
//! differs.

use crate::error::Error;
use crate::harness::{Guest, Harness};
use crate::outcome::Outcome;
use crate::pool;
use crate::settings::Output;
use std::collections::BTreeMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::ops::ControlFlow;

/// Status of a repeat whose runs did not all take the same path.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let harness = wouldblock::Builder::new().build()?;
/// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
/// // 1 to 8 random sockets a run: the runs do not all take the same path.
/// let repeat = wouldblock::Repeat::run(&harness, &guest, &["random-sockets"], 40, 2, |_| {})?;
/// assert_eq!(repeat.exit_code(), wouldblock::EXIT_NONDETERMINISTIC);
/// # Ok(()) }
/// ```
pub const EXIT_NONDETERMINISTIC: i32 = 91;

/// What N runs of one plan gave.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let harness = wouldblock::Builder::new().build()?;
/// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
/// let repeat = wouldblock::Repeat::run(&harness, &guest, &["sockets", "3"], 200, 2, |_| {})?;
/// assert_eq!((repeat.runs, repeat.endings.get("pass")), (200, Some(&200)));
/// assert_eq!(repeat.differing, 0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Repeat {
    /// Runs made.
    pub runs: u64,
    /// How many runs ended each way, keyed by the [`Ending`](crate::Ending)'s text
    /// (`pass`, `fail (exit 1)`, `panic (exit 101)`, `busy-loop`, ...), in that text's order.
    pub endings: BTreeMap<String, u64>,
    /// The first run (1-based) that did not pass, and its outcome.
    pub first_failure: Option<(u64, Outcome)>,
    /// Runs (1-based) whose normalised trace differs from run 1's, with the first line
    /// that differs (at most ten are kept).
    pub nondeterministic: Vec<(u64, String)>,
    /// How many runs differed from run 1 in all.
    pub differing: u64,
    /// Run 1's outcome when it passed (a failing run 1 is [`Repeat::first_failure`]): what
    /// `--trace` and `--summary-json` write when every run passed.
    pub first: Option<Outcome>,
    /// Stopped early by the harness's interrupt flag: `runs` counts the runs that ended.
    pub incomplete: bool,
}

impl Repeat {
    /// Runs `guest args...` `runs` times on `jobs` threads, output captured; `progress`
    /// is called on the calling thread after each run with the number done. Run 1 goes
    /// first, alone: its trace is what every other run is compared with. At most as many
    /// threads as the harness was built for ([`Builder::parallelism`](crate::Builder::parallelism))
    /// run at once; the interrupt flag, once set, ends it early (`incomplete`).
    ///
    /// ```no_run
    /// # fn main() -> anyhow::Result<()> {
    /// use wouldblock::Repeat;
    /// let harness = wouldblock::Builder::new().fault("first-send")?.build()?;
    /// let guest = harness.compile("udp-send", wouldblock_guests::UDP_SEND.wasm)?;
    /// let repeat = Repeat::run(&harness, &guest, &["127.0.0.1:9"], 1000, 2, |_| {})?;
    /// assert_eq!(repeat.endings.get("pass"), Some(&1000));
    /// assert!(repeat.nondeterministic.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn run(
        harness: &Harness,
        guest: &Guest,
        args: &[impl AsRef<str> + Sync],
        runs: u64,
        jobs: usize,
        mut progress: impl FnMut(u64),
    ) -> Result<Repeat, Error> {
        let quiet = harness.with_output(Output::Capture);
        let mut repeat = Repeat {
            runs,
            ..Repeat::default()
        };
        if runs == 0 {
            return Ok(repeat);
        }
        let first = quiet.run(guest, args)?;
        let reference = first.trace.normalized().to_json_lines();
        let reference_digest = digest(&reference);
        if first.passed() {
            repeat.first = Some(first.clone());
        }
        repeat.record(1, first, None);
        progress(1);
        let rest = usize::try_from(runs - 1)
            .map_err(|_| Error::Setup(format!("{runs} runs are more than this machine counts")))?;
        // The traces are normalised and compared on the workers: the calling thread only
        // counts.
        let work = |_: usize| -> Result<(Outcome, Option<String>), Error> {
            let outcome = quiet.run(guest, args)?;
            let lines = outcome.trace.normalized().to_json_lines();
            let difference =
                (digest(&lines) != reference_digest).then(|| first_difference(&reference, &lines));
            Ok((outcome, difference))
        };
        let (mut done, mut error) = (1, None);
        let jobs = harness.workers(jobs);
        let interrupted = pool::run(
            harness.interrupt(),
            rest,
            jobs,
            work,
            |i, result| match result {
                Ok((outcome, difference)) => {
                    repeat.record(i as u64 + 2, outcome, difference);
                    done += 1;
                    progress(done);
                    ControlFlow::Continue(())
                }
                Err(e) => {
                    error = Some(e);
                    ControlFlow::Break(())
                }
            },
        );
        if interrupted {
            repeat.incomplete = true;
            repeat.runs = done;
        }
        match error {
            Some(e) => Err(e),
            None => Ok(repeat),
        }
    }

    /// 0 if every run passed the same way; else the first failing run's status, or 91 if
    /// only the traces differed.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::Repeat;
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// assert_eq!(Repeat::run(&harness, &guest, &["exit", "0"], 10, 2, |_| {})?.exit_code(), 0);
    /// assert_eq!(Repeat::run(&harness, &guest, &["exit", "3"], 10, 2, |_| {})?.exit_code(), 3);
    /// # Ok(()) }
    /// ```
    pub fn exit_code(&self) -> i32 {
        match &self.first_failure {
            Some((_, outcome)) => outcome.exit_code(),
            None if self.differing > 0 => EXIT_NONDETERMINISTIC,
            None => 0,
        }
    }

    /// The run `--trace` and `--summary-json` describe: the first failing one, else run 1.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let repeat = wouldblock::Repeat::run(&harness, &guest, &["exit", "0"], 10, 2, |_| {})?;
    /// let (index, outcome) = repeat.described().expect("a run was made");
    /// assert!(index == 1 && outcome.passed());
    /// # Ok(()) }
    /// ```
    pub fn described(&self) -> Option<(u64, &Outcome)> {
        match &self.first_failure {
            Some((index, outcome)) => Some((*index, outcome)),
            None => self.first.as_ref().map(|outcome| (1, outcome)),
        }
    }

    /// Counts run `index`'s ending; `difference` is where its trace left run 1's, if it did.
    fn record(&mut self, index: u64, outcome: Outcome, difference: Option<String>) {
        *self
            .endings
            .entry(outcome.ending().to_string())
            .or_default() += 1;
        if let Some(difference) = difference {
            self.differing += 1;
            if self.nondeterministic.len() < 10 {
                self.nondeterministic.push((index, difference));
            }
        }
        // Runs end out of order: the earliest failing one is kept, not the first to end.
        let earlier = self.first_failure.as_ref().is_some_and(|(i, _)| *i < index);
        if !outcome.passed() && !earlier {
            self.first_failure = Some((index, outcome));
        }
    }
}

fn digest(lines: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    lines.hash(&mut hasher);
    hasher.finish()
}

/// The first line where `other` differs from `first`.
fn first_difference(first: &str, other: &str) -> String {
    let (mut a, mut b) = (first.lines(), other.lines());
    for n in 1.. {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (x, y) => {
                return format!(
                    "line {n}: run 1 has {}, this run has {}",
                    x.unwrap_or("no more lines"),
                    y.unwrap_or("no more lines")
                );
            }
        }
    }
    unreachable!("the loop returns")
}
