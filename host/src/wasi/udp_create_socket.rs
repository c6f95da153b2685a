//! `wasi:sockets/udp-create-socket`, decorated so every socket gets a label in the trace
//! and the plan can fail its creation.

use super::UdpView;
use super::decorate::Decorate;
use crate::faults::Kind;
use crate::plan::Op;
use crate::trace::Event;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sockets::network::{ErrorCode, IpAddressFamily};
use wasmtime_wasi::p2::bindings::sockets::udp_create_socket::Host;
use wasmtime_wasi::p2::{SocketResult, UdpSocket};

impl Host for UdpView<'_> {
    async fn create_udp_socket(
        &mut self,
        address_family: IpAddressFamily,
    ) -> SocketResult<Resource<UdpSocket>> {
        let mut event = Event::new(
            "wasi:sockets/udp-create-socket",
            "create-udp-socket",
            "-".into(),
        );
        event.args = match address_family {
            IpAddressFamily::Ipv4 => "ipv4",
            IpAddressFamily::Ipv6 => "ipv6",
        }
        .into();
        let injected = self.injected_error(Op::UdpCreateSocket, None, &mut event);
        let limit = self.faults.max_sockets;
        let result = match injected {
            Some(err) => Err(err),
            // A bound of our own, answered as the host would when out of descriptors.
            None if self.faults.registry.sockets() >= limit => {
                event.fault = Some(format!("socket limit: {limit} open (--max-sockets)"));
                Err(ErrorCode::NewSocketLimit.into())
            }
            None => self.inner.create_udp_socket(address_family).await,
        };
        let label = result.as_ref().ok().map(|socket| {
            let registry = &mut self.faults.registry;
            registry.register(socket.rep(), Kind::UdpSocket, None)
        });
        self.finish(event, &result, |_| {
            format!("ok({})", label.unwrap_or_default()).into()
        });
        result
    }
}
