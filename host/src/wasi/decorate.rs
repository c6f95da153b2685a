//! The decorator core: what every decorated interface does around a call. Ask the plan
//! (`injected`), write the trace line (`finish`), and feed the busy-loop detector
//! (`account`). Generic over the interface's result type through [`Answer`], so the UDP,
//! TCP and stream decorators share one implementation.

use crate::faults::Hold;
use crate::plan::{Action, Op, Readiness, error_code_name};
use crate::state::Run;
use crate::trace::{Event, Text};
use crate::verdict::Stop;
use nix::errno::Errno;
use wasmtime_wasi::p2::SocketError;
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;
use wasmtime_wasi_io::streams::StreamError;

/// The error side of an interface's results: how an injected error code is answered, how
/// a result is written in the trace, and how a harness stop becomes a trap.
pub(crate) trait Answer: Sized {
    /// The error the guest sees for an injected `error-code`.
    fn code(code: ErrorCode) -> Self;
    /// The trace's words for it: `error(name)`, or `trap: ...`.
    fn describe(&self) -> Text;
    /// Whether it ends the guest rather than reaching it.
    fn is_trap(&self) -> bool;
    /// A trap that ends the guest with the harness's verdict.
    fn trap(stop: Stop) -> Self;
    /// A connection reset (`reset`).
    fn reset() -> Self {
        Self::code(ErrorCode::ConnectionReset)
    }
    /// An early end of stream (`closed`); only streams have one.
    fn closed() -> Self {
        Self::code(ErrorCode::ConnectionAborted)
    }
}

impl Answer for StreamError {
    fn code(code: ErrorCode) -> Self {
        // The error the kernel would have reported, so the guest's `to-debug-string` and
        // `network-error-code` read as they do for a real failure.
        let errno = match code {
            ErrorCode::ConnectionReset => Errno::ECONNRESET,
            ErrorCode::ConnectionAborted => Errno::ECONNABORTED,
            ErrorCode::ConnectionRefused => Errno::ECONNREFUSED,
            ErrorCode::Timeout => Errno::ETIMEDOUT,
            ErrorCode::OutOfMemory => Errno::ENOBUFS,
            ErrorCode::WouldBlock => Errno::EWOULDBLOCK,
            ErrorCode::AccessDenied => Errno::EACCES,
            ErrorCode::RemoteUnreachable => Errno::EHOSTUNREACH,
            _ => Errno::EIO,
        };
        let error = std::io::Error::from_raw_os_error(errno as i32);
        StreamError::LastOperationFailed(wasmtime::Error::new(error))
    }

    fn describe(&self) -> Text {
        match self {
            StreamError::Closed => "closed".into(),
            StreamError::LastOperationFailed(e) => format!("last-operation-failed({e})").into(),
            StreamError::Trap(e) => format!("trap: {e}").into(),
        }
    }

    fn is_trap(&self) -> bool {
        matches!(self, StreamError::Trap(_))
    }

    fn trap(stop: Stop) -> Self {
        StreamError::Trap(wasmtime::Error::new(stop))
    }

    fn closed() -> Self {
        StreamError::Closed
    }
}

/// What the plan decided about a call.
pub(crate) enum Decided<T, E> {
    /// This answer replaces the real one.
    Answer(Result<T, E>),
    /// The real call, with its result cut to this many bytes (`slice`, `short-permit`).
    Limit(u64),
    /// The real call, its addresses IPv6 first (`ipv6-first`).
    Reorder,
    /// The real call (possibly with the readiness changed by a `pass` rule).
    Real,
}

impl Answer for SocketError {
    fn code(code: ErrorCode) -> Self {
        code.into()
    }

    fn describe(&self) -> Text {
        match self.downcast_ref() {
            Some(code) => format!("error({})", error_code_name(*code)).into(),
            None => format!("trap: {self:?}").into(),
        }
    }

    fn is_trap(&self) -> bool {
        self.downcast_ref().is_none()
    }

    fn trap(stop: Stop) -> Self {
        SocketError::trap(stop)
    }
}

/// A decorated interface's view: the run's state. The helpers come with it.
pub(crate) trait Decorate {
    /// The state of the run.
    fn run(&mut self) -> &mut Run;

    /// Asks the plan about a call. `Some` is the injected answer; `None` means make the
    /// real call (possibly with the readiness changed by a `pass` rule).
    fn injected<T, E: Answer>(
        &mut self,
        op: Op,
        rep: Option<u32>,
        zero: impl FnOnce() -> T,
        event: &mut Event,
    ) -> Option<Result<T, E>> {
        match self.decided(op, rep, zero, event) {
            Decided::Answer(answer) => Some(answer),
            Decided::Limit(_) | Decided::Reorder | Decided::Real => None,
        }
    }

