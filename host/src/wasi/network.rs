//! `wasi:sockets/network` as the UDP decorators need it: the trappable-error conversion
//! that turns a returned `SocketError` into the guest's `error-code`. Not decorated, only
//! delegated; the interface itself is linked from wasmtime-wasi.

use super::SocketsView;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::SocketError;
use wasmtime_wasi::p2::bindings::sockets::network::{ErrorCode, Host, HostNetwork, Network};

impl Host for SocketsView<'_> {
    fn convert_error_code(&mut self, error: SocketError) -> wasmtime::Result<ErrorCode> {
        self.inner.convert_error_code(error)
    }

    fn network_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        self.inner.network_error_code(err)
    }
}

impl HostNetwork for SocketsView<'_> {
    fn drop(&mut self, this: Resource<Network>) -> wasmtime::Result<()> {
        HostNetwork::drop(&mut self.inner, this)
    }
}
