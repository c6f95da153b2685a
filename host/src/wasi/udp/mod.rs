//! `wasi:sockets/udp`, decorated: every call goes to wasmtime-wasi's own implementation
//! unless the plan selects it, and every call is traced. This file has the interface's
//! table and the `udp-socket`; `datagrams.rs` its two datagram streams.

mod datagrams;

use super::SocketsView;
use super::decorate::Decorate;
use super::table::{
    Cut, KindRow, NEVER, NOT_READY, OOM, OpRow, REAL, call, connected, eager, missed_wakeup, once,
    permanent, read_wait, real, twice, until_backoff, wait,
};
use crate::plan::{Action, NotReady, Op, Readiness};
use crate::resources::{Kind, Unit};
use crate::state::Run;
use crate::trace::{Event, Text};
use std::net::SocketAddr;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sockets::network::{
    ErrorCode, IpAddressFamily, IpSocketAddress, Network,
};
use wasmtime_wasi::p2::bindings::sockets::udp::{
    self, HostUdpSocket, IncomingDatagramStream, OutgoingDatagramStream,
};
use wasmtime_wasi::p2::{DynPollable, SocketResult, UdpSocket};

/// The resources `wasi:sockets/udp` hands out.
pub(super) const KINDS: &[KindRow] = &[
    KindRow {
        kind: Kind::UdpSocket,
        label: "udp-socket",
        wait: Op::UdpSocketPollable,
        unit: Unit::Datagrams,
        socket: true,
    },
    KindRow {
        kind: Kind::UdpIncoming,
        label: "incoming",
        wait: Op::UdpIncomingPollable,
        unit: Unit::Datagrams,
        socket: false,
    },
    KindRow {
        kind: Kind::UdpOutgoing,
        label: "outgoing",
        wait: Op::UdpOutgoingPollable,
        unit: Unit::Datagrams,
        socket: false,
    },
];

