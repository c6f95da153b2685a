//! What an exploration found: findings, robustness notes, the counts; as JSON (`--json`,
//! which `--merge` reads back) and as one replayable plan file per finding. The command's
//! reporter prints the table.

use super::{Tier, Trial, Tried};
use crate::outcome::{Outcome, panic_location};
use crate::plan::Op;
use crate::verdict::Exit;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One distinct finding: the verdict, the earliest site that gives it, the plan that
/// replays it, and how many other sites gave the same.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::{Builder, PeerOptions};
/// use wouldblock::explore::{self, ExploreOptions};
/// let harness = Builder::new().peer(PeerOptions::counting().expect_datagrams(4)).build()?;
/// let guest = harness.compile("udp-burst-drop", wouldblock_guests::UDP_BURST_DROP.wasm)?;
/// let args = ["{peer}", "--count", "4"];
/// let report = explore::explore(&harness, &guest, &args, ExploreOptions::new())?;
/// let loss = report.findings.iter().find(|f| f.verdict == "loss");
/// assert!(loss.is_some_and(|f| f.site.starts_with("udp.send") && f.kind() == "finding"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Finding {
    /// How the run ended, as the [`Ending`](crate::Ending)'s text: `busy-loop`, `loss`,
    /// `fail (exit 1)`, ... (text, so that `--merge` reads the same JSON).
    pub verdict: String,
    /// The exit status a replay gives.
    pub exit_code: i32,
    /// The site, e.g. `udp.send call 1`.
    pub site: String,
    /// The operation of each site, in plan order (`["udp.send"]` in JSON): what root causes
    /// group by. Empty in a report of a wouldblock from before it.
    #[serde(default, serialize_with = "op_names", deserialize_with = "ops_named")]
    pub ops: Vec<Op>,
    /// The fault, e.g. `ok-zero, then not-ready 1`.
    pub fault: String,
    /// The plan that replays it, as TOML.
    pub plan: String,
    /// Runs that ended the same way at other sites of the same operation.
    pub duplicates: u64,
    /// The trace lines (or the guest's last words) that show it.
    pub evidence: String,
    /// A fault no program survives (a readiness that never comes, an error that never
    /// ends): a robustness note, not a readiness bug.
    pub robustness: bool,
    /// The trial's position in the exploration, for a stable order across shards.
    pub index: usize,
    /// `real` (a real host answers so) or `host-bug` (only a buggy host does).
    #[serde(default = "real")]
    pub tier: Tier,
    /// Why it is a bug, in four parts: the real condition that makes a host answer so,
    #[serde(default)]
    pub trigger: String,
    /// where that was seen,
    #[serde(default)]
    pub reference: String,
    /// the WIT clause that allows the answer,
    #[serde(default)]
    pub wit: String,
    /// and what a correct program does instead.
    #[serde(default)]
    pub correct: String,
    /// Where the guest panicked, when it did (`src/lib.rs:12:5`): what tells two tests'
    /// findings of one root cause from two causes.
    #[serde(default)]
    pub location: Option<String>,
    /// The guest's stack where the run ended (innermost first, at most 24 frames), when a
    /// trap ended it.
    #[serde(default)]
    pub stack: Vec<String>,
    /// The code it is attributed to: "your code (tests/udp.rs:35:9)", "mio (mio::net::
    /// UdpSocket::send_to)", "std / wasi-libc ..." ([`attribute`](crate::verdict::attribute)).
    #[serde(default)]
    pub culprit: Option<String>,
}

fn real() -> Tier {
    Tier::Real
}

fn op_names<S: Serializer>(ops: &[Op], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(ops.iter().map(|op| op.name()))
}

fn ops_named<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Op>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    names
        .iter()
        .map(|name| {
            Op::from_name(name)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown operation `{name}`")))
        })
        .collect()
}

