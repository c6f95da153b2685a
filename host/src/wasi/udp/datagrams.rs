//! `wasi:sockets/udp`'s datagram streams, decorated: `receive`, `check-send` and `send`
//! go to wasmtime-wasi unless the plan selects them; what `send` refuses is remembered
//! until it is offered again, and what it accepts for the harness's peer is owed to it.

use crate::faults::Refusal;
use crate::peer::digest;
use crate::plan::Op;
use crate::trace::Text;
use crate::verdict::during;
use crate::wasi::SocketsView;
use crate::wasi::decorate::{Decided, Decorate};
use std::net::SocketAddr;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sockets::network::ErrorCode;
use wasmtime_wasi::p2::bindings::sockets::udp::{
    self, HostIncomingDatagramStream, HostOutgoingDatagramStream, IncomingDatagramStream,
    OutgoingDatagramStream,
};
use wasmtime_wasi::p2::{DynPollable, SocketError, SocketResult};
impl HostIncomingDatagramStream for SocketsView<'_> {
    fn receive(
        &mut self,
        this: Resource<IncomingDatagramStream>,
        max_results: u64,
    ) -> SocketResult<Vec<udp::IncomingDatagram>> {
        let rep = this.rep();
        self.run.called(Op::UdpReceive);
        let mut event = self.event("receive", Op::UdpReceive, rep);
        event.args = max_results.to_string().into();
        // What the harness's peer was sent is answered first: whether a reply is there does
        // not depend on how fast its thread ran.
        self.run.settle_peers();
        // WIT: "This function returns successfully with an empty list when ... no results
        // are immediately available", so ok-zero is an empty list.
        let result = match self.injected(Op::UdpReceive, Some(rep), Vec::new, &mut event) {
            Some(answer) => answer,
            None => self.inner.receive(this, max_results).map(|mut datagrams| {
                // From a relay: from the real server, as without one.
                for datagram in &mut datagrams {
                    let from = SocketAddr::from(datagram.remote_address);
                    if let Some(server) = self.run.udp_server(from) {
                        datagram.remote_address = server.into();
                    }
                }
                datagrams
            }),
        };
        let received = result.as_ref().map_or(0, |d| d.len() as u64);
        self.finish(event, &result, |datagrams| {
            format!("ok({} datagrams)", datagrams.len()).into()
        });
        self.account(Op::UdpReceive, rep, received, &result)?;
        result
    }

    fn subscribe(
        &mut self,
        this: Resource<IncomingDatagramStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let target = this.rep();
        (self.run).subscribed(
            target,
            HostIncomingDatagramStream::subscribe(&mut self.inner, this),
        )
    }

    fn drop(&mut self, this: Resource<IncomingDatagramStream>) -> wasmtime::Result<()> {
        self.run.forget(this.rep());
        HostIncomingDatagramStream::drop(&mut self.inner, this)
    }
}

