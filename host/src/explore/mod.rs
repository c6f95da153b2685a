//! `explore`: finds readiness bugs in a component nobody wrote a plan for. One fault-free
//! run names every fault site (each socket call and socket wait, by operation and
//! per-resource call number); then every answer the WIT allows is tried at every site, one
//! fault a run (`--depth 2`: pairs too, within a budget). Every run that does not pass is a
//! finding, shrunk to its earliest site and smallest readiness count, and written as an
//! ordinary one-rule plan that `wouldblock run --plan` replays.

mod allow;
mod causes;
mod merge;
mod report;
mod settle;
mod sites;
mod suite;
mod suite_report;

pub use crate::catalogue::{Fault, Tier, Tried};
pub use crate::outcome::panic_location;
pub use crate::verdict::{attribute, program_frames};
pub use allow::{Acknowledged, Allow, AllowError};
pub use causes::{Action, Cause, EXIT_GAVE_UP};
pub use merge::MergeError;
pub use report::{Exploration, Finding, REPORT_FORMAT, Report, failure_line};
pub use sites::menu;
pub use suite::{SIDE_BY_SIDE, SuiteEvent, explore_suite};
pub use suite_report::{EXIT_FLAKY, SUITE_REPORT_FORMAT, SuiteReport, TestReport, TestVerdict};

use crate::error::Error;
use crate::harness::{Guest, Harness};
use crate::outcome::Outcome;
use crate::plan::Plan;
use crate::pool;
use crate::settings::Output;
use settle::{Found, Groups, group, settle};
use sites::Site;
use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::time::Instant;

/// How far and how wide to explore.
///
/// ```
/// use wouldblock::explore::ExploreOptions;
/// let options = ExploreOptions::default();
/// assert_eq!((options.depth, options.shard, options.budget_time), (1, (1, 1), None));
/// assert!(options.jobs >= 1, "every core");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExploreOptions {
    /// Worker threads (the component is compiled once for all).
    pub jobs: usize,
    /// 1: one fault a run; 2: pairs of faults too.
    pub depth: u8,
    /// At depth 2, the most runs in all (the pairs are sampled to fit).
    pub budget: u64,
    /// Which pairs a budget keeps: the same seed keeps the same ones.
    pub seed: u64,
    /// This run's slice: `(i, n)` runs the trials whose index is `i - 1` modulo `n`.
    pub shard: (u64, u64),
    /// Also tries the faults of the `host-bug` tier (a pollable that never fires, readiness
    /// stuck with no error pending), reported apart: never findings.
    pub host_bugs: bool,
    /// A time budget: no trial starts once it is spent, and what did not run is reported
    /// as not explored. It decides only how much is explored, never a verdict.
    pub budget_time: Option<std::time::Duration>,
}

impl Default for ExploreOptions {
    fn default() -> Self {
        Self {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            depth: 1,
            budget: 2000,
            seed: 0,
            shard: (1, 1),
            host_bugs: false,
            budget_time: None,
        }
    }
}

impl ExploreOptions {
    /// Depth 1 on every core, the whole exploration in one shard.
    ///
    /// ```
    /// use wouldblock::explore::ExploreOptions;
    /// let options = ExploreOptions::new().depth(2).budget(500).seed(7);
    /// assert_eq!((options.depth, options.budget, options.seed), (2, 500, 7));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Tries pairs of faults too (`2`), or one fault a run (`1`).
    ///
    /// ```
    /// use wouldblock::explore::ExploreOptions;
    /// assert_eq!(ExploreOptions::new().depth, 1);
    /// assert_eq!(ExploreOptions::new().depth(2).depth, 2);
    /// ```
    pub fn depth(mut self, depth: u8) -> Self {
        self.depth = depth;
        self
    }

    /// Bounds the runs at depth 2.
    ///
    /// ```
    /// use wouldblock::explore::ExploreOptions;
    /// assert_eq!(ExploreOptions::new().budget, 2000);
    /// assert_eq!(ExploreOptions::new().budget(500).budget, 500);
    /// ```
    pub fn budget(mut self, runs: u64) -> Self {
        self.budget = runs;
        self
    }