/// `wasi:sockets/udp`'s operations, as plans name them, and what explore tries at each.
pub(super) const OPS: &[OpRow] = &[
    call(Op::UdpBind, "udp.bind", Kind::UdpSocket),
    call(Op::UdpStream, "udp.stream", Kind::UdpSocket),
    OpRow {
        not_ready: Some(NotReady::Empty),
        cut: Some(Cut::ShortPermit),
        explore: &[
            // WIT: "the `subscribe` pollable will become ready when this function will
            // report at least ok(1)": a 0 right after the wake-up is the host's bug.
            eager(real(
                once(Action::OkZero, NOT_READY),
                "a fresh socket not writable yet, or a full send buffer",
                "wasmtime#12612",
                CHECK_SEND,
                "waits on the outgoing stream's pollable, then checks again",
            )),
            real(
                once(Action::ShortPermit(1), REAL),
                "room for fewer datagrams than the guest has",
                "WIT: check-send returns the number of datagrams permitted",
                CHECK_SEND,
                "sends at most the permitted number, then checks again for the rest",
            ),
            missed_wakeup(Action::OkZero),
        ],
        ..call(Op::UdpCheckSend, "udp.check-send", Kind::UdpOutgoing)
    },
    OpRow {
        not_ready: Some(NotReady::Empty),
        explore: &[
            real(
                once(Action::OkZero, NOT_READY),
                "a fresh socket not writable on its first send",
                "wasmtime#12612",
                SEND,
                "waits on the outgoing stream's pollable and sends the same datagrams again",
            ),
            real(
                once(OOM, REAL),
                "ENOBUFS from sendmsg under load (wasmtime-wasi reports out-of-memory)",
                "firezone#9798",
                SEND_ERROR,
                "keeps the socket and sends again after a back-off on a clock",
            ),
            real(
                twice(once(OOM, REAL)),
                "ENOBUFS twice in a row",
                "firezone#9798",
                SEND_ERROR,
                "keeps the socket and sends again after a back-off on a clock",
            ),
            real(
                once(OOM, NEVER),
                "no wake-up after ENOBUFS: kqueue never signals writable again",
                "firezone#10965",
                SEND_ERROR,
                "backs off on a clock, not on the pollable alone, after out-of-memory",
            ),
            real(
                until_backoff(once(OOM, Readiness::Spurious), 3),
                "the socket stays writable while ENOBUFS continues",
                "libuv#5194",
                SEND_ERROR,
                "does not trust readiness after out-of-memory: backs off on a clock",
            ),
            missed_wakeup(Action::OkZero),
            real(
                permanent(once(OOM, REAL)),
                "ENOBUFS that never ends (a robustness note: no program sends then)",
                "libuv#5194",
                SEND_ERROR,
                "reports the error and ends cleanly",
            ),
        ],
        ..call(Op::UdpSend, "udp.send", Kind::UdpOutgoing)
    },
    OpRow {
        not_ready: Some(NotReady::Empty),
        explore: &[
            real(
                once(Action::OkZero, NOT_READY),
                "nothing has arrived yet",
                "WIT: receive",
                RECEIVE,
                "takes the empty list for \"not yet\" and waits on the incoming pollable",
            ),
            real(
                connected(once(REFUSED, REAL)),
                "an ICMP port-unreachable on a connected socket, reported once",
                "bun#29473",
                RECEIVE_ERROR,
                "reports it, keeps the socket and receives (or resends) again",
            ),
            real(
                twice(connected(once(REFUSED, REAL))),
                "the ICMP error reported twice, as Linux can through sk_err",
                "bun#35923",
                RECEIVE_ERROR,
                "reports it, keeps the socket and receives (or resends) again",
            ),
            real(
                connected(once(REFUSED, Readiness::Spurious)),
                "readiness stuck while an error sits in the error queue (EPOLLERR asserted)",
                "bun#29473",
                RECEIVE_ERROR,
                "after a wake-up that proves spurious, backs off on a clock",
            ),
            missed_wakeup(Action::OkZero),
        ],
        ..call(Op::UdpReceive, "udp.receive", Kind::UdpIncoming)
    },
    wait(
        Op::UdpSocketPollable,
        "udp.socket-pollable",
        Kind::UdpSocket,
    ),
    read_wait(
        Op::UdpIncomingPollable,
        "udp.incoming-pollable",
        Kind::UdpIncoming,
    ),
    wait(
        Op::UdpOutgoingPollable,
        "udp.outgoing-pollable",
        Kind::UdpOutgoing,
    ),
];

/// WIT: `check-send`.
const CHECK_SEND: &str = "check-send: \"When this function returns ok(0), the `subscribe` \
                          pollable will become ready when this function will report at least \
                          ok(1), or an error.\"";
/// WIT: `send`'s not-ready answer.
const SEND: &str = "send: \"If none of the datagrams were able to be sent, `ok(0)` is returned.\"";
/// WIT: `send`'s errors.
const SEND_ERROR: &str = "send: errors are returned per call; the stream stays usable";
/// WIT: `receive`'s not-ready answer.
const RECEIVE: &str = "receive: \"returns successfully with an empty list when ... no results \
                       are immediately available\"";
/// WIT: `receive`'s errors.
const RECEIVE_ERROR: &str = "receive: `connection-refused` on a connected socket after an \
                             ICMP error; the stream stays usable";

/// An ICMP port-unreachable, as `receive` reports it.
const REFUSED: Action = Action::Error(ErrorCode::ConnectionRefused);

const UDP: &str = "wasi:sockets/udp";

impl udp::Host for SocketsView<'_> {}

