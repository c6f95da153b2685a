//! What the page shows, made from the reporter's typed events: a run with its timeline,
//! a finding, a test's row. The template (`host/templates/report.html`) only lays them out.

use super::text::{reference_url, thousands};
use super::timeline::{self, Drawn, Source};
use crate::cli::shell::shell_quote;
use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use wouldblock::explore::{self, Finding, TestReport, TestVerdict, Tier};
use wouldblock::suite::{TestResult, TestStatus};
use wouldblock::{Ending, Exit, Outcome, Plan, Readiness, Rule};

/// Events drawn for a run, a finding or a failing test.
pub const BUDGET: usize = 400;
/// Events drawn for a test that passed: it is there for comparison, not for study.
pub const PASSED_BUDGET: usize = 120;

/// Events drawn for the `n`-th finding (from 1): the first ones in full, the later ones
/// through narrower windows, so that an exploration with many findings stays a page.
pub fn finding_budget(n: usize) -> usize {
    match n {
        0..=3 => 240,
        4..=10 => 120,
        _ => 50,
    }
}
/// Lines of a guest's stderr shown.
const STDERR_LINES: usize = 20;

/// A timeline as the page shows it.
pub struct TimelineView {
    pub id: String,
    pub labels: String,
    pub svg: String,
    pub data: String,
    /// What is drawn, and what is not.
    pub note: String,
    /// What virtual time did.
    pub time: String,
    /// Each rule that decided a drawn call: its mark's label and its name.
    pub legend: Vec<(String, String)>,
    /// What was left out: range, count, by operation.
    pub gaps: Vec<(String, String, String)>,
}

impl TimelineView {
    /// Draws `outcome`'s trace with `evidence` marked, at most `budget` events; `rules`
    /// are the plan's rule names.
    pub fn with_budget(
        id: String,
        outcome: &Outcome,
        evidence: &BTreeSet<u64>,
        rules: &[String],
        budget: usize,
    ) -> Self {
        let source = Source::of(&outcome.trace);
        let drawn = timeline::draw(&source, evidence, budget, &id);
        Self::of(id, drawn, rules)
    }

    fn of(id: String, drawn: Drawn, rules: &[String]) -> Self {
        let note = if drawn.total == 0 {
            "The guest made no socket call.".to_string()
        } else if drawn.gaps.is_empty() {
            format!(
                "All {} events, on {} lanes.",
                thousands(drawn.total),
                drawn.lanes
            )
        } else {
            let left: u64 = drawn.gaps.iter().map(|g| g.count).sum();
            format!(
                "{} of {} events, on {} lanes: the first calls, the calls around the \
                 evidence and the last calls. {} events are left out (counted below); the \
                 whole trace: add --trace FILE to the replay command.",
                thousands(drawn.shown as u64),
                thousands(drawn.total),
                drawn.lanes,
                thousands(left)
            )
        };
        let time = match (drawn.virtual_time, drawn.time_moved) {
            _ if drawn.total == 0 => String::new(),
            (false, _) => "Real clock: the marks are in sequence order.".to_string(),
            (true, false) => "Virtual time did not move: the marks are in sequence order.".into(),
            (true, true) => {
                "Virtual time moved where a dashed line crosses the lanes (the new time on top); \
                 between those the marks are in sequence order."
                    .into()
            }
        };
        let legend = drawn
            .rules
            .iter()
            .map(|&r| {
                let name = rules
                    .get(r)
                    .cloned()
                    .unwrap_or_else(|| "(not in this plan)".into());
                (format!("r{r}"), format!("rule {r} of the plan: {name}"))
            })
            .collect();
        let gaps = drawn
            .gaps
            .iter()
            .map(|g| {
                let mut ops: Vec<String> = g
                    .ops
                    .iter()
                    .map(|(op, n)| format!("{op} {}", thousands(*n)))
                    .collect();
                if g.unkept > 0 {
                    ops.push(format!(
                        "{} past the trace's limit, not kept",
                        thousands(g.unkept)
                    ));
                }
                (
                    format!("#{} – #{}", thousands(g.from), thousands(g.to)),
                    thousands(g.count),
                    ops.join(", "),
                )
            })
            .collect();
        Self {
            id,
            labels: drawn.labels,
            svg: drawn.svg,
            data: drawn.data,
            note,
            time,
            legend,
            gaps,
        }
    }
}

/// The seqs of the trace lines a verdict quotes as its evidence. A [`Stop`] carries them
/// as the lines it printed: each event is rendered as the verdict renders it and looked
/// up among them (matched whole, never parsed).
///
/// [`Stop`]: wouldblock::Stop
pub fn evidence_of(outcome: &Outcome) -> BTreeSet<u64> {
    let Exit::Stopped(stop) = &outcome.exit else {
        return BTreeSet::new();
    };
    let lines: HashSet<&str> = stop
        .evidence
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return BTreeSet::new();
    }
    Source::of(&outcome.trace)
        .all()
        .filter(|e| lines.contains(wouldblock::trace::render(std::slice::from_ref(e)).trim()))
        .map(|e| e.seq)
        .collect()
}

