//! `wasi:sockets/network` as the socket decorators need it: the trappable-error
//! conversion that turns a returned `SocketError` into the guest's `error-code` (not
//! decorated, only delegated; the interface itself is linked from wasmtime-wasi), and the
//! two steps both create-socket functions share around wasmtime-wasi's call.

use super::SocketsView;
use super::decorate::Decorate;
use crate::plan::Op;
use crate::resources::Kind;
use crate::trace::Event;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sockets::network::{
    ErrorCode, Host, HostNetwork, IpAddressFamily, Network,
};
use wasmtime_wasi::p2::{SocketError, SocketResult};

impl SocketsView<'_> {
    /// Before a create-socket call: its event, and the refusal if the plan fails it or the
    /// guest has `--max-sockets` open (a bound of ours, answered as a host out of
    /// descriptors would).
    pub(super) fn creating(
        &mut self,
        interface: &'static str,
        function: &'static str,
        op: Op,
        family: IpAddressFamily,
    ) -> (Event, Option<SocketError>) {
        let mut event = Event::new(interface, function, "-".into()).on(Some(op), None);
        event.args = super::family(family);
        if let Some(err) = self.injected_error(op, None, &mut event) {
            return (event, Some(err));
        }
        if let Some(limit) = self.run.socket_limit() {
            event.fault = Some(format!("socket limit: {limit} open (--max-sockets)"));
            return (event, Some(ErrorCode::NewSocketLimit.into()));
        }
        (event, None)
    }

    /// After a create-socket call: the new socket's label goes in the trace.
    pub(super) fn created<S: 'static>(
        &mut self,
        event: Event,
        result: &SocketResult<Resource<S>>,
        kind: Kind,
    ) {
        let label = result
            .as_ref()
            .ok()
            .map(|s| self.run.register(s.rep(), kind, None));
        self.finish(event, result, |_| {
            format!("ok({})", label.unwrap_or_default()).into()
        });
    }
}

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
