//! `wasi:sockets/udp-create-socket`, decorated so every socket gets a label in the trace
//! and the plan can fail its creation.

use super::SocketsView;
use super::decorate::Decorate;
use super::table::{OpRow, call};
use crate::plan::Op;
use crate::resources::Kind;
use crate::trace::Event;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sockets::network::{ErrorCode, IpAddressFamily};
use wasmtime_wasi::p2::bindings::sockets::udp_create_socket::Host;
use wasmtime_wasi::p2::{SocketResult, UdpSocket};

/// `wasi:sockets/udp-create-socket`'s operation.
pub(super) const OPS: &[OpRow] = &[call(
    Op::UdpCreateSocket,
    "udp.create-socket",
    Kind::UdpSocket,
)];

impl Host for SocketsView<'_> {
    async fn create_udp_socket(
        &mut self,
        address_family: IpAddressFamily,
    ) -> SocketResult<Resource<UdpSocket>> {
        let mut event = Event::new(
            "wasi:sockets/udp-create-socket",
            "create-udp-socket",
            "-".into(),
        )
        .on(Some(Op::UdpCreateSocket), None);
        event.args = super::family(address_family);
        let injected = self.injected_error(Op::UdpCreateSocket, None, &mut event);
        let result = match injected {
            Some(err) => Err(err),
            None if self.at_socket_limit(&mut event) => Err(ErrorCode::NewSocketLimit.into()),
            None => self.inner.create_udp_socket(address_family).await,
        };
        let label = result.as_ref().ok().map(|socket| {
            let registry = &mut self.run.faults.registry;
            registry.register(socket.rep(), Kind::UdpSocket, None)
        });
        self.finish(event, &result, |_| {
            format!("ok({})", label.unwrap_or_default()).into()
        });
        result
    }
}

impl SocketsView<'_> {
    /// Whether the guest has `--max-sockets` open: a bound of our own, answered as the
    /// host would when out of descriptors.
    pub(super) fn at_socket_limit(&self, event: &mut Event) -> bool {
        let limit = self.run.faults.max_sockets;
        let full = self.run.faults.registry.sockets() >= limit;
        if full {
            event.fault = Some(format!("socket limit: {limit} open (--max-sockets)"));
        }
        full
    }
}
