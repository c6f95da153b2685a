//! The operations of the plan language, gathered from the interface tables: what an
//! [`Op`] is called, what it acts on, whether it is a wait, how it says "not now", and
//! what explore tries there; and what a resource [`Kind`] is called and waited on as.
//! The plan's parser, the registry and explore ask these methods, never a list of their
//! own.

use super::fault::Tried;
use super::op::{NotReady, Op};
use super::rows::{Cut, KindRow, OpRow};
use super::{http_outgoing_handler, http_types};
use super::{ip_name_lookup, streams, tcp, tcp_create_socket, udp, udp_create_socket};
use crate::resources::{Kind, Unit};
use std::sync::LazyLock;

/// Every interface's operations, in the order their rows are listed.
const TABLES: &[&[OpRow]] = &[
    udp_create_socket::OPS,
    udp::OPS,
    tcp_create_socket::OPS,
    tcp::OPS,
    streams::OPS,
    ip_name_lookup::OPS,
    http_outgoing_handler::OPS,
    http_types::OPS,
];

/// Every interface's resource kinds.
const KINDS: &[&[KindRow]] = &[
    udp::KINDS,
    tcp::KINDS,
    streams::KINDS,
    ip_name_lookup::KINDS,
    http_types::KINDS,
];

/// The rows by operation, so a call costs an index, not a search.
static BY_OP: LazyLock<Vec<&'static OpRow>> = LazyLock::new(|| {
    let mut rows: Vec<&OpRow> = TABLES.iter().flat_map(|table| table.iter()).collect();
    rows.sort_by_key(|row| row.op);
    rows
});

/// Every row, in table order.
pub(crate) fn rows() -> impl Iterator<Item = &'static OpRow> {
    TABLES.iter().flat_map(|table| table.iter())
}

fn row(op: Op) -> &'static OpRow {
    let rows = &*BY_OP;
    match rows.binary_search_by_key(&op, |row| row.op) {
        Ok(i) => rows[i],
        Err(_) => unreachable!("{op:?} has no row in any interface table (tests check this)"),
    }
}

fn kind_row(kind: Kind) -> &'static KindRow {
    KINDS
        .iter()
        .flat_map(|table| table.iter())
        .find(|row| row.kind == kind)
        .unwrap_or_else(|| unreachable!("{kind:?} has no row in any interface table"))
}

impl Op {
    /// The name used in plans and traces, e.g. `udp.send`.
    ///
    /// ```
    /// assert_eq!(wouldblock::Op::TcpRead.name(), "tcp.read");
    /// ```
    pub fn name(self) -> &'static str {
        row(self).name
    }

    /// The operation with this name, e.g. `udp.send`.
    ///
    /// ```
    /// use wouldblock::Op;
    /// assert_eq!(Op::from_name("udp.send"), Some(Op::UdpSend));
    /// assert_eq!(Op::from_name("udp.sendmsg"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Op> {
        rows().find(|row| row.name == name).map(|row| row.op)
    }

    /// Whether this is a wait on a pollable rather than a call with an answer: its rules
    /// set only the readiness (`ready`), counted per wait.
    ///
    /// ```
    /// assert!(wouldblock::Op::UdpOutgoingPollable.is_pollable());
    /// ```
    pub fn is_pollable(self) -> bool {
        row(self).wait
    }

    /// The kind of resource it acts on (a wait: whose pollable; a create: what it makes).
    ///
    /// ```
    /// use wouldblock::{Kind, Op};
    /// assert_eq!(Op::TcpRead.kind(), Kind::TcpInput);
    /// assert_eq!(Op::UdpOutgoingPollable.kind(), Kind::UdpOutgoing);
    /// ```
    pub fn kind(self) -> Kind {
        row(self).kind
    }

    /// How the call says "not now", if it can.
    pub(crate) fn not_ready(self) -> Option<NotReady> {
        row(self).not_ready
    }

    /// Whether `ok-zero` means something for this operation.
    pub(crate) fn has_zero_answer(self) -> bool {
        self.not_ready().is_some()
    }

    /// Whether the not-ready answer is `would-block` rather than an empty result.
    pub(crate) fn zero_is_would_block(self) -> bool {
        self.not_ready() == Some(NotReady::WouldBlock)
    }

    /// Whether this is a call on a TCP connection's stream (`reset`, `closed` apply).
    pub(crate) fn is_stream(self) -> bool {
        row(self).stream
    }

    /// Whether a rule may cut this operation's answer short with `slice`.
    pub(crate) fn takes_slice(self) -> bool {
        row(self).cut == Some(Cut::Slice)
    }

    /// Whether a rule may cut this operation's permit with `short-permit`.
    pub(crate) fn takes_short_permit(self) -> bool {
        row(self).cut == Some(Cut::ShortPermit)
    }

    /// Whether a rule may reorder this operation's answer with `ipv6-first`.
    pub(crate) fn takes_reorder(self) -> bool {
        row(self).cut == Some(Cut::Reorder)
    }

    /// The faults explore tries at each call of this operation, in order.
    pub(crate) fn explored(self) -> &'static [Tried] {
        row(self).explore
    }
}

