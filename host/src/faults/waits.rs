//! The decision for a wait: the plan's wait rules are counted on every socket pollable
//! waited on, then the readiness gates say what the wait sees before the real pollables
//! do. A spurious gate wakes the guest at once; finite gates use up their checks; a wait
//! on gates that never open has only the real world (or a timer) left to end it. The
//! poll decorator turns a [`WaitDecision`] into a wake-up, a real wait or a `hang`.

use super::Faults;
use super::gates::Gate;
use super::rules::Call;

/// What the gates make of one wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WaitDecision {
    /// The trace's note: the wait rules that fired and what the gates did.
    pub(crate) note: Option<String>,
    /// The first wait rule that fired.
    pub(crate) rule: Option<usize>,
    /// How many wait rules fired (the `faults_injected` count).
    pub(crate) injected: u64,
    /// The wait rules that fired, for a later note (a missed wake-up found to hang).
    fired: Option<String>,
    /// What comes next.
    pub(crate) then: Then,
}

/// What a wait does after the gates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Then {
    /// A spurious gate wakes the guest at once: these positions are ready.
    Wake(Vec<u32>),
    /// Every pollable's gate stays shut: nothing can end the wait.
    Hang,
    /// The pollables at these positions are the real world's (and the clock's) to decide;
    /// `missed` when a gate among the others will never open, so that only they can end it.
    Real { open: Vec<usize>, missed: bool },
}

impl WaitDecision {
    /// The note for a wait on a missed wake-up that nothing real ended either.
    pub(crate) fn hang_note(&self) -> String {
        note(self.fired.clone(), gate_note(Gate::Never))
    }
}

impl Faults {
    /// Decides a wait on the pollables `reps` (those the plan governs are `governed`).
    pub(crate) fn decide_wait(&mut self, reps: &[u32], governed: &[bool]) -> WaitDecision {
        let fired: Vec<_> = reps
            .iter()
            .zip(governed)
            .filter(|(_, governed)| **governed)
            .filter_map(|(rep, _)| self.observe(*rep))
            .collect();
        let rule = fired.first().map(|i| i.index);
        let injected = fired.len() as u64;
        let fired = (!fired.is_empty()).then(|| {
            let rules: Vec<&str> = fired.iter().map(|i| i.rule.as_str()).collect();
            rules.join(", ")
        });
        let gates: Vec<Option<Gate>> = reps.iter().map(|rep| self.gate(*rep)).collect();
        let decision = |note: Option<String>, then| WaitDecision {
            note,
            rule,
            injected,
            fired: fired.clone(),
            then,
        };

        // A spurious gate wakes the guest at once, whatever the real pollable says.
        let spurious: Vec<u32> = (0..reps.len() as u32)
            .filter(|&i| gates[i as usize].is_some_and(Gate::is_spurious))
            .collect();
        if !spurious.is_empty() {
            let once = spurious
                .iter()
                .all(|&i| gates[i as usize] == Some(Gate::SpuriousOnce));
            let gate = if once {
                Gate::SpuriousOnce
            } else {
                Gate::Spurious
            };
            for &i in &spurious {
                self.tick(reps[i as usize], 1);
            }
            return decision(
                Some(note(fired.clone(), gate_note(gate))),
                Then::Wake(spurious),
            );
        }

        // Readiness checks run until the first finite gate opens.
        let ticks = gates
            .iter()
            .filter_map(|g| match g {
                Some(Gate::Ticks(k)) => Some(*k),
                _ => None,
            })
            .min();
        let mut said = fired.clone();
        if let Some(ticks) = ticks {
            let gated = format!("not-ready for {ticks} check(s), then real");
            said = Some(note(fired.clone(), gated));
            for (rep, gate) in reps.iter().zip(&gates) {
                if matches!(gate, Some(Gate::Ticks(_))) {
                    self.tick(*rep, ticks);
                }
            }
        }
        let open: Vec<usize> = (0..reps.len())
            .filter(|&i| self.gate(reps[i]).is_none())
            .collect();
        if open.is_empty() {
            let hang = note(fired.clone(), gate_note(Gate::Never));
            return decision(Some(hang), Then::Hang);
        }
        let missed = gates.contains(&Some(Gate::Never));
        decision(said, Then::Real { open, missed })
    }

    /// Decides one `ready()` check of `pollable`: the trace's note, the rule that fired,
    /// and the gate's answer (`None`: the real pollable answers).
    pub(crate) fn decide_ready(
        &mut self,
        pollable: u32,
    ) -> (Option<String>, Option<usize>, Option<bool>) {
        let injection = self.observe(pollable);
        let rule = injection.as_ref().map(|i| i.index);
        let fired = injection.map(|i| i.rule);
        match self.gate(pollable) {
            Some(gate) => {
                self.tick(pollable, 1);
                (
                    Some(note(fired, gate_note(gate))),
                    rule,
                    Some(gate.is_spurious()),
                )
            }
            None => (fired, rule, None),
        }
    }

    /// Counts one wait on a socket pollable against the plan's wait rules; a selected
    /// wait re-arms the owner's gate. Returns the rule that selected it.
    fn observe(&mut self, pollable: u32) -> Option<super::Injection> {
        let serial = self.registry.socket_of(pollable)?;
        let res = self.registry.by_serial(serial)?;
        let call = Call {
            op: res.kind.wait_op(),
            serial: Some(serial),
            connected: res.remote.is_some(),
            woken: false,
            timer_wakes: self.detector.timer_wakes(),
        };
        let injection = self.rules.decide(&call)?;
        self.gates.arm(serial, injection.ready, None);
        Some(injection)
    }
}

/// The trace's fault note: the pollable rule that fired, if any, then what the gate did.
fn note(rule: Option<String>, gate: String) -> String {
    match rule {
        Some(rule) => format!("{rule}: {gate}"),
        None => gate,
    }
}

fn gate_note(gate: Gate) -> String {
    match gate {
        Gate::Ticks(k) => format!("not-ready ({k} check(s) left)"),
        Gate::Never => "never-ready".into(),
        Gate::Spurious => "spurious-ready".into(),
        Gate::SpuriousOnce => "spurious-ready once".into(),
    }
}
