//! Rule matching: each call of an operation is counted against every rule for it, in the
//! rule's scope, and the first rule that selects it decides the answer.

use crate::plan::{Action, Op, Readiness, Rule, Scope};
use std::collections::{BTreeMap, BTreeSet};

/// An injected answer, decided before the real call would happen.
#[derive(Debug, Clone)]
pub(crate) struct Injection {
    /// The rule's position in the plan.
    pub(crate) index: usize,
    pub(crate) rule: String,
    pub(crate) action: Action,
    pub(crate) ready: Readiness,
}

/// A rule's counter: the rule's index and the resource serial, or `None` for the
/// global scope.
type Key = (usize, Option<u64>);

/// The plan's rules and what they have counted so far.
pub(crate) struct Rules {
    rules: Vec<Rule>,
    /// The rules of each operation, in plan order: a call looks only at its own, so a plan
    /// of many rules costs a call what its operation's rules cost.
    by_op: BTreeMap<Op, Vec<usize>>,
    /// Calls seen per rule and scope.
    counts: BTreeMap<Key, u64>,
    /// Rule and resource whose next call repeats the last injection (`sticky`).
    sticky: BTreeSet<Key>,
    /// Timer wake-ups seen when each rule and scope first matched, for `until-waits`.
    opened: BTreeMap<Key, u64>,
}

/// The call being decided.
pub(crate) struct Call {
    pub(crate) op: Op,
    /// The serial of the resource it is made on, if the harness follows it.
    pub(crate) serial: Option<u64>,
    /// Whether the resource is a stream of a connected socket.
    pub(crate) connected: bool,
    /// Whether the call comes right after a wait found its resource ready.
    pub(crate) woken: bool,
    /// Timer wake-ups so far in the run.
    pub(crate) timer_wakes: u64,
}

impl Rules {
    pub(crate) fn new(rules: &[Rule]) -> Self {
        let mut by_op: BTreeMap<Op, Vec<usize>> = BTreeMap::new();
        for (index, rule) in rules.iter().enumerate() {
            by_op.entry(rule.op).or_default().push(index);
        }
        Self {
            rules: rules.to_vec(),
            by_op,
            counts: BTreeMap::new(),
            sticky: BTreeSet::new(),
            opened: BTreeMap::new(),
        }
    }

    /// Counts `call` against every rule for its operation and returns the first rule that
    /// selects it.
    pub(crate) fn decide(&mut self, call: &Call) -> Option<Injection> {
        let mut chosen = None;
        for &index in self.by_op.get(&call.op).map_or(&[][..], Vec::as_slice) {
            let rule = &self.rules[index];
            if (rule.connected && !call.connected) || (rule.eager && call.woken) {
                continue;
            }
            let key = match rule.scope {
                Scope::Stream => (index, call.serial),
                Scope::Global => (index, None),
            };
            let count = self.counts.entry(key).or_default();
            let n = *count;
            *count += 1;
            let waits = if n >= rule.select.after {
                call.timer_wakes - *self.opened.entry(key).or_insert(call.timer_wakes)
            } else {
                0
            };
            // A sticky repeat is owed per resource, whatever the rule's scope.
            let repeat = self.sticky.remove(&(index, call.serial));
            let selected = rule.select.matches(n, waits);
            if rule.sticky && selected {
                self.sticky.insert((index, call.serial));
            }
            if chosen.is_none() && (selected || repeat) {
                chosen = Some(Injection {
                    index,
                    rule: rule.name.clone(),
                    action: rule.action,
                    ready: rule.ready,
                });
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Plan;

    fn call(woken: bool) -> Call {
        Call {
            op: Op::TcpConnect,
            serial: Some(1),
            connected: false,
            woken,
            timer_wakes: 0,
        }
    }

    #[test]
    fn an_eager_rule_lets_a_call_right_after_a_wake_up_through_uncounted() {
        let plan = Plan::parse_spec("tcp.connect:first=2,action=would-block,eager=true").unwrap();
        let mut rules = Rules::new(&plan);
        // Early calls are answered; one right after a wake-up is not, and is not counted.
        assert!(rules.decide(&call(false)).is_some());
        assert!(rules.decide(&call(true)).is_none());
        assert!(rules.decide(&call(false)).is_some());
        assert!(rules.decide(&call(false)).is_none());
        let plain = Plan::parse_spec("tcp.connect:first=1,action=would-block").unwrap();
        assert!(Rules::new(&plain).decide(&call(true)).is_some());
    }
}
