//! `wouldblock run --repeat N`: a race test's many runs in one process, with a progress
//! bar on a terminal, a line per 10% in CI, and the determinism check at the end.

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use wouldblock::{Exit, Guest, Harness};

/// Runs, reports, and returns the status: 0 only if every run passed the same way.
pub fn repeat(
    harness: &Harness,
    guest: &Guest,
    args: &[String],
    runs: u64,
    jobs: Option<usize>,
) -> Result<i32> {
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let start = Instant::now();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(runs);
        let style = ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {per_sec}, {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar
    });
    let reported = AtomicU64::new(0);
    let progress = |done: u64| match &bar {
        Some(bar) => bar.set_position(done),
        // Without a terminal, a line per tenth, so CI logs stay short.
        None => {
            let tenth = done * 10 / runs.max(1);
            if reported.fetch_max(tenth, Ordering::Relaxed) < tenth {
                let rate = done as f64 / start.elapsed().as_secs_f64().max(1e-9);
                eprintln!("wouldblock: {done}/{runs} runs ({:.0} runs/s)", rate);
            }
        }
    };
    let repeat = harness.repeat(guest, args, runs, jobs, progress)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "wouldblock: {runs} runs in {secs:.2} s on {jobs} threads ({:.0} runs/s)",
        runs as f64 / secs.max(1e-9)
    );
    for (ending, count) in &repeat.endings {
        eprintln!("  {count:>8}  {ending}");
    }
    if let Some((index, outcome)) = &repeat.first_failure {
        eprintln!("first failing run: run {index}");
        if let Exit::Stopped(stop) = &outcome.exit {
            eprintln!("  {}: {}", stop.verdict, stop.reason);
            if !stop.evidence.is_empty() {
                eprintln!("  evidence:\n{}", stop.evidence.trim_end());
            }
        }
        let stderr = outcome.stderr_text();
        for line in stderr
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .iter()
            .rev()
        {
            eprintln!("  | {line}");
        }
        eprintln!("  {}", outcome.summary());
    }
    if repeat.differing == 0 {
        eprintln!("deterministic: every run's normalised trace is run 1's");
    } else {
        eprintln!(
            "nondeterministic: {} of {runs} runs took another path than run 1",
            repeat.differing
        );
        for (index, difference) in &repeat.nondeterministic {
            eprintln!("  run {index}: {difference}");
        }
    }
    Ok(repeat.exit_code())
}
