//! The run-time side of a plan: call counters, readiness gates, the busy-loop detector and
//! the trace. One `Faults` lives in each store; every decision is a pure function of the
//! calls the guest has made so far.

use crate::plan::{Action, Op, Plan, Readiness, Rule};
use crate::trace::{self, Event, Trace};
use crate::verdict::{Stop, Verdict};
use std::collections::BTreeMap;

/// The counters printed in the summary line and returned in an [`Outcome`](crate::Outcome).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Answers the plan replaced (including readiness-only changes).
    pub faults_injected: u64,
    /// `check-send` calls.
    pub check_send_calls: u64,
    /// `send` calls (with at least one datagram).
    pub send_calls: u64,
    /// Datagrams the host accepted from the guest.
    pub datagrams_accepted: u64,
    /// `receive` calls.
    pub receive_calls: u64,
    /// Datagrams the guest received.
    pub datagrams_received: u64,
    /// `poll`, `block` and `ready` calls that involved a socket pollable.
    pub socket_waits: u64,
}

/// The kinds of socket resource the harness follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Socket,
    Incoming,
    Outgoing,
}

impl Kind {
    /// The plan operation that stands for a wait on this kind's pollable.
    fn pollable_op(self) -> Op {
        match self {
            Kind::Socket => Op::UdpSocketPollable,
            Kind::Incoming => Op::UdpIncomingPollable,
            Kind::Outgoing => Op::UdpOutgoingPollable,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Socket => "udp-socket",
            Kind::Incoming => "incoming",
            Kind::Outgoing => "outgoing",
        }
    }
}

/// A socket resource, keyed in [`Faults`] by its table rep (reps are reused after a drop,
/// so each resource also gets a serial that is never reused).
#[derive(Debug, Clone)]
struct Res {
    serial: u64,
    kind: Kind,
    label: String,
    /// A stream of a connected socket (`stream(some(addr))`).
    connected: bool,
}

/// What a socket pollable reports instead of the real readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Not ready for this many more checks.
    Ticks(u32),
    /// Not ready until a real call makes progress.
    Never,
    /// Ready at once.
    Spurious,
}

/// An injected answer, decided before the real call would happen.
#[derive(Debug, Clone)]
pub(crate) struct Injection {
    pub(crate) rule: String,
    pub(crate) action: Action,
    pub(crate) ready: Readiness,
}

/// The fault state of one run.
pub(crate) struct Faults {
    rules: Vec<Rule>,
    /// Calls seen per (rule index, resource serial); `None` is the global scope.
    counts: BTreeMap<(usize, Option<u64>), u64>,
    /// (rule, resource serial) whose next call repeats the last injection (`sticky`).
    sticky: BTreeMap<(usize, Option<u64>), ()>,
    /// Timer wake-ups seen when each (rule, scope) first matched, for `until-waits`.
    opened: BTreeMap<(usize, Option<u64>), u64>,
    /// Times the guest was woken by something other than a socket pollable: a clock,
    /// i.e. it backed off. The only way time passes in a plan.
    timer_wakes: u64,
    /// The last injected error the guest has not yet recovered from (no data moved since).
    pending_error: Option<String>,
    resources: BTreeMap<u32, Res>,
    /// Pollable rep → serial of the socket resource it was subscribed from.
    pollables: BTreeMap<u32, u64>,
    gates: BTreeMap<u64, Gate>,
    /// Datagrams the guest may send, per outgoing stream serial, from its last `check-send`.
    permits: BTreeMap<u64, u64>,
    labels: BTreeMap<Kind, u64>,
    next_serial: u64,
    busy_threshold: u64,
    no_progress: u64,
    pub(crate) stats: Stats,
    pub(crate) trace: Trace,
}

/// How many trace lines a verdict quotes as evidence.
const EVIDENCE_LINES: usize = 6;

