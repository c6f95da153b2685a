//! `--html FILE`: one self-contained page (no network, no fonts or scripts from elsewhere)
//! that a reviewer opens from a CI artifact: the header (component, command, plan, clock,
//! versions, wall time, outcome), then a run's timeline (`run`, `--repeat`'s first failing
//! run), an exploration's findings table with each finding's timeline (`explore`), or a
//! suite's tests with their timelines on demand (`test`). Written when the command ends,
//! whatever its outcome, and also when it stops on an error midway (then it says so).

mod invocation;
mod text;
mod timeline;
mod views;

pub use invocation::Invocation;

use super::{Displayer, Event, Start, Summary};
use crate::cli::output::OutFile;
use crate::cli::shell::{shell_quote, shell_words};
use anyhow::{Context, Result};
use askama::Template;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;
use views::{FindingView, RunView, TestRow, rule_names};
use wouldblock::explore::{Finding, SuiteReport, Tier};
use wouldblock::suite::TestStatus;
use wouldblock::{Outcome, Repeat};

/// The wasmtime the binary links (`host/Cargo.toml` pins it; a test keeps them equal).
const WASMTIME: &str = "48.0.8";

/// The component as the header names it.
struct Component {
    name: String,
    path: String,
    size: String,
    sha256: String,
}

impl Component {
    fn read(path: &Path) -> Self {
        let mut hasher = Sha256::new();
        let size = File::open(path).and_then(|mut f| std::io::copy(&mut f, &mut hasher));
        let (size, sha256) = match size {
            Ok(n) => (
                format!("{} ({} bytes)", text::bytes(n), text::thousands(n)),
                hasher.finalize().iter().fold(String::new(), |mut s, b| {
                    let _ = write!(s, "{b:02x}");
                    s
                }),
            ),
            Err(e) => (format!("unreadable: {e}"), String::new()),
        };
        Self {
            name: path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            path: path.display().to_string(),
            size,
            sha256,
        }
    }
}

/// `run --repeat`'s part of the page.
pub struct RepeatView {
    endings: Vec<(String, String)>,
    determinism: String,
    differing: Vec<String>,
    first: Option<RunView>,
}

/// `explore`'s part of the page.
pub struct ExploreView {
    counts: String,
    baseline_failure: Option<String>,
}

/// What the page holds below its header.
enum Body {
    Run(RunView),
    Repeat(RepeatView),
    Suite { rows: Vec<TestRow>, counts: String },
    Explore(ExploreView),
}

/// The page: askama fills `host/templates/report.html`.
#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    title: String,
    kind: &'static str,
    component: Option<&'a Component>,
    command: String,
    plan: String,
    plan_toml: String,
    clock: String,
    version: &'static str,
    wasmtime: &'static str,
    wall: String,
    outcome: String,
    passed: bool,
    incomplete: bool,
    run: Option<&'a RunView>,
    repeat: Option<&'a RepeatView>,
    explore: Option<&'a ExploreView>,
    /// A suite's tests table (`test`, or an explored suite).
    suite: bool,
    rows: &'a [TestRow],
    suite_counts: String,
    findings: &'a [FindingView],
    notes: &'a [FindingView],
    test_column: bool,
    css: &'static str,
    js: &'static str,
}

/// The `--html` displayer.
pub struct Html {
    file: Option<OutFile>,
    /// Stopped by a signal: the page says it is incomplete.
    interrupted: bool,
    invocation: Invocation,
    component: Option<Component>,
    kind: &'static str,
    findings: Vec<FindingView>,
    notes: Vec<FindingView>,
    body: Option<Body>,
    outcome: (String, bool),
    elapsed: Duration,
}

impl Html {
    /// Checks and reserves the path now (a run's page is never lost to a path that cannot
    /// be written); the page is written whole when the command ends, atomically.
    pub fn create(path: &Path, invocation: Invocation) -> Result<Self> {
        let file = OutFile::reserve(path, "--html")?;
        let component = invocation.component.as_deref().map(Component::read);
        Ok(Self {
            file: Some(file),
            interrupted: false,
            invocation,
            component,
            kind: "run",
            findings: Vec::new(),
            notes: Vec::new(),
            body: None,
            outcome: (String::new(), false),
            elapsed: Duration::ZERO,
        })
    }

    fn rules(&self) -> Vec<String> {
        self.invocation
            .plan
            .as_ref()
            .map(rule_names)
            .unwrap_or_default()
    }