    /// Picks which pairs a budget keeps.
    ///
    /// ```
    /// use wouldblock::explore::ExploreOptions;
    /// assert_eq!(ExploreOptions::new().seed(7).seed, 7);
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Runs on this many threads.
    ///
    /// ```
    /// use wouldblock::explore::ExploreOptions;
    /// assert_eq!(ExploreOptions::new().jobs(2).jobs, 2);
    /// ```
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs;
        self
    }

    /// Also tries the host-bug tier's faults, reported in their own section.
    ///
    /// ```
    /// use wouldblock::explore::ExploreOptions;
    /// assert!(ExploreOptions::new().host_bugs(true).host_bugs);
    /// assert!(!ExploreOptions::new().host_bugs);
    /// ```
    pub fn host_bugs(mut self, enable: bool) -> Self {
        self.host_bugs = enable;
        self
    }

    /// Starts no trial after `limit` (the fault-free runs always run).
    ///
    /// ```
    /// use std::time::Duration;
    /// use wouldblock::explore::ExploreOptions;
    /// let options = ExploreOptions::new().budget_time(Duration::from_secs(30));
    /// assert_eq!(options.budget_time, Some(Duration::from_secs(30)));
    /// ```
    pub fn budget_time(mut self, limit: std::time::Duration) -> Self {
        self.budget_time = Some(limit);
        self
    }

    /// Runs only the `i`-th (1-based) of `n` disjoint slices.
    ///
    /// ```
    /// use wouldblock::explore::ExploreOptions;
    /// assert_eq!(ExploreOptions::new().shard, (1, 1));
    /// assert_eq!(ExploreOptions::new().shard(2, 3).shard, (2, 3));
    /// ```
    pub fn shard(mut self, i: u64, n: u64) -> Self {
        self.shard = (i, n);
        self
    }
}

/// One run of the exploration: one fault, or two at depth 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trial {
    /// The sites and faults, in plan order.
    pub faults: Vec<(Site, Fault)>,
}

impl Trial {
    /// The plan that makes this trial's run.
    pub(crate) fn plan(&self) -> Plan {
        self.faults.iter().fold(Plan::new(), |plan, (site, fault)| {
            plan.with_rule(sites::rule_at(fault, *site))
        })
    }

    /// Whether only faults no program survives are in it.
    fn is_robustness(&self) -> bool {
        self.faults.iter().any(|(_, fault)| fault.is_robustness())
    }

    /// The rows of the interface tables its faults came from.
    fn sources(&self) -> Vec<Option<&'static Tried>> {
        let source = |(site, fault): &(Site, Fault)| sites::source(site.op, fault);
        self.faults.iter().map(source).collect()
    }

    /// `host-bug` if one of its faults is: what no correct host does.
    fn tier(&self) -> Tier {
        let host_bug = |s: &Option<&Tried>| s.is_some_and(|t| t.tier == Tier::HostBug);
        if self.sources().iter().any(host_bug) {
            Tier::HostBug
        } else {
            Tier::Real
        }
    }

    /// What groups this trial's finding with others: the operations and faults, not the
    /// call numbers (the earliest site stands for all).
    fn kind(&self) -> String {
        let parts: Vec<String> = self
            .faults
            .iter()
            .map(|(site, fault)| format!("{}: {fault}", site.op))
            .collect();
        parts.join(" + ")
    }
}

/// Explores `guest args...`: a fault-free run, then every fault at every site it
/// showed. The report is the same for the same options, whatever the thread count.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::{Builder, PeerOptions};
/// use wouldblock::explore::{self, ExploreOptions};
/// let harness = Builder::new().peer(PeerOptions::counting().expect_datagrams(4)).build()?;
/// let guest = harness.compile("udp-burst-drop", wouldblock_guests::UDP_BURST_DROP.wasm)?;
/// let args = ["{peer}", "--count", "4"];
/// let report = explore::explore(&harness, &guest, &args, ExploreOptions::new())?;
/// for finding in &report.findings {
///     println!("{}: {}", finding.verdict, finding.site);
/// }
/// # Ok(()) }
/// ```
pub fn explore(
    harness: &Harness,
    guest: &Guest,
    args: &[impl AsRef<str> + Sync],
    options: ExploreOptions,
) -> Result<Report, Error> {
    explore_with_progress(harness, guest, args, options, |_, _| {})
}