impl Kind {
    /// The label prefix in traces: `outgoing` in `outgoing#1`.
    ///
    /// ```
    /// assert_eq!(wouldblock::Kind::TcpInput.label(), "input");
    /// ```
    pub fn label(self) -> &'static str {
        kind_row(self).label
    }

    /// The plan operation that stands for a wait on this kind's pollable.
    ///
    /// ```
    /// use wouldblock::{Kind, Op};
    /// assert_eq!(Kind::UdpIncoming.wait_op(), Op::UdpIncomingPollable);
    /// ```
    pub fn wait_op(self) -> Op {
        kind_row(self).wait
    }

    /// What this kind's permits count.
    pub(crate) fn unit(self) -> Unit {
        kind_row(self).unit
    }

    /// Whether this is a socket (a descriptor on the host), not one of its streams.
    pub(crate) fn is_socket(self) -> bool {
        kind_row(self).socket
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_has_exactly_one_row_and_a_unique_name() {
        for op in Op::ALL {
            let mine: Vec<_> = rows().filter(|row| row.op == op).collect();
            assert_eq!(mine.len(), 1, "{op:?} must have exactly one row");
            let named = rows().filter(|row| row.name == mine[0].name).count();
            assert_eq!(named, 1, "{} names two rows", mine[0].name);
        }
        assert_eq!(
            rows().count(),
            Op::ALL.len(),
            "a row for an Op missing from Op::ALL"
        );
    }

    #[test]
    fn every_kind_has_one_row_whose_wait_op_is_a_wait_on_it() {
        let kinds = [
            Kind::UdpSocket,
            Kind::UdpIncoming,
            Kind::UdpOutgoing,
            Kind::TcpSocket,
            Kind::TcpInput,
            Kind::TcpOutput,
            Kind::Lookup,
            Kind::HttpResponse,
            Kind::HttpBodyInput,
            Kind::HttpBodyOutput,
            Kind::HttpTrailers,
        ];
        for kind in kinds {
            let n = KINDS
                .iter()
                .flat_map(|t| t.iter())
                .filter(|r| r.kind == kind);
            assert_eq!(n.count(), 1, "{kind:?}");
            assert!(kind.wait_op().is_pollable());
            assert_eq!(kind.wait_op().kind(), kind);
        }
    }

    #[test]
    fn only_ops_with_a_not_ready_answer_or_waits_are_explored_with_it() {
        for row in rows() {
            for tried in row.explore {
                let zero = tried.fault.action == super::super::Action::OkZero;
                assert!(!zero || row.not_ready.is_some(), "{}", row.name);
                assert!(!tried.trigger.is_empty() && !tried.reference.is_empty());
            }
        }
    }
}