impl HostOutgoingDatagramStream for SocketsView<'_> {
    fn check_send(&mut self, this: Resource<OutgoingDatagramStream>) -> SocketResult<u64> {
        let rep = this.rep();
        self.run.called(Op::UdpCheckSend);
        let mut event = self.event("check-send", Op::UdpCheckSend, rep);
        let result = match self.decided(Op::UdpCheckSend, Some(rep), || 0, &mut event) {
            Decided::Answer(answer) => answer,
            // WIT: "returns the number of datagrams permitted": fewer is always allowed.
            Decided::Limit(n) => self.inner.check_send(this).map(|permit| permit.min(n)),
            Decided::Reorder | Decided::Real => self.inner.check_send(this),
        };
        self.run.grant(rep, *result.as_ref().unwrap_or(&0));
        if event.fault.is_some() && matches!(result, Ok(0)) {
            self.run.check_refused(rep);
        }
        self.finish(event, &result, |permit| Text::Ok(*permit));
        if matches!(result, Ok(0)) {
            self.no_progress::<SocketError>()?;
        }
        result
    }

    fn send(
        &mut self,
        this: Resource<OutgoingDatagramStream>,
        mut datagrams: Vec<udp::OutgoingDatagram>,
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
        self.run.called(Op::UdpSend);
        // The permit is checked before anything is injected, so a guest that sends without
        // `check-send` traps exactly as it would on the real host.
        // WIT: "Implementations must trap if either `check-send` was not called or
        // `datagrams` contains more items than `check-send` permitted."
        let n = datagrams.len();
        let mut event = (self.run)
            .spend(rep, n as u64, event, |recorder, on, permit| {
                during::send_past_permit(recorder, n, on, permit)
            })
            .map_err(SocketError::trap)?;
        self.run.offered(rep, datagrams.iter().map(key));
        let to = datagrams
            .first()
            .and_then(|d| d.remote_address)
            .map(SocketAddr::from);
        let remote = self.run.resource(rep).and_then(|r| r.remote);
        // What each datagram is and where it goes, kept only when the harness has a peer:
        // the peer is owed every datagram `send` accepts for it.
        let owed: Vec<(Option<SocketAddr>, u64)> = match self.run.has_udp_peer() {
            true => datagrams
                .iter()
                .map(|d| (destination(d).or(remote), digest(&d.data)))
                .collect(),
            false => Vec::new(),
        };
        let result = match self.injected(Op::UdpSend, Some(rep), || 0, &mut event) {
            Some(answer) => {
                self.refused(rep, &datagrams, &answer);
                answer
            }
            None => {
                let servers = self.relay_out(rep, &mut datagrams, remote);
                let result = self.inner.send(this, datagrams);
                self.relayed_out(rep, &servers, *result.as_ref().unwrap_or(&0));
                result
            }
        };
        let accepted = *result.as_ref().unwrap_or(&0);
        self.run.sent(to.or(remote), accepted, owed);
        self.finish(event, &result, |sent| Text::Ok(*sent));
        self.account(Op::UdpSend, rep, accepted, &result)?;
        result
    }

    fn subscribe(
        &mut self,
        this: Resource<OutgoingDatagramStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let target = this.rep();
        (self.run).subscribed(
            target,
            HostOutgoingDatagramStream::subscribe(&mut self.inner, this),
        )
    }

    async fn drop(&mut self, this: Resource<OutgoingDatagramStream>) -> wasmtime::Result<()> {
        self.run.forget(this.rep());
        HostOutgoingDatagramStream::drop(&mut self.inner, this).await
    }
}

impl SocketsView<'_> {
    /// Sends what the guest addressed to a real server through that server's relay, and
    /// returns each datagram's server (its own address, or the stream's `remote`).
    fn relay_out(
        &mut self,
        rep: u32,
        datagrams: &mut [udp::OutgoingDatagram],
        remote: Option<SocketAddr>,
    ) -> Vec<Option<SocketAddr>> {
        let Some(local) = self.run.udp_local(rep) else {
            return Vec::new();
        };
        let mut servers = Vec::with_capacity(datagrams.len());
        for datagram in datagrams {
            let server = destination(datagram).or(remote);
            let relay = server.and_then(|server| self.run.udp_relay(local, server));
            if let (Some(relay), Some(_)) = (relay, datagram.remote_address) {
                datagram.remote_address = Some(relay.into());
            }
            servers.push(server.filter(|_| relay.is_some()));
        }
        servers
    }

    /// The first `accepted` datagrams reached their relays: each relay's server owes an
    /// answer to as many more.
    fn relayed_out(&mut self, rep: u32, servers: &[Option<SocketAddr>], accepted: u64) {
        let Some(local) = self.run.udp_local(rep) else {
            return;
        };
        for server in servers.iter().take(accepted as usize).flatten() {
            self.run.udp_relayed(local, *server, 1);
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
        let (refusal, from) = match answer {
            Ok(sent) => (Refusal::Readiness, *sent as usize),
            Err(err) if matches!(err.downcast_ref(), Some(ErrorCode::WouldBlock)) => {
                (Refusal::Readiness, 0)
            }
            Err(_) => (Refusal::Error, 0),
        };
        let refused = datagrams.iter().skip(from).map(key);
        self.run.refused(rep, refusal, refused);
    }
}

/// Where a datagram goes, if it names an address.
fn destination(datagram: &udp::OutgoingDatagram) -> Option<SocketAddr> {
    datagram.remote_address.map(SocketAddr::from)
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
