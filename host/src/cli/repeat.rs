//! `wouldblock run --repeat N`: a race test's many runs in one process, with a progress
//! bar on a terminal, a line per 10% in CI, and the determinism check at the end.

use super::reporter::{Event, Html, Reporter, Start, Summary};
use anyhow::Result;
use wouldblock::{Guest, Harness};

/// Runs, reports, and returns the status: 0 only if every run passed the same way.
pub fn repeat(
    harness: &Harness,
    guest: &Guest,
    args: &[String],
    runs: u64,
    jobs: Option<usize>,
    html: Option<Html>,
) -> Result<i32> {
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut reporter = Reporter::new();
    if let Some(html) = html {
        reporter = reporter.html(html);
    }
    reporter.report(Event::RunStarted(Start::Repeat { runs, jobs }))?;
    let repeat = harness.repeat(guest, args, runs, jobs, |done| {
        reporter.progress(done, runs);
    })?;
    reporter.report(Event::Summary(Summary::Repeat(&repeat)))?;
    reporter.report(Event::RunEnded)?;
    Ok(repeat.exit_code())
}
