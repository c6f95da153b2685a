//! `wasi:sockets/tcp-create-socket`, decorated: traced, with the socket bound
//! (`--max-sockets`) and any injected error.

use super::SocketsView;
use super::decorate::Decorate;
use super::table::{OpRow, call};
use crate::plan::Op;
use crate::resources::Kind;
use crate::trace::Event;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sockets::network::{ErrorCode, IpAddressFamily};
use wasmtime_wasi::p2::bindings::sockets::tcp_create_socket::Host;
use wasmtime_wasi::p2::{SocketResult, TcpSocket};

/// `wasi:sockets/tcp-create-socket`'s operation.
pub(super) const OPS: &[OpRow] = &[call(
    Op::TcpCreateSocket,
    "tcp.create-socket",
    Kind::TcpSocket,
)];

impl Host for SocketsView<'_> {
    fn create_tcp_socket(
        &mut self,
        address_family: IpAddressFamily,
    ) -> SocketResult<Resource<TcpSocket>> {
        let mut event = Event::new(
            "wasi:sockets/tcp-create-socket",
            "create-tcp-socket",
            "-".into(),
        )
        .on(Some(Op::TcpCreateSocket), None);
        event.args = super::family(address_family);
        let injected = self.injected_error(Op::TcpCreateSocket, None, &mut event);
        let result = match injected {
            Some(err) => Err(err),
            None if self.at_socket_limit(&mut event) => Err(ErrorCode::NewSocketLimit.into()),
            None => self.inner.create_tcp_socket(address_family),
        };
        let label = result.as_ref().ok().map(|socket| {
            let registry = &mut self.run.faults.registry;
            registry.register(socket.rep(), Kind::TcpSocket, None)
        });
        self.finish(event, &result, |_| {
            format!("ok({})", label.unwrap_or_default()).into()
        });
        result
    }
}