    /// [`Decorate::injected`] for the calls a rule may also cut short (`slice`,
    /// `short-permit`) or reorder (`ipv6-first`).
    fn decided<T, E: Answer>(
        &mut self,
        op: Op,
        rep: Option<u32>,
        zero: impl FnOnce() -> T,
        event: &mut Event,
    ) -> Decided<T, E> {
        let run = self.run();
        // WIT: "When this function returns ok(0), the `subscribe` pollable will become
        // ready when this function will report at least ok(1)": until then, it does not.
        let held = rep
            .filter(|_| op.has_zero_answer())
            .and_then(|rep| run.faults.hold(rep));
        if let Some(hold) = held {
            let action = hold.answer(op);
            event.fault = Some(format!(
                "{}: {action}, held until the guest waits on the pollable",
                hold.rule
            ));
            event.rule = Some(hold.index);
            run.recorder.stats.faults_injected += 1;
            return Decided::Answer(match action {
                Action::OkZero if !op.zero_is_would_block() => Ok(zero()),
                _ => Err(E::code(ErrorCode::WouldBlock)),
            });
        }
        let Some(injection) = run.decide(op, rep) else {
            return Decided::Real;
        };
        if let Some(rep) = rep {
            let not_ready = matches!(injection.action, Action::OkZero)
                || injection.action == Action::Error(ErrorCode::WouldBlock);
            // A short read whose rest is not there yet: until the guest waits, the next
            // reads are empty, as they are while a segment is still on its way.
            let short = matches!(injection.action, Action::Slice(_))
                && matches!(injection.ready, Readiness::NotReady(_) | Readiness::Never);
            let hold = (not_ready || short).then(|| Hold {
                index: injection.index,
                rule: injection.rule.clone(),
                op,
                action: if short {
                    Action::OkZero
                } else {
                    injection.action
                },
                short,
            });
            run.faults.arm(rep, injection.ready, hold);
        }
        event.fault = Some(format!(
            "{}: {}, then {}",
            injection.rule, injection.action, injection.ready
        ));
        event.rule = Some(injection.index);
        let failed = |run: &mut Run, answer: E| {
            // An error a socket call reports once leaves the socket usable; a failed
            // stream is finished, so giving up on it is right, not a bug.
            if !op.is_stream() {
                let label = rep.map_or_else(Text::default, |rep| run.faults.registry.label(rep));
                run.faults.error_injected(format!(
                    "{} answered {} on {label}",
                    injection.rule, injection.action
                ));
            }
            Decided::Answer(Err(answer))
        };
        match injection.action {
            Action::OkZero => Decided::Answer(Ok(zero())),
            // would-block is the not-ready signal, not an error to recover from.
            Action::Error(code) if code == ErrorCode::WouldBlock => {
                Decided::Answer(Err(E::code(code)))
            }
            Action::Error(code) => failed(run, E::code(code)),
            Action::Reset => failed(run, E::reset()),
            Action::Closed => failed(run, E::closed()),
            Action::Slice(n) | Action::ShortPermit(n) => Decided::Limit(n),
            Action::Ipv6First => Decided::Reorder,
            Action::Pass => Decided::Real,
        }
    }

    /// [`Decorate::injected`] for operations whose only possible injection is an error.
    fn injected_error<E: Answer>(
        &mut self,
        op: Op,
        rep: Option<u32>,
        event: &mut Event,
    ) -> Option<E> {
        self.injected::<(), E>(op, rep, || (), event)?.err()
    }

    /// Writes the result summary and records the event.
    fn finish<T, E: Answer>(
        &mut self,
        mut event: Event,
        result: &Result<T, E>,
        ok: impl FnOnce(&T) -> Text,
    ) {
        event.result = match result {
            Ok(value) => ok(value),
            Err(err) => err.describe(),
        };
        self.run().record(event);
    }

    /// Feeds the busy-loop detector: moving data is progress (and hands readiness back to
    /// the real pollable); an empty answer or an error is not.
    fn account<T, E: Answer>(
        &mut self,
        rep: u32,
        moved: bool,
        result: &Result<T, E>,
    ) -> Result<(), E> {
        if moved {
            self.run().faults.progress(rep);
            return Ok(());
        }
        // Every answer that moved nothing counts, errors too: a guest that retries
        // out-of-memory at once spins just as one that retries would-block. Traps end
        // the guest anyway.
        let trapped = result.as_ref().is_err_and(E::is_trap);
        if !trapped {
            self.run().no_progress().map_err(E::trap)?;
        }
        Ok(())
    }
}
