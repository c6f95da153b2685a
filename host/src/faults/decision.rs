//! The one decision a decorated call asks for. [`Faults::decide`] counts the call against
//! the plan, looks at the not-ready answer standing on its resource, arms the readiness
//! gate and remembers an injected transient error, and hands back a [`Decision`]: the
//! answer to give (or the real call, possibly cut short) and the trace's note. The
//! decorators only turn the [`Choice`] into their interface's types; WASI 0.3's streams
//! and futures, or a relay to a real server, ask the same question the same way.

use super::Faults;
use super::gates::Hold;
use super::rules::Call;
use crate::catalogue::{Action, Op, Readiness, transient};
use crate::resources::Kind;
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;

/// What the plan decided about one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    /// The answer, or the real call.
    pub(crate) choice: Choice,
    /// The trace's note (`rule: answer, then readiness`); `None` when no rule applied.
    pub(crate) note: Option<String>,
    /// The position in the plan of the rule that decided.
    pub(crate) rule: Option<usize>,
}

/// The answer a decorated call gives, in no interface's types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    /// The real call, as wasmtime-wasi makes it (a `pass` rule may have changed only the
    /// readiness).
    Real,
    /// The real call, its answer cut to this many bytes or permits (`slice`,
    /// `short-permit`).
    Limit(u64),
    /// The real call, its addresses IPv6 first (`ipv6-first`).
    Reorder,
    /// The empty not-ready answer: `ok(0)`, an empty list, no bytes.
    Empty,
    /// `error(code)` (on a stream: `last-operation-failed` with it).
    Error(ErrorCode),
    /// A connection reset.
    Reset,
    /// An early end of stream (`closed`).
    Closed,
}

impl Decision {
    /// The real call, no rule involved.
    fn real() -> Self {
        Self {
            choice: Choice::Real,
            note: None,
            rule: None,
        }
    }

    /// Whether the plan changed the answer or the readiness (the `faults_injected` count).
    pub(crate) fn injected(&self) -> bool {
        self.note.is_some()
    }
}

impl Faults {
    /// Decides one call of `op` on resource `rep` (`None`: a call on no resource, such as
    /// a create): the not-ready answer standing on the resource first, then the plan.
    pub(crate) fn decide(&mut self, op: Op, rep: Option<u32>) -> Decision {
        if let Some(decision) = rep.and_then(|rep| self.after_end(op, rep)) {
            return decision;
        }
        if let Some(decision) = rep.and_then(|rep| self.held(op, rep)) {
            return decision;
        }
        let res = rep.and_then(|rep| self.registry.get(rep));
        let serial = res.map(|r| r.serial);
        let call = Call {
            op,
            serial,
            connected: res.is_some_and(|r| r.remote.is_some()),
            woken: serial.is_some_and(|s| self.woken.remove(&s)),
            timer_wakes: self.detector.timer_wakes(),
        };
        let Some(injection) = self.rules.decide(&call) else {
            return Decision::real();
        };
        let (action, ready) = (injection.action, injection.ready);
        if let Some(rep) = rep {
            let not_ready =
                matches!(action, Action::OkZero) || action == Action::Error(ErrorCode::WouldBlock);
            // A short read whose rest is not there yet: until the guest waits, the next
            // reads are empty, as they are while a segment is still on its way.
            let short = matches!(action, Action::Slice(_))
                && matches!(ready, Readiness::NotReady(_) | Readiness::Never);
            let hold = (not_ready || short).then(|| Hold {
                index: injection.index,
                rule: injection.rule.clone(),
                op,
                action: if short { Action::OkZero } else { action },
                short,
            });
            self.arm(rep, ready, hold);
        }
        let failed = |code: Option<ErrorCode>| {
            // An error a socket call reports once leaves the socket usable; a failed stream
            // is finished, and a permanent error (a refused connect, an unknown name) ends
            // what it was for: giving up on either is right, not a bug.
            !op.is_stream() && code.is_none_or(|code| transient(op, code))
        };
        let remember = match action {
            Action::Error(code) if code != ErrorCode::WouldBlock => failed(Some(code)),
            Action::Reset | Action::Closed => failed(None),
            _ => false,
        };
        if let (Some(rep), Action::Reset | Action::Closed, true) = (rep, action, op.is_stream()) {
            self.end_stream(rep, op, choice_of(action));
        }
        if remember {
            let on = rep
                .map(|rep| self.registry.label(rep))
                .filter(|label| !label.to_string().is_empty())
                .map_or_else(String::new, |label| format!(" on {label}"));
            let what = format!("{} answered {action}{on}", injection.rule);
            self.detector.error_injected(what);
        }
        Decision {
            choice: choice_of(action),
            note: Some(format!("{}: {action}, then {ready}", injection.rule)),
            rule: Some(injection.index),
        }
    }