    fn summary(&mut self, summary: &Summary<'_>) {
        let rules = self.rules();
        let replay = self.invocation.replay.clone();
        let (body, outcome) = match summary {
            Summary::Run(outcome) => {
                let view = RunView::new("run", "The run".into(), outcome, &rules, replay);
                let line = (view.ending.clone(), view.passed);
                (Body::Run(view), line)
            }
            Summary::Repeat(repeat) => repeat_body(repeat, &rules, replay),
            Summary::ExploreSuite {
                report,
                files,
                outcomes,
            } => self.explored_suite(report, files, outcomes),
            Summary::Suite(results) => {
                let rows: Vec<TestRow> = results
                    .iter()
                    .enumerate()
                    .map(|(i, r)| TestRow::new(i + 1, r, &rules, &replay))
                    .collect();
                let count = |s| results.iter().filter(|r| r.status() == s).count();
                let (pass, fail, skip) = (
                    count(TestStatus::Pass),
                    count(TestStatus::Fail),
                    count(TestStatus::Skip),
                );
                let counts = format!(
                    "{} tests run: {pass} passed, {fail} failed, {skip} skipped",
                    pass + fail
                );
                (
                    Body::Suite {
                        rows,
                        counts: counts.clone(),
                    },
                    (counts, fail == 0),
                )
            }
            Summary::Explore(report) => {
                let shard = match report.shard {
                    (_, 1) => String::new(),
                    (i, n) => format!(" (shard {i}/{n})"),
                };
                let counts = format!(
                    "{} site(s), {} run(s) of {} trial(s){shard}: {} finding(s), {} robustness note(s)",
                    report.sites,
                    report.runs,
                    report.trials,
                    report.findings.len(),
                    report.notes.len()
                );
                let line = match &report.baseline_failure {
                    Some(_) => "the fault-free run already fails".to_string(),
                    None => format!(
                        "{} finding(s), {} robustness note(s)",
                        report.findings.len(),
                        report.notes.len()
                    ),
                };
                let view = ExploreView {
                    counts,
                    baseline_failure: report.baseline_failure.clone(),
                };
                (Body::Explore(view), (line, report.exit_code() == 0))
            }
        };
        self.body = Some(body);
        self.outcome = outcome;
    }

    /// A suite's exploration: a row per test, and each finding (naming its test) with its
    /// timeline when its plan was replayed.
    fn explored_suite(
        &mut self,
        report: &SuiteReport,
        files: &[PathBuf],
        outcomes: &[Outcome],
    ) -> (Body, (String, bool)) {
        let rows = (report.tests.iter().enumerate())
            .map(|(i, test)| TestRow::explored(i + 1, test))
            .collect();
        let all: Vec<_> = (report.tests.iter())
            .flat_map(|test| test.all_findings().map(move |f| (test, f)))
            .enumerate()
            .collect();
        // The findings first, then the notes, numbered so (as one program's page does);
        // `i` is the report's order, which the plan files and replays keep.
        let (notes, findings): (Vec<_>, Vec<_>) = all.into_iter().partition(|(_, (_, f))| apart(f));
        for (i, (test, finding)) in findings.into_iter().chain(notes) {
            let replay = (self.invocation.replay).replace("{test}", &shell_quote(&test.name));
            let file = files.get(i).map(PathBuf::as_path);
            self.finding(finding, file, outcomes.get(i), &replay, &test.name);
        }
        let counts = format!(
            "{} test(s) at depth {}: {}",
            report.tests.len(),
            report.exploration.depth,
            super::explore_suite::counts(report)
        );
        let passed = report.exit_code() == 0;
        (
            Body::Suite {
                rows,
                counts: counts.clone(),
            },
            (counts, passed),
        )
    }

    /// A finding (or note, or host-bug result) in the page's lists.
    fn finding(
        &mut self,
        finding: &Finding,
        file: Option<&Path>,
        outcome: Option<&Outcome>,
        replay: &str,
        test: &str,
    ) {
        let n = self.findings.len() + self.notes.len() + 1;
        let mut view = FindingView::new(n, finding, file, outcome, replay);
        view.test = test.to_string();
        // Host-bug results stand with the notes: never findings.
        match apart(finding) {
            true => self.notes.push(view),
            false => self.findings.push(view),
        }
    }

    /// Renders and writes the page (once).
    fn write(&mut self) -> Result<()> {
        let Some(mut file) = self.file.take() else {
            return Ok(());
        };
        let page = self.page().render().context("rendering the HTML report")?;
        file.commit(page.as_bytes())
    }

