//! `wasi:sockets/udp`, decorated: every call goes to wasmtime-wasi's own implementation
//! unless the plan selects it, and every call is traced.

use super::SocketsView;
use super::decorate::{Decided, Decorate};
use super::table::{
    Cut, KindRow, NEVER, NOT_READY, OOM, OpRow, REAL, call, missed_wakeup, once, permanent, real,
    twice, until_backoff, wait,
};
use crate::faults::Refusal;
use crate::plan::{Action, NotReady, Op, Readiness};
use crate::resources::{Kind, Unit};
use crate::state::Run;
use crate::trace::{Event, Text};
use crate::verdict::during;
use std::net::SocketAddr;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sockets::network::{
    ErrorCode, IpAddressFamily, IpSocketAddress, Network,
};
use wasmtime_wasi::p2::bindings::sockets::udp::{
    self, HostIncomingDatagramStream, HostOutgoingDatagramStream, HostUdpSocket,
    IncomingDatagramStream, OutgoingDatagramStream,
};
use wasmtime_wasi::p2::{DynPollable, SocketError, SocketResult, UdpSocket};

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
            real(
                once(Action::OkZero, NOT_READY),
                "a fresh socket not writable yet, or a full send buffer",
                "wasmtime#12612",
                CHECK_SEND,
                "waits on the outgoing stream's pollable, then checks again",
            ),
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
                once(REFUSED, REAL),
                "an ICMP port-unreachable on a connected socket, reported once",
                "bun#29473",
                RECEIVE_ERROR,
                "reports it, keeps the socket and receives (or resends) again",
            ),
            real(
                twice(once(REFUSED, REAL)),
                "the ICMP error reported twice, as Linux can through sk_err",
                "bun#35923",
                RECEIVE_ERROR,
                "reports it, keeps the socket and receives (or resends) again",
            ),
            real(
                once(REFUSED, Readiness::Spurious),
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
    wait(
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

impl HostIncomingDatagramStream for SocketsView<'_> {
    fn receive(
        &mut self,
        this: Resource<IncomingDatagramStream>,
        max_results: u64,
    ) -> SocketResult<Vec<udp::IncomingDatagram>> {
        let rep = this.rep();
        self.run.recorder.stats.receive_calls += 1;
        let mut event = self.event("receive", Op::UdpReceive, rep);
        event.args = max_results.to_string().into();
        // What the harness's peer was sent is answered first: whether a reply is there does
        // not depend on how fast its thread ran.
        self.run.settle_peers();
        // WIT: "This function returns successfully with an empty list when ... no results
        // are immediately available", so ok-zero is an empty list.
        let result = match self.injected(Op::UdpReceive, Some(rep), Vec::new, &mut event) {
            Some(answer) => answer,
            None => self.inner.receive(this, max_results),
        };
        let received = result.as_ref().map_or(0, |d| d.len() as u64);
        self.run.recorder.stats.datagrams_received += received;
        self.finish(event, &result, |datagrams| {
            format!("ok({} datagrams)", datagrams.len()).into()
        });
        self.account(rep, received > 0, &result)?;
        result
    }

    fn subscribe(
        &mut self,
        this: Resource<IncomingDatagramStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let target = this.rep();
        let pollable = HostIncomingDatagramStream::subscribe(&mut self.inner, this)?;
        self.run.faults.registry.subscribe(pollable.rep(), target);
        Ok(pollable)
    }

    fn drop(&mut self, this: Resource<IncomingDatagramStream>) -> wasmtime::Result<()> {
        self.run.forget(this.rep());
        HostIncomingDatagramStream::drop(&mut self.inner, this)
    }
}

impl HostOutgoingDatagramStream for SocketsView<'_> {
    fn check_send(&mut self, this: Resource<OutgoingDatagramStream>) -> SocketResult<u64> {
        let rep = this.rep();
        self.run.recorder.stats.check_send_calls += 1;
        let mut event = self.event("check-send", Op::UdpCheckSend, rep);
        let result = match self.decided(Op::UdpCheckSend, Some(rep), || 0, &mut event) {
            Decided::Answer(answer) => answer,
            // WIT: "returns the number of datagrams permitted": fewer is always allowed.
            Decided::Limit(n) => self.inner.check_send(this).map(|permit| permit.min(n)),
            Decided::Real => self.inner.check_send(this),
        };
        self.run.faults.grant(rep, *result.as_ref().unwrap_or(&0));
        if event.fault.is_some()
            && matches!(result, Ok(0))
            && let Some(serial) = self.run.faults.registry.serial(rep)
        {
            // A send is owed on this stream: a guest that never sends again dropped it.
            let seq = self.run.recorder.trace.total() + 1;
            self.run.faults.drops.check_refused(serial, seq);
        }
        self.finish(event, &result, |permit| Text::Ok(*permit));
        if matches!(result, Ok(0)) {
            self.run.no_progress().map_err(SocketError::trap)?;
        }
        result
    }

    fn send(
        &mut self,
        this: Resource<OutgoingDatagramStream>,
        datagrams: Vec<udp::OutgoingDatagram>,
    ) -> SocketResult<u64> {
        let rep = this.rep();
        let mut event = self.event("send", Op::UdpSend, rep);
        event.args = summarize_datagrams(&datagrams);
        // WIT: "If the input list is empty, the function returns `ok(0)`." (before any
        // permit check, as wasmtime-wasi does).
        if datagrams.is_empty() {
            event.result = "ok(0)".into();
            self.run.record(event);
            return Ok(0);
        }
        self.run.recorder.stats.send_calls += 1;
        // The permit is checked before anything is injected, so a guest that sends without
        // `check-send` traps exactly as it would on the real host.
        // WIT: "Implementations must trap if either `check-send` was not called or
        // `datagrams` contains more items than `check-send` permitted."
        if let Err(permit) = self.run.faults.spend(rep, datagrams.len() as u64) {
            event.result = "trap".into();
            self.run.record(event);
            let on = self.run.faults.registry.label(rep);
            let (recorder, n) = (&self.run.recorder, datagrams.len());
            return Err(SocketError::trap(during::send_past_permit(
                recorder, n, &on, permit,
            )));
        }
        self.offered(rep, &datagrams);
        let to = datagrams
            .first()
            .and_then(|d| d.remote_address)
            .map(SocketAddr::from);
        let result = match self.injected(Op::UdpSend, Some(rep), || 0, &mut event) {
            Some(answer) => {
                self.refused(rep, &datagrams, &answer);
                answer
            }
            None => self.inner.send(this, datagrams),
        };
        let accepted = *result.as_ref().unwrap_or(&0);
        self.run.recorder.stats.datagrams_accepted += accepted;
        let remote = self.run.faults.registry.get(rep).and_then(|r| r.remote);
        self.run.world.sent(to.or(remote), accepted);
        self.finish(event, &result, |sent| Text::Ok(*sent));
        self.account(rep, accepted > 0, &result)?;
        result
    }

    fn subscribe(
        &mut self,
        this: Resource<OutgoingDatagramStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let target = this.rep();
        let pollable = HostOutgoingDatagramStream::subscribe(&mut self.inner, this)?;
        self.run.faults.registry.subscribe(pollable.rep(), target);
        Ok(pollable)
    }

    async fn drop(&mut self, this: Resource<OutgoingDatagramStream>) -> wasmtime::Result<()> {
        self.run.forget(this.rep());
        HostOutgoingDatagramStream::drop(&mut self.inner, this).await
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

    /// The guest offers these datagrams (again): earlier refusals of them are settled.
    fn offered(&mut self, rep: u32, datagrams: &[udp::OutgoingDatagram]) {
        let drops = &mut self.run.faults.drops;
        if let (true, Some(serial)) = (drops.pending(), self.run.faults.registry.serial(rep)) {
            drops.offered(serial, datagrams.iter().map(key));
        }
    }

    /// An injected answer to `send` refused the datagrams it did not count: remembered
    /// until they are offered again.
    fn refused(
        &mut self,
        rep: u32,
        datagrams: &[udp::OutgoingDatagram],
        answer: &SocketResult<u64>,
    ) {
        let Some(serial) = self.run.faults.registry.serial(rep) else {
            return;
        };
        let (refusal, from) = match answer {
            Ok(sent) => (Refusal::Readiness, *sent as usize),
            Err(err) if matches!(err.downcast_ref(), Some(ErrorCode::WouldBlock)) => {
                (Refusal::Readiness, 0)
            }
            Err(_) => (Refusal::Error, 0),
        };
        // The answer's own trace line is the next one.
        let seq = self.run.recorder.trace.total() + 1;
        let refused = datagrams.iter().skip(from).map(key);
        self.run.faults.drops.refused(refusal, serial, seq, refused);
    }
}

/// A datagram as the drops ledger keys it.
fn key(datagram: &udp::OutgoingDatagram) -> (Option<SocketAddr>, Vec<u8>) {
    let to = datagram.remote_address.map(SocketAddr::from);
    (to, datagram.data.clone())
}

fn summarize_datagrams(datagrams: &[udp::OutgoingDatagram]) -> Text {
    Text::Datagrams {
        count: datagrams.len() as u64,
        bytes: datagrams.iter().map(|d| d.data.len() as u64).sum(),
        to: datagrams
            .first()
            .and_then(|d| d.remote_address)
            .map(SocketAddr::from),
    }
}
