//! `wasi:http/outgoing-handler`, decorated: every request is traced and counted against
//! the plan (an injected error answers `handle` at once), and the response it will bring
//! is registered, so its `get` and its pollable go through the plan (`http_types.rs`).
//! The request itself leaves through the harness's hooks (`http_send.rs`), after the
//! address policy.

use super::HttpView;
use super::decorate::Decorate;
use crate::plan::Op;
use crate::resources::Kind;
use crate::trace::{Event, Text};
use std::net::SocketAddr;
use wasmtime::component::Resource;
use wasmtime_wasi_http::p2::bindings::http::outgoing_handler;
use wasmtime_wasi_http::p2::bindings::http::types::{Method, RequestOptions, Scheme};
use wasmtime_wasi_http::p2::types::{HostFutureIncomingResponse, HostOutgoingRequest};
use wasmtime_wasi_http::p2::{HttpError, HttpResult};

const HANDLER: &str = "wasi:http/outgoing-handler";

impl outgoing_handler::Host for HttpView<'_> {
    fn handle(
        &mut self,
        request: Resource<HostOutgoingRequest>,
        options: Option<Resource<RequestOptions>>,
    ) -> HttpResult<Resource<HostFutureIncomingResponse>> {
        let mut event =
            Event::new(HANDLER, "handle", Text::default()).on(Some(Op::HttpHandle), None);
        let rep = request.rep();
        let mut authority = String::new();
        let mut tls = false;
        // The destination, typed where it is an address, so runs with other ports still
        // compare equal (`Trace::normalized`); the method and path are the guest's own.
        if let Ok(req) = self.inner.table.get(&request) {
            authority = req.authority.clone().unwrap_or_default();
            tls = matches!(req.scheme, Some(Scheme::Https));
            event.args = match authority.parse::<SocketAddr>() {
                Ok(addr) => Text::Addr(addr),
                Err(_) => Text::Owned(format!(
                    "{} {authority}{}",
                    method_name(&req.method),
                    req.path_with_query.as_deref().unwrap_or_default()
                )),
            };
        }
        let result = match self.injected_error::<HttpError>(Op::HttpHandle, None, &mut event) {
            Some(err) => Err(err),
            None => outgoing_handler::Host::handle(&mut self.inner, request, options),
        };
        let label = result.as_ref().ok().map(|response| {
            // A server answers in real time: waits give it a moment before time jumps.
            self.run.external();
            self.run.register(response.rep(), Kind::HttpResponse, None)
        });
        self.finish(event, &result, |_| label.unwrap_or_default());
        if tls && result.is_err() {
            no_tls_note();
        }
        let response = result.as_ref().ok().map(Resource::rep);
        self.run.bodies().handled(rep, &authority, response);
        result
    }
}

/// The method as a request line writes it.
fn method_name(method: &Method) -> &str {
    match method {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Connect => "CONNECT",
        Method::Options => "OPTIONS",
        Method::Trace => "TRACE",
        Method::Patch => "PATCH",
        Method::Other(other) => other,
    }
}

/// Says once a process that an `https` request failed because the harness has no TLS
/// client: the guest sees only wasi:http's `HTTP-protocol-error`.
fn no_tls_note() {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
        eprintln!(
            "wouldblock: note: the guest sent an https:// request: the harness has no TLS \
             client, so wasi:http answers it HTTP-protocol-error (give the guest a plain \
             http:// server, such as {{http-echo}})"
        );
    }
}