impl Finding {
    pub(super) fn new(index: usize, trial: &Trial, outcome: &Outcome, count: u64) -> Self {
        let sites: Vec<String> = trial.faults.iter().map(|(s, _)| s.to_string()).collect();
        let faults: Vec<String> = trial.faults.iter().map(|(_, f)| f.to_string()).collect();
        Self {
            verdict: outcome.ending().to_string(),
            exit_code: outcome.exit_code(),
            site: sites.join(" + "),
            ops: trial.faults.iter().map(|(site, _)| site.op).collect(),
            fault: faults.join(" + "),
            plan: trial.plan().to_toml(),
            duplicates: count - 1,
            evidence: evidence(outcome),
            robustness: trial.is_robustness(),
            index,
            tier: trial.tier(),
            trigger: why(trial, |t| t.trigger),
            reference: why(trial, |t| t.reference),
            wit: why(trial, |t| t.wit),
            correct: why(trial, |t| t.correct),
            location: panic_location(&outcome.stderr_text()),
            stack: outcome.stack.iter().take(24).cloned().collect(),
            culprit: crate::verdict::attribute(
                &outcome.stack,
                panic_location(&outcome.stderr_text()).as_deref(),
            ),
        }
    }

    /// Why this is a bug, in one line: the trigger and its reference, the WIT clause, and
    /// what a correct program does instead.
    ///
    /// ```
    /// # fn main() -> Result<(), serde_json::Error> {
    /// use wouldblock::{Op, Verdict, explore::{self, Finding}};
    /// // A finding as `explore --json` writes it, from the first row of udp.send's menu.
    /// let row = &explore::menu(Op::UdpSend)[0];
    /// let finding: Finding = serde_json::from_value(serde_json::json!({
    ///     "verdict": "loss", "exit_code": Verdict::Loss.exit_code(), "site": "udp.send call 3",
    ///     "fault": row.fault.to_string(), "plan": "", "duplicates": 0, "evidence": "",
    ///     "robustness": false, "index": 2, "trigger": row.trigger, "reference": row.reference,
    ///     "wit": row.wit, "correct": row.correct,
    /// }))?;
    /// let why = finding.why();
    /// assert!(why.starts_with(&format!("{} ({}); WIT: ", row.trigger, row.reference)), "{why}");
    /// assert!(why.ends_with(&format!("; a correct program {}", row.correct)), "{why}");
    /// # Ok(()) }
    /// ```
    pub fn why(&self) -> String {
        format!(
            "{} ({}); WIT: {}; a correct program {}",
            self.trigger, self.reference, self.wit, self.correct
        )
    }

    /// `finding`, `note` (robustness) or `host-bug`: what the table and file names call it.
    ///
    /// ```
    /// # fn main() -> Result<(), serde_json::Error> {
    /// use wouldblock::explore::{Finding, Tier};
    /// # let json = serde_json::json!({
    /// #     "verdict": "loss", "exit_code": wouldblock::Verdict::Loss.exit_code(),
    /// #     "site": "udp.send call 3", "fault": "error(out-of-memory), then not-ready 1",
    /// #     "plan": "[[rule]]\nop = \"udp.send\"\n", "duplicates": 0, "evidence": "",
    /// #     "robustness": false, "index": 2,
    /// # });
    /// let mut finding: Finding = serde_json::from_value(json)?; // as `explore --json` wrote it
    /// assert_eq!(finding.kind(), "finding");
    /// finding.tier = Tier::HostBug;
    /// assert_eq!(finding.kind(), "host-bug");
    /// finding.robustness = true;
    /// assert_eq!(finding.kind(), "note");
    /// # Ok(()) }
    /// ```
    pub fn kind(&self) -> &'static str {
        if self.robustness {
            "note"
        } else if self.tier == Tier::HostBug {
            "host-bug"
        } else {
            "finding"
        }
    }

    /// The plan file's text: comments naming the site, the verdict and the replay
    /// command, then the plan.
    ///
    /// ```
    /// # fn main() -> Result<(), serde_json::Error> {
    /// use wouldblock::explore::Finding;
    /// # let json = serde_json::json!({
    /// #     "verdict": "loss", "exit_code": wouldblock::Verdict::Loss.exit_code(),
    /// #     "site": "udp.send call 3", "fault": "error(out-of-memory), then not-ready 1",
    /// #     "plan": "[[rule]]\nop = \"udp.send\"\n", "duplicates": 0, "evidence": "",
    /// #     "robustness": false, "index": 2,
    /// # });
    /// let finding: Finding = serde_json::from_value(json)?; // as `explore --json` wrote it
    /// let file = finding.plan_file("wouldblock run --plan {file} udp-burst-drop.wasm");
    /// assert!(file.starts_with("# wouldblock explore finding: loss\n# site: udp.send call 3\n"));
    /// assert!(file.contains("\n# replay: wouldblock run --plan {file} udp-burst-drop.wasm\n"));
    /// assert!(file.ends_with("\n\n[[rule]]\nop = \"udp.send\"\n"), "then the plan");
    /// # Ok(()) }
    /// ```
    pub fn plan_file(&self, replay: &str) -> String {
        format!(
            "# wouldblock explore {}: {}\n# site: {}\n# fault: {}\n# why: {}\n# replay: {replay}\n\n{}",
            self.kind(),
            self.verdict,
            self.site,
            self.fault,
            self.why(),
            self.plan
        )
    }
}

