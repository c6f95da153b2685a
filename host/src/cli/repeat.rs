//! `wouldblock run --repeat N`: a race test's many runs in one process, with a progress
//! bar on a terminal, a line per 10% in CI, and the determinism check at the end. Every
//! run reads an empty stdin (one stdin cannot be given to thousands of runs), and SIGINT
//! or SIGTERM stops the runs and reports those that ended.

use super::options::HarnessArgs;
use super::reporter::{Event, Reporter, Start, Summary};
use super::signal;
use anyhow::Result;
use wouldblock::{Guest, Harness, Repeat};

/// The harness for `jobs` runs at once, stopped by SIGINT and SIGTERM.
pub fn harness(options: &HarnessArgs, jobs: usize) -> Result<Harness> {
    let builder = options
        .builder()?
        .inherit_stdin(false)
        .parallelism(jobs)
        .interrupt(signal::install());
    Ok(builder.build()?)
}

/// Runs and reports through `reporter`; returns what the runs gave.
pub fn repeat(
    harness: &Harness,
    guest: &Guest,
    args: &[String],
    runs: u64,
    jobs: usize,
    mut reporter: Reporter,
) -> Result<Repeat> {
    // Run 1 goes alone; the others share the threads.
    let jobs = jobs.min(usize::try_from(runs - 1).unwrap_or(usize::MAX).max(1));
    reporter.report(Event::RunStarted(Start::Repeat { runs, jobs }))?;
    let repeat = Repeat::run(harness, guest, args, runs, jobs, |done| {
        reporter.progress(done, runs);
    })?;
    if let Some((_, signal)) = signal::interrupted() {
        reporter.report(Event::Interrupted {
            signal,
            done: repeat.runs,
            total: runs,
        })?;
    }
    reporter.report(Event::Summary(Summary::Repeat(&repeat)))?;
    reporter.report(Event::RunEnded)?;
    Ok(repeat)
}
