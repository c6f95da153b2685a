//! What every decorated interface does around a call: ask the run for the plan's decision
//! (`decided`, `injected`), write the trace line (`finish`), and account for what moved
//! (`account`). The decision itself is [`Faults::decide`](crate::faults::Faults)'s; here
//! it only takes the interface's types, through [`Answer`], so the UDP, TCP, stream and
//! HTTP decorators share one implementation.

use crate::faults::Choice;
use crate::plan::{Op, error_code_name};
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

/// What the plan decided about a call, in the interface's types.
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

impl<T, E: Answer> Decided<T, E> {
    /// The plan's [`Choice`] in the interface's types; `zero` is its empty answer.
    fn of(choice: Choice, zero: impl FnOnce() -> T) -> Self {
        match choice {
            Choice::Empty => Decided::Answer(Ok(zero())),
            Choice::Error(code) => Decided::Answer(Err(E::code(code))),
            Choice::Reset => Decided::Answer(Err(E::reset())),
            Choice::Closed => Decided::Answer(Err(E::closed())),
            Choice::Limit(n) => Decided::Limit(n),
            Choice::Reorder => Decided::Reorder,
            Choice::Real => Decided::Real,
        }
    }
}

/// A decorated interface's view: the run's state. The helpers come with it, so a
/// decorated call reads: make the event, [`decided`](Decorate::decided), make the real
/// call unless answered, [`finish`](Decorate::finish), [`account`](Decorate::account).
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
        Decided::of(self.run().decide(op, rep, event), zero)
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

    /// Accounts for what a call of `op` on `rep` moved ([`Run::account`]): a harness stop
    /// becomes the interface's trap.
    fn account<T, E: Answer>(
        &mut self,
        op: Op,
        rep: u32,
        moved: u64,
        result: &Result<T, E>,
    ) -> Result<(), E> {
        let trapped = result.as_ref().is_err_and(E::is_trap);
        self.run().account(op, rep, moved, trapped).map_err(E::trap)
    }

    /// A call that moved nothing, outside [`Decorate::account`] (a permit of 0).
    fn no_progress<E: Answer>(&mut self) -> Result<(), E> {
        self.run().no_progress().map_err(E::trap)
    }
}