/// One part of a trial's "why", from the rows its faults came from (` + ` between two).
fn why(trial: &Trial, part: impl Fn(&Tried) -> &'static str) -> String {
    let parts: Vec<&str> = trial.sources().into_iter().flatten().map(part).collect();
    parts.join(" + ")
}

/// The verdict's reason, or the guest's last line, then the last socket calls, every port
/// in them normalised (the reason names the peer's address too): the same finding reads
/// the same in every exploration.
pub(super) fn evidence(outcome: &Outcome) -> String {
    let why = match &outcome.exit {
        Exit::Stopped(stop) => stop.reason.clone(),
        _ => failure_line(&outcome.stderr_text()),
    };
    let calls = crate::trace::render(&outcome.trace.normalized().tail(4));
    outcome.trace.normalize_ports(&format!("{why}\n{calls}"))
}

/// What a guest that failed by itself said of it, in one line: a panic's place and
/// message (libtest's `note: run with RUST_BACKTRACE=1` after it says nothing of the
/// failure), else its last line on stderr.
///
/// ```
/// use wouldblock::explore::failure_line;
/// let stderr = "thread 'tests::get' panicked at src/lib.rs:12:5:\nboom\n\
///               note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
/// assert_eq!(failure_line(stderr), "panicked at src/lib.rs:12:5: boom");
/// assert_eq!(failure_line("error: refused\n\n"), "error: refused");
/// ```
pub fn failure_line(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE=1`"))
        .collect();
    if let Some(at) = lines.iter().position(|l| l.contains("panicked at ")) {
        let place = &lines[at][lines[at].find("panicked at ").unwrap_or(0)..];
        let message = lines.get(at + 1).copied().unwrap_or_default();
        return format!("{} {message}", place.trim_end())
            .trim_end()
            .to_string();
    }
    lines
        .last()
        .map_or("(nothing on stderr)".into(), |l| l.to_string())
}

/// The version of the report's JSON (`--json`): `--merge` reads this one only.
///
/// ```
/// # fn main() -> Result<(), wouldblock::explore::MergeError> {
/// use wouldblock::explore::{MergeError, REPORT_FORMAT, Report};
/// let mut shard = Report::default();
/// shard.shard = (1, 1);
/// // Format 0: no version, an older wouldblock's report.
/// assert_eq!(Report::merge(vec![shard.clone()]), Err(MergeError::Format { found: 0 }));
/// shard.format = REPORT_FORMAT;
/// assert_eq!(Report::merge(vec![shard])?.format, REPORT_FORMAT);
/// # Ok(()) }
/// ```
pub const REPORT_FORMAT: u32 = 1;

/// What decides an exploration's trials and verdicts: shards merge only when all of it but
/// the component's path and the replay command is the same.
///
/// ```
/// use wouldblock::explore::{MergeError, REPORT_FORMAT, Report};
/// let mut one = Report::default();
/// (one.format, one.shard) = (REPORT_FORMAT, (1, 2));
/// let mut two = one.clone();
/// two.shard = (2, 2);
/// two.exploration.component = "elsewhere/the-same.wasm".into();
/// assert!(Report::merge(vec![one.clone(), two.clone()]).is_ok(), "the path does not count");
/// two.exploration.seed = 7;
/// let error = Report::merge(vec![one, two]).unwrap_err();
/// assert!(matches!(error, MergeError::Mixed { .. }));
/// assert!(error.to_string().ends_with("--seed: 0 vs 7"), "{error}");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Exploration {
    /// The component as it was given (its path).
    pub component: String,
    /// The SHA-256 of the component's bytes, in hex.
    pub sha256: String,
    /// The guest's arguments.
    pub args: Vec<String>,
    /// 1: one fault a run; 2: pairs too.
    pub depth: u8,
    /// The most runs at depth 2.
    pub budget: u64,
    /// Which pairs the budget keeps.
    pub seed: u64,
    /// Whether the host-bug tier was tried.
    #[serde(default)]
    pub host_bugs: bool,
    /// The harness's own plan, as TOML.
    pub plan: String,
    /// The harness settings that decide verdicts (bounds, clock, peers; no environment
    /// values), as text.
    pub settings: String,
    /// The command that replays a plan file, `{file}` where the plan's path goes (set by
    /// the command line; empty from the library).
    pub replay: String,
}

