//! The same plan many times in one process: one compiled component, runs spread over
//! worker threads, each run's normalised trace hashed and compared with run 1's, so a run
//! that went another way is reported as `nondeterministic` with the first line that
//! differs.

use crate::error::Error;
use crate::harness::{Guest, Harness};
use crate::outcome::{Exit, Outcome};
use crate::settings::Output;
use std::collections::BTreeMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Status of a repeat whose runs did not all take the same path.
pub const EXIT_NONDETERMINISTIC: i32 = 91;

/// What N runs of one plan gave.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Repeat {
    /// Runs made.
    pub runs: u64,
    /// How many runs ended each way: `pass`, `fail (exit N)`, `panic`, or a verdict.
    pub endings: BTreeMap<String, u64>,
    /// The first run (1-based) that did not pass, and its outcome.
    pub first_failure: Option<(u64, Outcome)>,
    /// Runs (1-based) whose normalised trace differs from run 1's, with the first line
    /// that differs (at most ten are kept).
    pub nondeterministic: Vec<(u64, String)>,
    /// How many runs differed from run 1 in all.
    pub differing: u64,
}

impl Repeat {
    /// 0 if every run passed the same way; else the first failing run's status, or 91 if
    /// only the traces differed.
    pub fn exit_code(&self) -> i32 {
        match &self.first_failure {
            Some((_, outcome)) => outcome.exit_code(),
            None if self.differing > 0 => EXIT_NONDETERMINISTIC,
            None => 0,
        }
    }
}

/// How a run ended, as the repeat summary counts it.
pub(crate) fn ending(outcome: &Outcome) -> String {
    match &outcome.exit {
        Exit::Code(0) => "pass".into(),
        Exit::Code(code) => format!("fail (exit {code})"),
        Exit::Abort { kind, status, .. } => format!("{kind} (exit {status})"),
        Exit::Stopped(stop) => stop.verdict.name().into(),
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

impl Harness {
    /// Runs `guest args...` `runs` times on `jobs` threads, output captured; `progress`
    /// is called after each run with the number done. Run 1 goes first, alone: its trace
    /// is what every other run is compared with.
    ///
    /// ```no_run
    /// # fn main() -> anyhow::Result<()> {
    /// let harness = wouldblock::Builder::new().fault("first-send")?.build()?;
    /// let guest = harness.compile("udp-send", wouldblock_guests::UDP_SEND.wasm)?;
    /// let repeat = harness.repeat(&guest, &["127.0.0.1:9"], 1000, 2, |_| {})?;
    /// assert_eq!(repeat.endings.get("pass"), Some(&1000));
    /// assert!(repeat.nondeterministic.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn repeat(
        &self,
        guest: &Guest,
        args: &[impl AsRef<str> + Sync],
        runs: u64,
        jobs: usize,
        progress: impl Fn(u64) + Sync,
    ) -> Result<Repeat, Error> {
        let quiet = self.with_output(Output::Capture);
        let state = Mutex::new(Repeat {
            runs,
            endings: BTreeMap::new(),
            first_failure: None,
            nondeterministic: Vec::new(),
            differing: 0,
        });
        let record = |index: u64, outcome: Outcome, reference: &str| {
            let lines = outcome.trace.normalized().to_json_lines();
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            *state.endings.entry(ending(&outcome)).or_default() += 1;
            if index > 1 && digest(&lines) != digest(reference) {
                state.differing += 1;
                if state.nondeterministic.len() < 10 {
                    let difference = first_difference(reference, &lines);
                    state.nondeterministic.push((index, difference));
                }
            }
            let earlier = state
                .first_failure
                .as_ref()
                .is_some_and(|(i, _)| *i < index);
            if !outcome.passed() && !earlier {
                state.first_failure = Some((index, outcome));
            }
        };
        if runs == 0 {
            return Ok(state.into_inner().unwrap_or_else(|e| e.into_inner()));
        }
        let first = quiet.run(guest, args)?;
        let reference = first.trace.normalized().to_json_lines();
        record(1, first, &reference);
        progress(1);
        let next = AtomicU64::new(2);
        let done = AtomicU64::new(1);
        let error: Mutex<Option<Error>> = Mutex::new(None);
        std::thread::scope(|scope| {
            for _ in 0..jobs.max(1) {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index > runs || error.lock().map_or(true, |e| e.is_some()) {
                            return;
                        }
                        match quiet.run(guest, args) {
                            Ok(outcome) => record(index, outcome, &reference),
                            Err(e) => {
                                *error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                                return;
                            }
                        }
                        progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                    }
                });
            }
        });
        if let Some(e) = error.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(e);
        }
        Ok(state.into_inner().unwrap_or_else(|e| e.into_inner()))
    }
}
