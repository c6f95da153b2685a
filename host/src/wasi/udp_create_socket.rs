//! `wasi:sockets/udp-create-socket`, decorated so every socket gets a label in the trace
//! and the plan can fail its creation.

use super::SocketsView;
use crate::plan::Op;
use crate::resources::Kind;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sockets::network::IpAddressFamily;
use wasmtime_wasi::p2::bindings::sockets::udp_create_socket::Host;
use wasmtime_wasi::p2::{SocketResult, UdpSocket};

const INTERFACE: &str = "wasi:sockets/udp-create-socket";

impl Host for SocketsView<'_> {
    async fn create_udp_socket(
        &mut self,
        address_family: IpAddressFamily,
    ) -> SocketResult<Resource<UdpSocket>> {
        let function = "create-udp-socket";
        let (event, refused) =
            self.creating(INTERFACE, function, Op::UdpCreateSocket, address_family);
        let result = match refused {
            Some(err) => Err(err),
            None => self.inner.create_udp_socket(address_family).await,
        };
        self.created(event, &result, Kind::UdpSocket);
        result
    }
}
