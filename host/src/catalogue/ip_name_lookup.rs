//! `wasi:sockets/ip-name-lookup`'s table: the operations plans name, the resources it hands out and
//! what explore tries at each call, with the real condition, the reference and the WIT
//! clause. Its decorator is `wasi/ip_name_lookup.rs`.

use super::rows::*;
use super::{Action, NotReady, Op};
use crate::resources::{Kind, Unit};
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;

/// The resource `wasi:sockets/ip-name-lookup` hands out.
pub(crate) const KINDS: &[KindRow] = &[KindRow {
    kind: Kind::Lookup,
    label: "lookup",
    wait: Op::DnsLookupPollable,
    unit: Unit::Datagrams,
    socket: false,
}];

/// A lookup that failed for now (EAI_AGAIN).
const TEMPORARY: Action = Action::Error(ErrorCode::TemporaryResolverFailure);

/// `wasi:sockets/ip-name-lookup`'s operations, as plans name them, and what explore tries
/// at each.
pub(crate) const OPS: &[OpRow] = &[
    OpRow {
        // An error here is the lookup's outcome: `invalid-argument` at once, any other
        // from `resolve-next-address`, as a resolver reports a failed query.
        cut: Some(Cut::Reorder),
        explore: &[
            real(
                once(Action::Ipv6First, REAL),
                "a resolver that answers ::1 (or a dual-stack name's IPv6 address) first \
                 while the server listens on 127.0.0.1 only",
                "nodejs/node#40702",
                "WIT: resolve-next-address returns the addresses in the order the resolver gives",
                "tries every address it gets, not only the first, before it fails",
            ),
            real(
                once(TEMPORARY, REAL),
                "EAI_AGAIN: the resolver timed out or answered SERVFAIL, once (containers, CI)",
                "uptime-kuma#878",
                "WIT: resolve-addresses `temporary-resolver-failure`: \"A temporary failure in name resolution occurred\"",
                "reports it and looks the name up again (after a back-off), not fatal",
            ),
        ],
        ..call(Op::DnsResolve, "dns.resolve", Kind::Lookup)
    },
    OpRow {
        // WIT: "`would-block`: A result is not available yet. (EAI_INPROGRESS)"
        not_ready: Some(NotReady::WouldBlock),
        explore: &[
            eager(real(
                once(PENDING, NOT_READY),
                "a lookup still waiting for the resolver: wasmtime-wasi resolves a name on a \
                 blocking thread, so its first resolve-next-address answers would-block",
                "WIT: resolve-next-address \"`would-block`: A result is not available yet\"",
                "resolve-next-address: \"`would-block`: A result is not available yet\"",
                "waits on the lookup's pollable, then asks again",
            )),
            missed_wakeup(PENDING),
        ],
        ..call(
            Op::DnsResolveNextAddress,
            "dns.resolve-next-address",
            Kind::Lookup,
        )
    },
    wait(Op::DnsLookupPollable, "dns.lookup-pollable", Kind::Lookup),
];