impl Faults {
    pub(crate) fn new(plan: &Plan, busy_threshold: u64) -> Self {
        Self {
            rules: plan.rules.clone(),
            counts: BTreeMap::new(),
            opened: BTreeMap::new(),
            sticky: BTreeMap::new(),
            timer_wakes: 0,
            pending_error: None,
            resources: BTreeMap::new(),
            pollables: BTreeMap::new(),
            gates: BTreeMap::new(),
            permits: BTreeMap::new(),
            labels: BTreeMap::new(),
            next_serial: 0,
            busy_threshold,
            no_progress: 0,
            stats: Stats::default(),
            trace: Trace::default(),
        }
    }

    /// Starts following a new socket resource; returns its label, e.g. `outgoing#2`.
    pub(crate) fn register(&mut self, rep: u32, kind: Kind, connected: bool) -> String {
        self.next_serial += 1;
        let n = self.labels.entry(kind).or_default();
        *n += 1;
        let label = format!("{}#{n}", kind.label());
        self.resources.insert(
            rep,
            Res {
                serial: self.next_serial,
                kind,
                label: label.clone(),
                connected,
            },
        );
        label
    }

    /// Stops following a dropped socket resource.
    pub(crate) fn forget(&mut self, rep: u32) {
        if let Some(res) = self.resources.remove(&rep) {
            self.gates.remove(&res.serial);
            self.permits.remove(&res.serial);
            self.pollables.retain(|_, serial| *serial != res.serial);
        }
    }

    /// The label of a resource, or `?` for one the harness did not see created.
    pub(crate) fn label(&self, rep: u32) -> String {
        self.resources
            .get(&rep)
            .map_or_else(|| format!("?{rep}"), |r| r.label.clone())
    }

    fn serial(&self, rep: u32) -> Option<u64> {
        self.resources.get(&rep).map(|r| r.serial)
    }

    /// Counts a call of `op` on resource `rep` against every rule for `op` and returns the
    /// first rule that selects it.
    pub(crate) fn decide(&mut self, op: Op, rep: Option<u32>) -> Option<Injection> {
        let res = rep.and_then(|rep| self.resources.get(&rep));
        let serial = res.map(|r| r.serial);
        let connected = res.is_some_and(|r| r.connected);
        let mut chosen = None;
        for (index, rule) in self.rules.iter().enumerate() {
            if rule.op != op || (rule.connected && !connected) {
                continue;
            }
            let key = match rule.scope {
                crate::plan::Scope::Stream => (index, serial),
                crate::plan::Scope::Global => (index, None),
            };
            let count = self.counts.entry(key).or_default();
            let n = *count;
            *count += 1;
            let waits = if n >= rule.select.after {
                self.timer_wakes - *self.opened.entry(key).or_insert(self.timer_wakes)
            } else {
                0
            };
            // A sticky repeat is owed per resource, whatever the rule's scope.
            let repeat = self.sticky.remove(&(index, serial)).is_some();
            let selected = rule.select.matches(n, waits);
            if rule.sticky && selected {
                self.sticky.insert((index, serial), ());
            }
            if chosen.is_none() && (selected || repeat) {
                chosen = Some(Injection {
                    rule: rule.name.clone(),
                    action: rule.action,
                    ready: rule.ready,
                });
            }
        }
        if chosen.is_some() {
            self.stats.faults_injected += 1;
        }
        chosen
    }

    /// Sets what the pollables of resource `rep` report after an injected answer.
    pub(crate) fn arm(&mut self, rep: u32, ready: Readiness) {
        let Some(serial) = self.serial(rep) else {
            return;
        };
        match ready {
            Readiness::Real | Readiness::NotReady(0) => self.gates.remove(&serial),
            Readiness::NotReady(k) => self.gates.insert(serial, Gate::Ticks(k)),
            Readiness::Never => self.gates.insert(serial, Gate::Never),
            Readiness::Spurious => self.gates.insert(serial, Gate::Spurious),
        };
    }

    /// A real call on `rep` moved data: readiness is real again and the guest is not
    /// spinning.
    pub(crate) fn progress(&mut self, rep: u32) {
        if let Some(serial) = self.serial(rep) {
            self.gates.remove(&serial);
        }
        self.no_progress = 0;
        self.pending_error = None;
    }