/// [`explore`], calling `progress(done, total)` as runs end (for a bar).
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::{Builder, PeerOptions};
/// use wouldblock::explore::{self, ExploreOptions};
/// let harness = Builder::new().peer(PeerOptions::counting().expect_datagrams(4)).build()?;
/// let guest = harness.compile("udp-burst-drop", wouldblock_guests::UDP_BURST_DROP.wasm)?;
/// let args = ["{peer}", "--count", "4"];
/// let options = ExploreOptions::new();
/// let report = explore::explore_with_progress(&harness, &guest, &args, options, |done, total| {
///     eprint!("\r{done}/{total}");
/// })?;
/// assert_eq!(report.runs, report.trials + 1, "every trial, and the fault-free run");
/// # Ok(()) }
/// ```
pub fn explore_with_progress(
    harness: &Harness,
    guest: &Guest,
    args: &[impl AsRef<str> + Sync],
    options: ExploreOptions,
    progress: impl Fn(u64, u64) + Sync,
) -> Result<Report, Error> {
    let quiet = harness.with_output(Output::Capture);
    let words: Vec<String> = args.iter().map(|a| a.as_ref().to_string()).collect();
    let exploration = exploration(harness, guest, &words, options);
    let baseline = quiet.with_plan(Plan::new()).run(guest, args)?;
    if !baseline.passed() {
        return Ok(Report::failed_baseline(
            &baseline,
            options.shard,
            exploration,
        ));
    }
    let sites = sites::sites(&baseline.trace);
    let trials = trials(&sites, &sites::woken(&baseline.trace), options);
    let (shard, of) = options.shard;
    let mine: Vec<(usize, &Trial)> = trials
        .iter()
        .enumerate()
        .filter(|(i, _)| of <= 1 || (*i as u64) % of == shard.saturating_sub(1))
        .collect();
    let deadline = options
        .budget_time
        .and_then(|limit| Instant::now().checked_add(limit));
    let mut ran = run_all(
        &quiet,
        guest,
        args,
        &mine,
        options.jobs,
        deadline,
        &progress,
    )?;
    let incomplete = ran.done < mine.len() as u64 || ran.failure.is_some();
    let found = settle(
        &quiet,
        guest,
        args,
        std::mem::take(&mut ran.groups),
        incomplete,
    )?;
    let Found {
        findings,
        notes,
        host_bugs,
    } = found;
    Ok(Report {
        host_bugs,
        format: REPORT_FORMAT,
        exploration,
        incomplete,
        not_run: ran.cut,
        sites: sites.len() as u64,
        runs: ran.done + 1,
        trials: trials.len() as u64,
        shard: options.shard,
        baseline_failure: None,
        harness_failure: ran.failure.map(|e| e.to_string()),
        findings,
        notes,
        ..Report::default()
    })
}

/// What an exploration records of itself: what decides its trials and verdicts.
fn exploration(
    harness: &Harness,
    guest: &Guest,
    args: &[String],
    options: ExploreOptions,
) -> Exploration {
    Exploration {
        component: guest.name().to_string(),
        sha256: guest.sha256().to_string(),
        args: args.to_vec(),
        depth: options.depth,
        budget: options.budget,
        seed: options.seed,
        host_bugs: options.host_bugs,
        plan: harness.settings().plan.to_toml(),
        settings: harness.settings().fingerprint(),
        replay: String::new(),
    }
}

