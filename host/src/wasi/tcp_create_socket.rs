//! `wasi:sockets/tcp-create-socket`, decorated: traced, with the socket bound
//! (`--max-sockets`) and any injected error.

use super::SocketsView;
use crate::plan::Op;
use crate::resources::Kind;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sockets::network::IpAddressFamily;
use wasmtime_wasi::p2::bindings::sockets::tcp_create_socket::Host;
use wasmtime_wasi::p2::{SocketResult, TcpSocket};

const INTERFACE: &str = "wasi:sockets/tcp-create-socket";

impl Host for SocketsView<'_> {
    fn create_tcp_socket(
        &mut self,
        address_family: IpAddressFamily,
    ) -> SocketResult<Resource<TcpSocket>> {
        let function = "create-tcp-socket";
        let (event, refused) =
            self.creating(INTERFACE, function, Op::TcpCreateSocket, address_family);
        let result = match refused {
            Some(err) => Err(err),
            None => self.inner.create_tcp_socket(address_family),
        };
        self.created(event, &result, Kind::TcpSocket);
        result
    }
}
