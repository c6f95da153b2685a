//! The answers a rule can give and the readiness after them: the vocabulary the catalogue's
//! rows, the plan language and the decision core share.

use super::error_codes::error_code_name;
use super::op::Op;
use std::fmt;
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;

/// The answer a rule gives instead of the real one.
///
/// ```
/// use wouldblock::{Action, Plan};
/// let rules = Plan::parse_spec("tcp.read:first=1,slice=1").unwrap();
/// assert_eq!(rules[0].action, Action::Slice(1));
/// assert_eq!(Action::OkZero.to_string(), "ok-zero");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// The not-ready answer: `check-send`/`send`/`check-write` answer `ok(0)`, `receive`
    /// an empty list, `read` no bytes, `finish-connect`/`accept`/`resolve-next-address`
    /// `would-block`.
    OkZero,
    /// The call answers `error(code)` (on a TCP stream: `last-operation-failed` with it).
    Error(ErrorCode),
    /// The real call happens; only the readiness changes.
    Pass,
    /// `read` returns at most this many of the bytes the real stream has; the rest stay
    /// for later reads.
    Slice(u64),
    /// `check-write` permits at most this many bytes of the real permit.
    ShortPermit(u64),
    /// The stream answers `last-operation-failed` with a connection reset.
    Reset,
    /// The stream answers `closed`: an early end of stream.
    Closed,
    /// A name lookup answers its IPv6 addresses first, then the IPv4 ones (each in the
    /// order the resolver gave them).
    Ipv6First,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::OkZero => f.write_str("ok-zero"),
            Action::Error(code) => write!(f, "error({})", error_code_name(*code)),
            Action::Pass => f.write_str("pass"),
            Action::Slice(n) => write!(f, "slice {n}"),
            Action::ShortPermit(n) => write!(f, "short-permit {n}"),
            Action::Reset => f.write_str("reset"),
            Action::Closed => f.write_str("closed"),
            Action::Ipv6First => f.write_str("ipv6-first"),
        }
    }
}

/// What the operation's pollable does after an injected answer.
///
/// ```
/// use wouldblock::{Plan, Readiness};
/// let rules = Plan::parse_spec("udp.send:first=1,action=ok-zero,ready=never").unwrap();
/// assert_eq!(rules[0].ready, Readiness::Never);
/// assert_eq!(Readiness::NotReady(3).to_string(), "not-ready 3");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// The real pollable decides at once.
    Real,
    /// Not ready for this many readiness checks (each `pollable.ready()` call and each
    /// round of `poll`/`block`), then the real pollable decides.
    NotReady(u32),
    /// Never ready again until a real call on the resource makes progress: a missed
    /// wake-up.
    Never,
    /// Ready at once, even if the real pollable is not: a spurious wake-up.
    Spurious,
    /// Ready at once for one check, then the real pollable decides: one spurious wake-up.
    SpuriousOnce,
}

impl fmt::Display for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Readiness::Real => f.write_str("real"),
            Readiness::NotReady(k) => write!(f, "not-ready {k}"),
            Readiness::Never => f.write_str("never-ready"),
            Readiness::Spurious => f.write_str("spurious-ready"),
            Readiness::SpuriousOnce => f.write_str("spurious-once"),
        }
    }
}

/// Whether `error(code)` from `op` leaves its resource usable: the condition passes and a
/// correct program calls again (ENOBUFS, an ICMP error on a UDP socket, EAI_AGAIN, an
/// aborted connection at `accept`). Any other error ends what the call was for (a refused
/// or timed-out connect, an unknown name, a denied create), so giving up on it is right.
pub(crate) fn transient(op: Op, code: ErrorCode) -> bool {
    use crate::resources::Kind;
    match (op.kind(), code) {
        // WIT (udp): errors are reported per call; the socket stays open.
        (Kind::UdpSocket | Kind::UdpIncoming | Kind::UdpOutgoing, c) => matches!(
            c,
            ErrorCode::OutOfMemory
                | ErrorCode::ConnectionRefused
                | ErrorCode::RemoteUnreachable
                | ErrorCode::WouldBlock
        ),
        // WIT (ip-name-lookup): `temporary-resolver-failure`: "try again later".
        (Kind::Lookup, c) => c == ErrorCode::TemporaryResolverFailure,
        // accept(2): ECONNABORTED and ENOBUFS leave the listener usable.
        _ if op == Op::TcpAccept => matches!(
            code,
            ErrorCode::ConnectionAborted | ErrorCode::OutOfMemory | ErrorCode::NewSocketLimit
        ),
        _ => op == Op::TcpCreateSocket && code == ErrorCode::OutOfMemory,
    }
}