impl HostUdpSocket for SocketsView<'_> {
    async fn start_bind(
        &mut self,
        this: Resource<UdpSocket>,
        network: Resource<Network>,
        local_address: IpSocketAddress,
    ) -> SocketResult<()> {
        let mut event = self.event("start-bind", Op::UdpBind, this.rep());
        event.args = Text::Addr(SocketAddr::from(local_address));
        let result = match self.injected(Op::UdpBind, Some(this.rep()), || (), &mut event) {
            Some(answer) => answer,
            None => self.inner.start_bind(this, network, local_address).await,
        };
        self.finish(event, &result, |()| "ok".into());
        result
    }

    fn finish_bind(&mut self, this: Resource<UdpSocket>) -> SocketResult<()> {
        self.inner.finish_bind(this)
    }

    async fn stream(
        &mut self,
        this: Resource<UdpSocket>,
        remote_address: Option<IpSocketAddress>,
    ) -> SocketResult<(
        Resource<IncomingDatagramStream>,
        Resource<OutgoingDatagramStream>,
    )> {
        let mut event = self.event("stream", Op::UdpStream, this.rep());
        event.args = match remote_address {
            Some(addr) => Text::Addr(SocketAddr::from(addr)),
            None => "none".into(),
        };
        let injected = self.injected_error(Op::UdpStream, Some(this.rep()), &mut event);
        let result = match injected {
            Some(err) => Err(err),
            None => self.inner.stream(this, remote_address).await,
        };
        let remote = remote_address.map(SocketAddr::from);
        let labels = result.as_ref().ok().map(|(incoming, outgoing)| {
            let registry = &mut self.run.faults.registry;
            let incoming = registry.register(incoming.rep(), Kind::UdpIncoming, remote);
            let outgoing = registry.register(outgoing.rep(), Kind::UdpOutgoing, remote);
            Text::Owned(format!("ok({incoming}, {outgoing})"))
        });
        self.finish(event, &result, |_| labels.unwrap_or_default());
        result
    }

    fn local_address(&mut self, this: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
        self.inner.local_address(this)
    }

    fn remote_address(&mut self, this: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
        self.inner.remote_address(this)
    }

    fn address_family(&mut self, this: Resource<UdpSocket>) -> wasmtime::Result<IpAddressFamily> {
        self.inner.address_family(this)
    }

    fn unicast_hop_limit(&mut self, this: Resource<UdpSocket>) -> SocketResult<u8> {
        self.inner.unicast_hop_limit(this)
    }

    fn set_unicast_hop_limit(&mut self, this: Resource<UdpSocket>, value: u8) -> SocketResult<()> {
        self.inner.set_unicast_hop_limit(this, value)
    }

    fn receive_buffer_size(&mut self, this: Resource<UdpSocket>) -> SocketResult<u64> {
        self.inner.receive_buffer_size(this)
    }

    fn set_receive_buffer_size(
        &mut self,
        this: Resource<UdpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        self.inner.set_receive_buffer_size(this, value)
    }

    fn send_buffer_size(&mut self, this: Resource<UdpSocket>) -> SocketResult<u64> {
        self.inner.send_buffer_size(this)
    }

    fn set_send_buffer_size(&mut self, this: Resource<UdpSocket>, value: u64) -> SocketResult<()> {
        self.inner.set_send_buffer_size(this, value)
    }

    fn subscribe(&mut self, this: Resource<UdpSocket>) -> wasmtime::Result<Resource<DynPollable>> {
        let target = this.rep();
        let pollable = HostUdpSocket::subscribe(&mut self.inner, this)?;
        self.run.faults.registry.subscribe(pollable.rep(), target);
        Ok(pollable)
    }

    fn drop(&mut self, this: Resource<UdpSocket>) -> wasmtime::Result<()> {
        self.run.forget(this.rep());
        HostUdpSocket::drop(&mut self.inner, this)
    }
}

impl Decorate for SocketsView<'_> {
    fn run(&mut self) -> &mut Run {
        self.run
    }
}

impl SocketsView<'_> {
    /// A trace event for `function` on resource `rep`, counted as `op`.
    fn event(&self, function: &'static str, op: Op, rep: u32) -> Event {
        let registry = &self.run.faults.registry;
        Event::new(UDP, function, registry.label(rep)).on(Some(op), registry.id(rep))
    }
}