    /// A stream an injected reset or early end finished answers as wasmtime-wasi's finished
    /// streams do: a read `closed`, a write, permit or flush the same error again.
    fn after_end(&self, op: Op, rep: u32) -> Option<Decision> {
        let serial = self.registry.serial(rep)?;
        let ended = *self.finished.get(&serial)?;
        Some(Decision {
            choice: ended,
            note: Some(format!("the stream ended earlier ({})", choice_name(ended))),
            rule: None,
        })
        .filter(|_| op.is_stream())
    }

    /// An injected reset or early end finishes stream `rep`: a read side is `closed` from
    /// now on, a write side keeps its error, and its pollable is ready at once, as a
    /// finished stream's is.
    fn end_stream(&mut self, rep: u32, op: Op, ended: Choice) {
        let Some(serial) = self.registry.serial(rep) else {
            return;
        };
        let reads = matches!(op.kind(), Kind::TcpInput | Kind::HttpBodyInput);
        let after = if reads { Choice::Closed } else { ended };
        self.finished.insert(serial, after);
        self.gates.arm(serial, Readiness::Spurious, None);
    }

    /// The not-ready answer standing on `rep` until the guest waits, if `op` has one.
    // WIT: "When this function returns ok(0), the `subscribe` pollable will become ready
    // when this function will report at least ok(1)": until then, it does not.
    fn held(&self, op: Op, rep: u32) -> Option<Decision> {
        if !op.has_zero_answer() {
            return None;
        }
        let hold = self.hold(rep)?;
        let action = hold.answer(op);
        let choice = match action {
            Action::OkZero if !op.zero_is_would_block() => Choice::Empty,
            _ => Choice::Error(ErrorCode::WouldBlock),
        };
        Some(Decision {
            choice,
            note: Some(format!(
                "{}: {action}, held until the guest waits on the pollable",
                hold.rule
            )),
            rule: Some(hold.index),
        })
    }
}

/// What a finished stream answers, in the trace's words.
fn choice_name(choice: Choice) -> &'static str {
    match choice {
        Choice::Closed => "closed",
        _ => "reset",
    }
}

/// A rule's action as an answer.
fn choice_of(action: Action) -> Choice {
    match action {
        Action::OkZero => Choice::Empty,
        Action::Error(code) => Choice::Error(code),
        Action::Reset => Choice::Reset,
        Action::Closed => Choice::Closed,
        Action::Slice(n) | Action::ShortPermit(n) => Choice::Limit(n),
        Action::Ipv6First => Choice::Reorder,
        Action::Pass => Choice::Real,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Plan;

    fn faults(spec: &str) -> Faults {
        let plan = Plan::new().with_spec(spec).unwrap();
        let mut faults = Faults::new(&plan, 1000, 100);
        let remote = Some("127.0.0.1:9".parse().unwrap());
        faults.registry.register(1, Kind::TcpInput, remote);
        faults.registry.register(2, Kind::TcpOutput, remote);
        faults
    }

    #[test]
    fn after_an_injected_reset_a_read_side_is_closed_for_good() {
        let mut faults = faults("tcp.read:first=1,action=reset");
        assert_eq!(faults.decide(Op::TcpRead, Some(1)).choice, Choice::Reset);
        // wasmtime-wasi's reader is `Closed` after an error: no data comes out again.
        for _ in 0..3 {
            let after = faults.decide(Op::TcpRead, Some(1));
            assert_eq!(after.choice, Choice::Closed);
            assert!(after.note.is_some_and(|n| n.contains("ended earlier")));
        }
        // The other stream is not the one the rule answered.
        assert_eq!(faults.decide(Op::TcpWrite, Some(2)).choice, Choice::Real);
    }

    #[test]
    fn after_an_injected_reset_a_write_side_keeps_its_error() {
        let mut faults = faults("tcp.write:first=1,action=reset");
        for _ in 0..3 {
            assert_eq!(faults.decide(Op::TcpWrite, Some(2)).choice, Choice::Reset);
        }
        assert_eq!(
            faults.decide(Op::TcpCheckWrite, Some(2)).choice,
            Choice::Reset
        );
    }

    #[test]
    fn a_permanent_error_is_not_remembered_as_transient() {
        let mut faults = faults("tcp.connect:first=1,action=connection-refused");
        faults.decide(Op::TcpConnect, None);
        assert_eq!(faults.pending_error(), None);
        let mut faults = faults_udp("udp.send:first=1,action=out-of-memory");
        faults.decide(Op::UdpSend, Some(3));
        assert!(
            faults
                .pending_error()
                .is_some_and(|e| e.ends_with("on outgoing#1"))
        );
    }

    fn faults_udp(spec: &str) -> Faults {
        let plan = Plan::new().with_spec(spec).unwrap();
        let mut faults = Faults::new(&plan, 1000, 100);
        faults.registry.register(3, Kind::UdpOutgoing, None);
        faults
    }
}
