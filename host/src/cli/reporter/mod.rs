//! The one reporter, in nextest's shape: a command says what happens as typed [`Event`]s,
//! and displayers turn them into what people and tools read: the terminal's (and CI log's)
//! lines ([`terminal`]), a JUnit file ([`junit`]), a JSON file ([`json`]), an HTML page
//! ([`html`]). No command formats a verdict or its evidence itself.

mod explore_suite;
mod html;
mod json;
mod junit;
mod table;
mod terminal;

pub use html::{Html, Invocation};
pub use json::Json;
pub use junit::Junit;

use anyhow::Result;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use terminal::Terminal;
use wouldblock::explore::{Finding, Report, SuiteReport, TestReport};
use wouldblock::suite::TestResult;
use wouldblock::{Outcome, Repeat};

/// What a command began.
#[derive(Debug, Clone, Copy)]
pub enum Start<'a> {
    /// One run of a component (`wouldblock run`).
    Run,
    /// The same plan `runs` times on `jobs` threads (`run --repeat`).
    Repeat {
        /// Runs in all.
        runs: u64,
        /// Threads.
        jobs: usize,
    },
    /// A libtest component's tests, one instance each (`wouldblock test`).
    Suite {
        /// Tests listed.
        tests: usize,
        /// Tests run at once.
        jobs: usize,
        /// The component's name.
        component: &'a str,
    },
    /// An exploration, or the merge of shard reports (`wouldblock explore`).
    Explore,
    /// A libtest suite explored a test at a time (`test --explore`, `explore` of a test
    /// binary), or the merge of its shard reports.
    ExploreSuite {
        /// Tests listed.
        tests: usize,
        /// Threads.
        jobs: usize,
        /// The component's name.
        component: &'a str,
        /// 1 or 2.
        depth: u8,
    },
}

/// The end of a command, with everything its summary needs.
#[derive(Debug, Clone, Copy)]
pub enum Summary<'a> {
    /// How the one run ended.
    Run(&'a Outcome),
    /// What the runs gave.
    Repeat(&'a Repeat),
    /// Every test's result, in list order.
    Suite(&'a [TestResult]),
    /// The exploration's report.
    Explore(&'a Report),
    /// The suite exploration's report, and the plan files of its findings (in list
    /// order, each test's findings, notes and host-bug results).
    ExploreSuite {
        /// The report.
        report: &'a SuiteReport,
        /// The plan files.
        files: &'a [PathBuf],
        /// The runs the findings' plans give, replayed for their timelines, in the same
        /// order (only with `--html`, and not for a merge of shard reports).
        outcomes: &'a [Outcome],
    },
}

/// Something that happened, in the order it did.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// The command began: the reporter's clock starts.
    RunStarted(Start<'a>),
    /// Runs done of the total (a bar on a terminal).
    Progress {
        /// Runs done.
        done: u64,
        /// Runs in all.
        total: u64,
    },
    /// A test ended: its line is printed at once.
    TestEnded {
        /// Its place in the list.
        index: usize,
        /// How it went.
        result: &'a TestResult,
    },
    /// A test of an explored suite is done: its line is printed at once.
    TestExplored {
        /// What it gave.
        test: &'a TestReport,
    },
    /// One finding or robustness note of an exploration, in the report's order.
    Finding {
        /// The finding.
        finding: &'a Finding,
        /// The plan file that replays it.
        file: Option<&'a Path>,
        /// The run its plan gives, replayed for its timeline (only with `--html`, and
        /// not for a merge of shard reports, which has no component).
        outcome: Option<&'a Outcome>,
    },
    /// A signal stopped the runs: what ended is reported, marked incomplete.
    Interrupted {
        /// `SIGINT` or `SIGTERM`.
        signal: &'static str,
        /// Runs, tests or trials that ended.
        done: u64,
        /// How many there were to run.
        total: u64,
    },
    /// The summary.
    Summary(Summary<'a>),
    /// The command is done.
    RunEnded,
}

/// Turns events into one kind of output.
trait Displayer: Send {
    /// Shows `event`, `elapsed` after the run started.
    fn display(&mut self, event: &Event<'_>, elapsed: Duration) -> Result<()>;
}

/// Hands each event to every displayer: the files first, so that a path that cannot be
/// written stops the command before the terminal says it is done (the JUnit file is
/// written last, at the run's end, as nextest does).
pub struct Reporter {
    json: Option<Json>,
    html: Option<Html>,
    terminal: Terminal,
    junit: Option<Junit>,
    started: Instant,
}

/// How much of a test line's reason fits on a terminal.
const TERMINAL_WIDTH: usize = 100;

impl Reporter {
    /// The terminal's lines on stdout and stderr; a progress bar only when stderr is a
    /// terminal.
    pub fn new() -> Self {
        // Test lines are cut to a terminal's width only: a file or a CI log keeps them
        // whole.
        let width = std::io::stdout().is_terminal().then_some(TERMINAL_WIDTH);
        let terminal = Terminal::new(
            Box::new(std::io::stdout()),
            Box::new(std::io::stderr()),
            std::io::stderr().is_terminal(),
        )
        .cut_at(width);
        Self {
            json: None,
            html: None,
            terminal,
            junit: None,
            started: Instant::now(),
        }
    }

    /// Also writes JSON.
    pub fn json(mut self, json: Json) -> Self {
        self.json = Some(json);
        self
    }

    /// Also writes an HTML report.
    pub fn html(mut self, html: Html) -> Self {
        self.html = Some(html);
        self
    }

    /// Also writes a JUnit report.
    pub fn junit(mut self, junit: Junit) -> Self {
        self.junit = Some(junit);
        self
    }

    /// Reports one event to every displayer, in order; the first that fails stops it.
    pub fn report(&mut self, event: Event<'_>) -> Result<()> {
        if let Event::RunStarted(_) = event {
            self.started = Instant::now();
        }
        let elapsed = self.started.elapsed();
        if let Some(json) = &mut self.json {
            json.display(&event, elapsed)?;
        }
        if let Some(html) = &mut self.html {
            html.display(&event, elapsed)?;
        }
        self.terminal.display(&event, elapsed)?;
        if let Some(junit) = &mut self.junit {
            junit.display(&event, elapsed)?;
        }
        Ok(())
    }

    /// Reports progress: a bar or a log line that cannot be drawn is not worth stopping
    /// the runs for.
    pub fn progress(&mut self, done: u64, total: u64) {
        let _ = self.report(Event::Progress { done, total });
    }
}

#[cfg(test)]
mod tests;

/// A test's name as a terminal line shows it: its control characters (an escape
/// sequence, CR, NUL) escaped, so a hostile name cannot move the cursor, recolour or hide
/// the lines around it.
pub(crate) fn shown(name: &str) -> std::borrow::Cow<'_, str> {
    if !name.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(name);
    }
    std::borrow::Cow::Owned(
        name.chars()
            .map(|c| match c {
                c if c.is_control() => c.escape_default().to_string(),
                c => c.to_string(),
            })
            .collect(),
    )
}