/// The rule names of a plan, in plan order.
pub fn rule_names(plan: &Plan) -> Vec<String> {
    plan.rules.iter().map(|r| r.name.clone()).collect()
}

/// One run as the page shows it.
pub struct RunView {
    pub title: String,
    pub ending: String,
    pub passed: bool,
    pub reason: String,
    pub evidence: String,
    pub stderr: String,
    pub summary: String,
    pub replay: String,
    pub timeline: TimelineView,
}

impl RunView {
    pub fn new(
        id: &str,
        title: String,
        outcome: &Outcome,
        rules: &[String],
        replay: String,
    ) -> Self {
        Self::with_budget(id, title, outcome, rules, replay, BUDGET)
    }

    pub fn with_budget(
        id: &str,
        title: String,
        outcome: &Outcome,
        rules: &[String],
        replay: String,
        budget: usize,
    ) -> Self {
        let evidence = evidence_of(outcome);
        let timeline =
            TimelineView::with_budget(format!("{id}-tl"), outcome, &evidence, rules, budget);
        let (reason, evidence_text) = match &outcome.exit {
            Exit::Stopped(stop) => (stop.reason.clone(), stop.evidence.trim_end().to_string()),
            Exit::Abort { kind, message, .. } => (format!("{kind}: {message}"), String::new()),
            Exit::Code(0) => (String::new(), String::new()),
            Exit::Code(code) => (format!("the guest exited {code}"), String::new()),
            _ => (String::new(), String::new()),
        };
        let stderr = outcome.stderr_text();
        let lines: Vec<&str> = stderr.lines().collect();
        let stderr = lines[lines.len().saturating_sub(STDERR_LINES)..].join("\n");
        Self {
            title,
            ending: ending(outcome),
            passed: outcome.passed(),
            reason,
            evidence: evidence_text,
            stderr,
            summary: outcome.summary(),
            replay,
            timeline,
        }
    }
}

/// How a run ended, with the status the command gave: `pass (exit 0)`, `fail (exit 1)`,
/// `busy-loop (exit 84)`.
pub fn ending(outcome: &Outcome) -> String {
    match outcome.ending() {
        e @ (Ending::Fail(_) | Ending::Abort { .. }) => e.to_string(),
        e => format!("{e} (exit {})", outcome.exit_code()),
    }
}

/// A finding or a robustness note of an exploration.
pub struct FindingView {
    pub id: String,
    pub n: usize,
    pub note: bool,
    /// The test it was found in (`test --explore`), or empty.
    pub test: String,
    pub verdict: String,
    pub exit_code: i32,
    pub site: String,
    pub fault: String,
    pub tier: String,
    pub trigger: String,
    pub reference: String,
    pub url: Option<String>,
    /// Sites (or tests) it stands for, itself included.
    pub stands_for: u64,
    /// The code it is attributed to, or empty.
    pub culprit: String,
    /// The guest's stack where the run ended, innermost first, or empty.
    pub stack: String,
    pub plan: String,
    pub file: String,
    pub evidence: String,
    pub replay: String,
    pub timeline: Option<TimelineView>,
    /// Why there is no timeline, or how the replay differed.
    pub remark: String,
}

impl FindingView {
    /// `replay` is the command with `{file}` where the plan file goes; `outcome` the run
    /// the plan gives again, when the component is at hand.
    pub fn new(
        n: usize,
        finding: &Finding,
        file: Option<&Path>,
        outcome: Option<&Outcome>,
        replay: &str,
    ) -> Self {
        let id = format!("f{n}");
        let plan = Plan::from_toml(&finding.plan, "the finding's plan").unwrap_or_default();
        let tried: Vec<_> = plan.rules.iter().filter_map(tried_for).collect();
        let join = |f: &dyn Fn(&explore::Tried) -> String| {
            let parts: Vec<String> = tried.iter().map(|t| f(t)).collect();
            parts.join(" + ")
        };
        let tier = join(&|t| match t.tier {
            Tier::Real => "real".into(),
            Tier::HostBug => "host-bug".into(),
        });
        let reference = join(&|t| t.reference.to_string());
        let url = tried.first().and_then(|t| reference_url(t.reference));
        let file_text = file.map(|f| f.display().to_string()).unwrap_or_default();
        let replay = match file {
            Some(_) => replay.replace("{file}", &shell_quote(&file_text)),
            None => replay.replace("{file}", "FINDING.toml"),
        };
        let (timeline, remark) = match outcome {
            Some(outcome) => {
                let mut evidence = evidence_of(outcome);
                // What the finding quotes: its replay's last calls.
                evidence.extend(outcome.trace.tail(4).iter().map(|e| e.seq));
                let remark = if outcome.ending().to_string() == finding.verdict {
                    String::new()
                } else {
                    format!(
                        "The replay ended {}, not {}: the run did not take the same path again.",
                        outcome.ending(),
                        finding.verdict
                    )
                };
                let (budget, rules) = (finding_budget(n), rule_names(&plan));
                let id = format!("{id}-tl");
                let tl = TimelineView::with_budget(id, outcome, &evidence, &rules, budget);
                (Some(tl), remark)
            }
            None => (
                None,
                "No timeline: this report was merged from shard reports, which carry no \
                 traces; the replay command below shows the run."
                    .to_string(),
            ),
        };
        Self {
            id,
            n,
            note: finding.robustness,
            test: String::new(),
            verdict: finding.verdict.clone(),
            exit_code: finding.exit_code,
            site: finding.site.clone(),
            fault: finding.fault.clone(),
            tier,
            trigger: join(&|t| t.trigger.to_string()),
            reference,
            url,
            stands_for: finding.duplicates + 1,
            culprit: finding.culprit.clone().unwrap_or_default(),
            stack: finding.stack.join("\n"),
            plan: finding.plan.trim_end().to_string(),
            file: file_text,
            evidence: finding.evidence.trim_end().to_string(),
            replay,
            timeline,
            remark,
        }
    }
}