/// Every single fault at every site; at depth 2, pairs of them sampled by `seed` to fit
/// the budget. A fault real only before a wake-up is not tried at a site the guest reaches only woken.
fn trials(sites: &[Site], woken: &BTreeSet<Site>, options: ExploreOptions) -> Vec<Trial> {
    let tried = |site: &Site, tried: &Tried| {
        (options.host_bugs || tried.tier == Tier::Real)
            && !(tried.eager_only && woken.contains(site))
    };
    let singles: Vec<(Site, Fault)> = sites
        .iter()
        .flat_map(|site| {
            let menu = sites::menu(site.op).iter().filter(|t| tried(site, t));
            menu.map(|t| (*site, t.fault))
        })
        .collect();
    let mut trials: Vec<Trial> = singles
        .iter()
        .map(|one| Trial { faults: vec![*one] })
        .collect();
    if options.depth >= 2 {
        let survivable: Vec<&(Site, Fault)> =
            singles.iter().filter(|(_, f)| !f.is_robustness()).collect();
        let mut pairs: Vec<Trial> = Vec::new();
        for (i, a) in survivable.iter().enumerate() {
            for b in &survivable[i + 1..] {
                if a.0.op != b.0.op || a.0.nth != b.0.nth {
                    pairs.push(Trial {
                        faults: vec![**a, **b],
                    });
                }
            }
        }
        let room = options.budget.saturating_sub(trials.len() as u64) as usize;
        trials.extend(sample(pairs, room, options.seed));
    }
    trials
}

/// `room` of `items`, chosen by `seed` (a Fisher-Yates prefix over a xorshift stream), in
/// their original order.
fn sample<T>(items: Vec<T>, room: usize, seed: u64) -> Vec<T> {
    if items.len() <= room {
        return items;
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    for i in 0..room {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let j = i + (state % (order.len() - i) as u64) as usize;
        order.swap(i, j);
    }
    let mut kept = order[..room].to_vec();
    kept.sort_unstable();
    let mut items: Vec<Option<T>> = items.into_iter().map(Some).collect();
    kept.into_iter().filter_map(|i| items[i].take()).collect()
}

/// What [`run_all`] kept: the groups, and how many trials ended.
struct Ran<'t> {
    groups: Groups<'t>,
    done: u64,
    /// Trials the time budget kept from starting.
    cut: u64,
    /// The harness's own failure that stopped the trials, if one did.
    failure: Option<Error>,
}

/// Runs every trial on `jobs` threads (at most the harness's parallelism), grouping each
/// outcome as it arrives: one outcome is kept per group, so memory grows with what is
/// found, not with the trials run. Outcomes arrive in any order; the earliest trial of a
/// group is kept whatever the order, so the report does not depend on the threads. Once
/// the interrupt flag is set, only the trials that ended are in it.
fn run_all<'t>(
    harness: &Harness,
    guest: &Guest,
    args: &[impl AsRef<str> + Sync],
    trials: &[(usize, &'t Trial)],
    jobs: usize,
    deadline: Option<Instant>,
    progress: &(impl Fn(u64, u64) + Sync),
) -> Result<Ran<'t>, Error> {
    let total = trials.len() as u64;
    let mut ran = Ran {
        groups: Groups::new(),
        done: 0,
        cut: 0,
        failure: None,
    };
    // Past the time budget a trial does not start: it is counted as not run.
    let work = |i: usize| -> Result<Option<Outcome>, Error> {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
        harness
            .with_plan(trials[i].1.plan())
            .run(guest, args)
            .map(Some)
    };
    let jobs = harness.workers(jobs);
    let ran_all = pool::try_run(
        harness.interrupt(),
        trials.len(),
        jobs,
        work,
        |i, outcome| {
            let Some(outcome) = outcome else {
                ran.cut += 1;
                return ControlFlow::Continue(());
            };
            ran.done += 1;
            progress(ran.done, total);
            if !outcome.passed() {
                let (index, trial) = trials[i];
                group(&mut ran.groups, index, trial, outcome);
            }
            ControlFlow::Continue(())
        },
    );
    // What ended before a failure of the harness's own is kept, as found.
    ran.failure = ran_all.err();
    Ok(ran)
}