    /// The guest was woken by a clock: it backed off, time passed, it is not spinning.
    pub(crate) fn timer_wake(&mut self) {
        self.timer_wakes += 1;
        self.no_progress = 0;
    }

    /// An injected error was answered; remembered until data moves again.
    pub(crate) fn error_injected(&mut self, what: String) {
        self.pending_error = Some(what);
    }

    /// The injected error the guest never recovered from, if any.
    pub(crate) fn pending_error(&self) -> Option<&str> {
        self.pending_error.as_deref()
    }

    /// A call that moved nothing. Too many in a row and the guest is busy-looping: it is
    /// stopped here, because a guest that never blocks never lets anything else run.
    pub(crate) fn no_progress(&mut self) -> Result<(), Stop> {
        self.no_progress += 1;
        if self.no_progress > self.busy_threshold {
            return Err(self.stop(
                Verdict::BusyLoop,
                format!(
                    "the guest made {} socket calls in a row without sending or receiving \
                     anything and without being woken by a timer (threshold {}): it is \
                     spinning instead of waiting or backing off",
                    self.no_progress, self.busy_threshold
                ),
            ));
        }
        Ok(())
    }

    /// A stop with the last trace lines as evidence.
    pub(crate) fn stop(&self, verdict: Verdict, reason: String) -> Stop {
        Stop {
            verdict,
            reason,
            evidence: trace::render(&self.trace.tail(EVIDENCE_LINES)),
        }
    }

    /// Records the permit a `check-send` answer grants.
    pub(crate) fn grant(&mut self, rep: u32, permit: u64) {
        if let Some(serial) = self.serial(rep) {
            self.permits.insert(serial, permit);
        }
    }

    /// Takes the permit for a `send` call.
    // WIT: "Each call to `send` must be permitted by a preceding `check-send`."
    pub(crate) fn take_permit(&mut self, rep: u32) -> u64 {
        self.serial(rep)
            .and_then(|serial| self.permits.remove(&serial))
            .unwrap_or(0)
    }

    /// Remembers that pollable `pollable` reports the readiness of resource `target`.
    pub(crate) fn subscribe(&mut self, pollable: u32, target: u32) {
        if let Some(serial) = self.serial(target) {
            self.pollables.insert(pollable, serial);
        }
    }

    /// Forgets a dropped pollable.
    pub(crate) fn unsubscribe(&mut self, pollable: u32) {
        self.pollables.remove(&pollable);
    }

    /// The label of the resource a pollable belongs to, if it is a socket pollable.
    pub(crate) fn pollable_label(&self, pollable: u32) -> Option<String> {
        let serial = self.pollables.get(&pollable)?;
        self.resources
            .values()
            .find(|r| r.serial == *serial)
            .map(|r| r.label.clone())
    }

    /// Counts one wait on a socket pollable against the plan's pollable rules; a selected
    /// wait re-arms the owner's gate. Returns the rule's name.
    pub(crate) fn observe(&mut self, pollable: u32) -> Option<String> {
        let serial = *self.pollables.get(&pollable)?;
        let (rep, kind) = self
            .resources
            .iter()
            .find(|(_, r)| r.serial == serial)
            .map(|(rep, r)| (*rep, r.kind))?;
        let injection = self.decide(kind.pollable_op(), Some(rep))?;
        self.arm(rep, injection.ready);
        Some(injection.rule)
    }

    /// The gate on a pollable, if any.
    pub(crate) fn gate(&self, pollable: u32) -> Option<Gate> {
        self.gates.get(self.pollables.get(&pollable)?).copied()
    }

    /// Uses up `ticks` readiness checks on a pollable's gate; an exhausted gate hands over
    /// to the real pollable.
    pub(crate) fn tick(&mut self, pollable: u32, ticks: u32) {
        let Some(serial) = self.pollables.get(&pollable) else {
            return;
        };
        if let Some(Gate::Ticks(left)) = self.gates.get_mut(serial) {
            *left = left.saturating_sub(ticks);
            if *left == 0 {
                self.gates.remove(serial);
            }
        }
    }

    /// Appends a trace event.
    pub(crate) fn record(&mut self, event: Event) {
        self.trace.push(event);
    }
}
