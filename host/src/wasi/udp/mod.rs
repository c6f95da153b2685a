//! `wasi:sockets/udp`, decorated: every call goes to wasmtime-wasi's own implementation
//! unless the plan selects it, and every call is traced. This file has the interface's
//! table and the `udp-socket`; `datagrams.rs` its two datagram streams.

mod datagrams;

use super::SocketsView;
use super::decorate::Decorate;
use crate::plan::Op;
use crate::resources::Kind;
use crate::trace::{Event, Text};
use std::net::SocketAddr;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sockets::network::{IpAddressFamily, IpSocketAddress, Network};
use wasmtime_wasi::p2::bindings::sockets::udp::{
    self, HostUdpSocket, IncomingDatagramStream, OutgoingDatagramStream,
};
use wasmtime_wasi::p2::{DynPollable, SocketResult, UdpSocket};

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
        let rep = this.rep();
        self.inner.finish_bind(this)?;
        // Datagrams between the guest's own sockets are never relayed.
        if let Ok(local) = self.inner.local_address(Resource::new_borrow(rep)) {
            self.run.udp_bound(local.into());
        }
        Ok(())
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
        let rep = this.rep();
        let injected = self.injected_error(Op::UdpStream, Some(rep), &mut event);
        let remote = remote_address.map(SocketAddr::from);
        let local = self.inner.local_address(Resource::new_borrow(rep)).ok();
        let local = local.map(SocketAddr::from);
        // A real server is reached through a relay: connected to its loopback address,
        // the socket takes the server's datagrams from the relay alone.
        let relay = local
            .zip(remote)
            .and_then(|(l, r)| self.run.udp_relay(l, r));
        let result = match injected {
            Some(err) => Err(err),
            None => {
                (self.inner)
                    .stream(this, relay.map(IpSocketAddress::from).or(remote_address))
                    .await
            }
        };
        let labels = result.as_ref().ok().map(|(incoming, outgoing)| {
            if let Some(local) = local {
                self.run.udp_stream(incoming.rep(), local);
                self.run.udp_stream(outgoing.rep(), local);
            }
            let incoming = self.run.register(incoming.rep(), Kind::UdpIncoming, remote);
            let outgoing = self.run.register(outgoing.rep(), Kind::UdpOutgoing, remote);
            Text::Owned(format!("ok({incoming}, {outgoing})"))
        });
        self.finish(event, &result, |_| labels.unwrap_or_default());
        result
    }

    fn local_address(&mut self, this: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
        self.inner.local_address(this)
    }

    fn remote_address(&mut self, this: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
        let addr = self.inner.remote_address(this)?;
        // Connected through a relay: the real server, as without one.
        Ok(self
            .run
            .udp_server(addr.into())
            .map_or(addr, IpSocketAddress::from))
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
        (self.run).subscribed(target, HostUdpSocket::subscribe(&mut self.inner, this))
    }

    fn drop(&mut self, this: Resource<UdpSocket>) -> wasmtime::Result<()> {
        self.run.forget(this.rep());
        HostUdpSocket::drop(&mut self.inner, this)
    }
}

impl SocketsView<'_> {
    /// A trace event for `function` on resource `rep`, counted as `op`.
    fn event(&self, function: &'static str, op: Op, rep: u32) -> Event {
        self.run.event(UDP, function, Some(op), rep)
    }
}
