//! `wasi:sockets/tcp`, decorated: connects, listens and accepts go to wasmtime-wasi's own
//! implementation unless the plan selects them, and every one is traced. The streams a
//! connection hands out (`finish-connect`, `accept`) are registered here, so the stream
//! decorator governs them and nothing else.

use super::SocketsView;
use super::decorate::Decorate;
use crate::plan::Op;
use crate::resources::Kind;
use crate::trace::{Event, Text};
use std::net::SocketAddr;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sockets::network::{
    ErrorCode, IpAddressFamily, IpSocketAddress, Network,
};
use wasmtime_wasi::p2::bindings::sockets::tcp::{self, HostTcpSocket, ShutdownType};
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream, DynPollable, SocketResult, TcpSocket};

const TCP: &str = "wasi:sockets/tcp";

impl tcp::Host for SocketsView<'_> {}

impl HostTcpSocket for SocketsView<'_> {
    async fn start_bind(
        &mut self,
        this: Resource<TcpSocket>,
        network: Resource<Network>,
        local_address: IpSocketAddress,
    ) -> SocketResult<()> {
        let mut event = self.tcp_event("start-bind", Some(Op::TcpBind), this.rep());
        event.args = Text::Addr(SocketAddr::from(local_address));
        let result = match self.injected(Op::TcpBind, Some(this.rep()), || (), &mut event) {
            Some(answer) => answer,
            None => self.inner.start_bind(this, network, local_address).await,
        };
        self.finish(event, &result, |()| "ok".into());
        result
    }

    fn finish_bind(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
        self.inner.finish_bind(this)
    }

    fn start_connect(
        &mut self,
        this: Resource<TcpSocket>,
        network: Resource<Network>,
        remote_address: IpSocketAddress,
    ) -> SocketResult<()> {
        let rep = this.rep();
        let mut event = self.tcp_event("start-connect", None, rep);
        let remote = SocketAddr::from(remote_address);
        event.args = Text::Addr(remote);
        // A real server the harness relays to: the guest's socket connects to the relay,
        // and its trace and `remote-address` still show the server.
        let target = match self.run.relay(rep, remote) {
            Some(relay) => IpSocketAddress::from(relay),
            None => remote_address,
        };
        let result = self.inner.start_connect(this, network, target);
        if result.is_ok() {
            self.run.connect(rep, remote);
        }
        self.finish(event, &result, |()| "ok".into());
        result
    }

    fn finish_connect(
        &mut self,
        this: Resource<TcpSocket>,
    ) -> SocketResult<(Resource<DynInputStream>, Resource<DynOutputStream>)> {
        let rep = this.rep();
        let mut event = self.tcp_event("finish-connect", Some(Op::TcpConnect), rep);
        // WIT: "`would-block`: Connection is still pending" (a pending connect is the
        // not-ready answer, and its pollable says when to ask again).
        let injected = self.injected_error(Op::TcpConnect, Some(rep), &mut event);
        let result = match injected {
            Some(err) => Err(err),
            None => self.inner.finish_connect(this),
        };
        let remote = self.run.resource(rep).and_then(|r| r.remote);
        let labels = result.as_ref().ok().map(|(input, output)| {
            let input = self.run.register(input.rep(), Kind::TcpInput, remote);
            let output = self.run.register(output.rep(), Kind::TcpOutput, remote);
            Text::Owned(format!("ok({input}, {output})"))
        });
        self.finish(event, &result, |_| labels.unwrap_or_default());
        self.settled(Op::TcpConnect, rep, &result)?;
        result
    }

    async fn start_listen(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
        self.inner.start_listen(this).await
    }

    fn finish_listen(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
        let rep = this.rep();
        let mut event = self.tcp_event("finish-listen", Some(Op::TcpListen), rep);
        let result = match self.injected_error(Op::TcpListen, Some(rep), &mut event) {
            Some(err) => Err(err),
            None => self.inner.finish_listen(this),
        };
        let local = result
            .as_ref()
            .ok()
            .and_then(|()| self.inner.local_address(Resource::new_borrow(rep)).ok())
            .map(SocketAddr::from);
        self.finish(event, &result, |()| local.map_or("ok".into(), Text::Addr));
        if let Some(addr) = local {
            // The harness's own client, if any, can connect now; anyone else connects in
            // real time.
            self.run.listening(addr);
        }
        result
    }

    fn accept(
        &mut self,
        this: Resource<TcpSocket>,
    ) -> SocketResult<(
        Resource<TcpSocket>,
        Resource<DynInputStream>,
        Resource<DynOutputStream>,
    )> {
        let rep = this.rep();
        let mut event = self.tcp_event("accept", Some(Op::TcpAccept), rep);
        self.run.settle_peers();
        // WIT: "`would-block`: No pending connections at the moment."
        let result = match self.injected_error(Op::TcpAccept, Some(rep), &mut event) {
            Some(err) => Err(err),
            None => self.inner.accept(this),
        };
        let labels = result.as_ref().ok().map(|(socket, input, output)| {
            let remote = self
                .inner
                .remote_address(Resource::new_borrow(socket.rep()))
                .ok()
                .map(SocketAddr::from);
            let socket = self.run.register(socket.rep(), Kind::TcpSocket, remote);
            let input = self.run.register(input.rep(), Kind::TcpInput, remote);
            let output = self.run.register(output.rep(), Kind::TcpOutput, remote);
            Text::Owned(format!("ok({socket}, {input}, {output})"))
        });
        self.finish(event, &result, |_| labels.unwrap_or_default());
        self.settled(Op::TcpAccept, rep, &result)?;
        result
    }

    fn local_address(&mut self, this: Resource<TcpSocket>) -> SocketResult<IpSocketAddress> {
        self.inner.local_address(this)
    }

    fn remote_address(&mut self, this: Resource<TcpSocket>) -> SocketResult<IpSocketAddress> {
        let server = self.run.relayed(this.rep());
        let real = self.inner.remote_address(this)?;
        Ok(server.map_or(real, IpSocketAddress::from))
    }

    fn is_listening(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<bool> {
        self.inner.is_listening(this)
    }

    fn address_family(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<IpAddressFamily> {
        self.inner.address_family(this)
    }

    fn set_listen_backlog_size(
        &mut self,
        this: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        self.inner.set_listen_backlog_size(this, value)
    }

    fn keep_alive_enabled(&mut self, this: Resource<TcpSocket>) -> SocketResult<bool> {
        self.inner.keep_alive_enabled(this)
    }

    fn set_keep_alive_enabled(
        &mut self,
        this: Resource<TcpSocket>,
        value: bool,
    ) -> SocketResult<()> {
        self.inner.set_keep_alive_enabled(this, value)
    }

    fn keep_alive_idle_time(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        self.inner.keep_alive_idle_time(this)
    }

    fn set_keep_alive_idle_time(
        &mut self,
        this: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        self.inner.set_keep_alive_idle_time(this, value)
    }

    fn keep_alive_interval(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        self.inner.keep_alive_interval(this)
    }

    fn set_keep_alive_interval(
        &mut self,
        this: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        self.inner.set_keep_alive_interval(this, value)
    }

    fn keep_alive_count(&mut self, this: Resource<TcpSocket>) -> SocketResult<u32> {
        self.inner.keep_alive_count(this)
    }

    fn set_keep_alive_count(&mut self, this: Resource<TcpSocket>, value: u32) -> SocketResult<()> {
        self.inner.set_keep_alive_count(this, value)
    }

    fn hop_limit(&mut self, this: Resource<TcpSocket>) -> SocketResult<u8> {
        self.inner.hop_limit(this)
    }

    fn set_hop_limit(&mut self, this: Resource<TcpSocket>, value: u8) -> SocketResult<()> {
        self.inner.set_hop_limit(this, value)
    }

    fn receive_buffer_size(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        self.inner.receive_buffer_size(this)
    }

    fn set_receive_buffer_size(
        &mut self,
        this: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        self.inner.set_receive_buffer_size(this, value)
    }

    fn send_buffer_size(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        self.inner.send_buffer_size(this)
    }

    fn set_send_buffer_size(&mut self, this: Resource<TcpSocket>, value: u64) -> SocketResult<()> {
        self.inner.set_send_buffer_size(this, value)
    }

    fn subscribe(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<Resource<DynPollable>> {
        let target = this.rep();
        (self.run).subscribed(target, HostTcpSocket::subscribe(&mut self.inner, this))
    }

    fn shutdown(
        &mut self,
        this: Resource<TcpSocket>,
        shutdown_type: ShutdownType,
    ) -> SocketResult<()> {
        let rep = this.rep();
        let mut event = self.tcp_event("shutdown", Some(Op::TcpShutdown), rep);
        event.args = match shutdown_type {
            ShutdownType::Receive => "receive",
            ShutdownType::Send => "send",
            ShutdownType::Both => "both",
        }
        .into();
        let result = match self.injected_error(Op::TcpShutdown, Some(rep), &mut event) {
            Some(err) => Err(err),
            None => self.inner.shutdown(this, shutdown_type),
        };
        if result.is_ok() && shutdown_type != ShutdownType::Receive {
            self.run.tcp_end(rep);
        }
        self.finish(event, &result, |()| "ok".into());
        result
    }

    fn drop(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<()> {
        self.run.forget(this.rep());
        HostTcpSocket::drop(&mut self.inner, this)
    }
}

impl SocketsView<'_> {
    /// A trace event for `function` on socket `rep`, counted as `op` if the plan governs
    /// it.
    pub(super) fn tcp_event(&self, function: &'static str, op: Option<Op>, rep: u32) -> Event {
        self.run.event(TCP, function, op, rep)
    }

    /// A connect or accept that answered: progress, or another not-ready answer for the
    /// busy-loop detector.
    fn settled<T>(&mut self, op: Op, rep: u32, result: &SocketResult<T>) -> SocketResult<()> {
        let pending = result
            .as_ref()
            .is_err_and(|e| matches!(e.downcast_ref(), Some(ErrorCode::WouldBlock)));
        self.account(op, rep, u64::from(!pending && result.is_ok()), result)
    }
}