/// An exploration's report. Two explorations with the same options give the same one.
///
/// ```
/// # fn main() -> Result<(), serde_json::Error> {
/// use wouldblock::explore::Report;
/// // As `explore --json` writes it and `--merge` reads it back.
/// let report = Report::default();
/// let json = serde_json::to_string(&report)?;
/// assert_eq!(serde_json::from_str::<Report>(&json)?, report);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Report {
    /// [`REPORT_FORMAT`] when written.
    pub format: u32,
    /// What was explored, and how.
    pub exploration: Exploration,
    /// Stopped early (an interrupt): only the trials that ended are in it.
    pub incomplete: bool,
    /// Trials that never started: `--budget-time` ran out (or, in a suite, a signal came).
    #[serde(default)]
    pub not_run: u64,
    /// Fault sites the fault-free run showed.
    pub sites: u64,
    /// Runs made, the fault-free one included.
    pub runs: u64,
    /// Trials in the whole exploration, all shards.
    pub trials: u64,
    /// The shard this report covers: `(i, n)`.
    pub shard: (u64, u64),
    /// Set when the fault-free run already failed: nothing was explored.
    pub baseline_failure: Option<String>,
    /// The harness itself failed partway (its error): the trials that ended are kept,
    /// as found, and the report is incomplete.
    #[serde(default)]
    pub harness_failure: Option<String>,
    /// The readiness bugs found, one per distinct verdict and fault.
    pub findings: Vec<Finding>,
    /// What no program survives, and how this one ends under it.
    pub notes: Vec<Finding>,
    /// What the host-bug tier gave (`--host-bugs`): robustness against a host that breaks
    /// the WIT's promises, never a finding.
    #[serde(default)]
    pub host_bugs: Vec<Finding>,
    /// Findings the team acknowledged (`[[allow]]`, `--allow`): reported, never failing.
    #[serde(default)]
    pub acknowledged: Vec<super::Acknowledged>,
    /// Acknowledgements that matched no finding any more: `OP: FAULT -> VERDICT (where)`.
    #[serde(default)]
    pub stale: Vec<String>,
}

impl Report {
    pub(super) fn failed_baseline(
        outcome: &Outcome,
        shard: (u64, u64),
        exploration: Exploration,
    ) -> Self {
        Self {
            format: REPORT_FORMAT,
            exploration,
            runs: 1,
            shard,
            baseline_failure: Some(format!("{}\n{}", outcome.summary(), evidence(outcome))),
            ..Self::default()
        }
    }
}