    fn page(&self) -> Page<'_> {
        let (run, repeat, explore, rows, suite_counts) = match &self.body {
            Some(Body::Run(run)) => (Some(run), None, None, &[][..], String::new()),
            Some(Body::Repeat(r)) => (None, Some(r), None, &[][..], String::new()),
            Some(Body::Explore(e)) => (None, None, Some(e), &[][..], String::new()),
            Some(Body::Suite { rows, counts }) => (None, None, None, &rows[..], counts.clone()),
            None => (None, None, None, &[][..], String::new()),
        };
        let inv = &self.invocation;
        let (plan, plan_toml) = match (&inv.plan, self.kind) {
            (_, "explore") => (
                "none: each finding below has its own, one fault a run".into(),
                String::new(),
            ),
            (Some(plan), _) if !plan.rules.is_empty() => (
                format!(
                    "{} rule(s): {}",
                    plan.rules.len(),
                    rule_names(plan).join(", ")
                ),
                plan.to_toml().trim_end().to_string(),
            ),
            _ => ("none: no fault injected".into(), String::new()),
        };
        let clock = match inv.clock.as_str() {
            "real" => "real (the machine's)".to_string(),
            other => format!(
                "{other}: it moves only when the guest waits on a timer; the wall clock starts at 2026-01-01T00:00:00Z"
            ),
        };
        let name = self.component.as_ref().map_or("", |c| c.name.as_str());
        Page {
            title: format!("wouldblock {}: {name}", self.kind),
            kind: self.kind,
            component: self.component.as_ref(),
            command: shell_words(&inv.argv),
            plan,
            plan_toml,
            clock,
            version: env!("CARGO_PKG_VERSION"),
            wasmtime: WASMTIME,
            wall: format!("{:.2} s", self.elapsed.as_secs_f64()),
            outcome: self.outcome.0.clone(),
            passed: self.outcome.1,
            incomplete: self.body.is_none() || self.interrupted,
            run,
            repeat,
            explore,
            suite: matches!(self.body, Some(Body::Suite { .. })),
            rows,
            suite_counts,
            findings: &self.findings,
            notes: &self.notes,
            test_column: self
                .findings
                .iter()
                .chain(&self.notes)
                .any(|f| !f.test.is_empty()),
            css: include_str!("../../../../templates/report.css"),
            js: include_str!("../../../../templates/report.js"),
        }
    }
}

fn repeat_body(repeat: &Repeat, rules: &[String], replay: String) -> (Body, (String, bool)) {
    let endings = repeat
        .endings
        .iter()
        .map(|(ending, n)| (ending.clone(), text::thousands(*n)))
        .collect();
    let determinism = if repeat.differing == 0 {
        "deterministic: every run's normalised trace is run 1's".to_string()
    } else {
        format!(
            "nondeterministic: {} of {} runs took another path than run 1",
            repeat.differing, repeat.runs
        )
    };
    let differing = repeat
        .nondeterministic
        .iter()
        .map(|(i, d)| format!("run {i}: {d}"))
        .collect();
    let first = repeat
        .first_failure
        .as_ref()
        .map(|(index, outcome): &(u64, Outcome)| {
            let title = format!("The first failing run: run {index}");
            RunView::new("first", title, outcome, rules, replay)
        });
    let passed = repeat.exit_code() == 0;
    let counted: Vec<String> = repeat
        .endings
        .iter()
        .map(|(ending, n)| format!("{} {ending}", text::thousands(*n)))
        .collect();
    let line = format!(
        "{} runs: {}",
        text::thousands(repeat.runs),
        counted.join(", ")
    );
    let view = RepeatView {
        endings,
        determinism,
        differing,
        first,
    };
    (Body::Repeat(view), (line, passed))
}

/// Robustness notes and host-bug results: listed apart from the findings.
fn apart(finding: &Finding) -> bool {
    finding.robustness || finding.tier == Tier::HostBug
}

impl Displayer for Html {
    fn display(&mut self, event: &Event<'_>, elapsed: Duration) -> Result<()> {
        self.elapsed = elapsed;
        match event {
            Event::RunStarted(start) => {
                self.kind = match start {
                    Start::Run => "run",
                    Start::Repeat { .. } => "run --repeat",
                    Start::Suite { .. } => "test",
                    Start::Explore | Start::ExploreSuite { .. } => "explore",
                };
            }
            Event::Finding {
                finding,
                file,
                outcome,
            } => {
                let replay = self.invocation.replay.clone();
                self.finding(finding, *file, *outcome, &replay, "");
            }
            Event::Summary(summary) => self.summary(summary),
            Event::RunEnded => self.write()?,
            Event::Interrupted { .. } => self.interrupted = true,
            Event::Progress { .. } | Event::TestEnded { .. } | Event::TestExplored { .. } => {}
        }
        Ok(())
    }
}

impl Drop for Html {
    /// A command that stops on an error midway still leaves its page, saying so.
    fn drop(&mut self) {
        let _ = self.write();
    }
}

#[cfg(test)]
mod tests;