/// The row of the operation's fault table a finding's rule injects: its tier, trigger
/// and reference (a shrunk readiness count still counts as its row's).
fn tried_for(rule: &Rule) -> Option<&'static explore::Tried> {
    let menu = explore::menu(rule.op);
    let permanent = rule.select.first.is_none();
    let same = |t: &&explore::Tried, exact: bool| {
        let f = &t.fault;
        let ready = match (f.ready, rule.ready) {
            (Readiness::NotReady(_), Readiness::NotReady(_)) if !exact => true,
            (a, b) => a == b,
        };
        f.action == rule.action && f.sticky == rule.sticky && f.permanent == permanent && ready
    };
    let exact = menu.iter().find(|t| same(t, true));
    exact.or_else(|| menu.iter().find(|t| same(t, false)))
}

/// One test of a suite.
pub struct TestRow {
    pub id: String,
    pub n: usize,
    pub name: String,
    /// `pass`, `fail` or `skip` (`flaky` once a test can be run again).
    pub status: String,
    /// Seconds it ran (`test`), or trials (an explored suite).
    pub secs: String,
    pub why: String,
    /// Findings `test --explore` made in it (`None`: not explored).
    pub findings: Option<usize>,
    pub run: Option<RunView>,
    /// What stands in its details when it has no run.
    pub no_run: String,
}

impl TestRow {
    /// `replay` is the command with `{test}` where the test's name goes.
    pub fn new(n: usize, result: &TestResult, rules: &[String], replay: &str) -> Self {
        let id = format!("t{n}");
        let status = result.status();
        let budget = match status {
            TestStatus::Pass => PASSED_BUDGET,
            _ => BUDGET,
        };
        let mut replay = replay.replace("{test}", &shell_quote(&result.case.name));
        if result.case.ignored {
            replay += " --include-ignored";
        }
        let run = result.outcome.as_ref().map(|outcome| {
            let title = format!("Test {}", result.case.name);
            RunView::with_budget(&id, title, outcome, rules, replay, budget)
        });
        Self {
            id,
            n,
            name: result.case.name.clone(),
            status: status.to_string(),
            secs: format!("{:.3}", result.duration.as_secs_f64()),
            why: result.failure().unwrap_or_default(),
            findings: None,
            run,
            no_run: "Skipped: ignored, and not asked for.".into(),
        }
    }

    /// A test of an explored suite: its status, its findings, and for a failing or flaky
    /// test the evidence (its findings' timelines stand with the findings).
    pub fn explored(n: usize, test: &TestReport) -> Self {
        let report = &test.report;
        let findings = report.findings.len();
        let trials = report.runs.saturating_sub(1);
        let no_run = match test.status {
            TestVerdict::Skipped => "Skipped: ignored, and not asked for.".into(),
            TestVerdict::Failed | TestVerdict::Flaky => {
                format!(
                    "Not explored: {}",
                    test.detail.as_deref().unwrap_or_default()
                )
            }
            _ => format!(
                "{trials} trial(s) at {} site(s): {findings} finding(s), {} robustness \
                 note(s){}",
                report.sites,
                report.notes.len(),
                match test.unexplored {
                    0 => String::new(),
                    n => format!("; {n} trial(s) did not run"),
                }
            ),
        };
        Self {
            id: format!("t{n}"),
            n,
            name: test.name.clone(),
            status: test.status.word().to_ascii_lowercase(),
            secs: trials.to_string(),
            why: test.detail.clone().unwrap_or_default(),
            findings: Some(findings),
            run: None,
            no_run,
        }
    }
}
