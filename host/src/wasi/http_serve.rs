//! Serving a guest's `wasi:http/incoming-handler`, as `wasmtime serve` does, driven by the
//! harness's own HTTP client (`--http-client SIZES`): one instance per run, one request a
//! size, each a `POST` whose body is message `i` of that size (the TCP echo payload), and
//! every response body checked byte for byte. The request's body and the response's are
//! the decorated streams of `http_types.rs`, so the plan reaches a server as it does a
//! client.

use super::HostState;
use crate::peer::{Served, echo_frame};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime::Store;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;

/// Sends one request of each size to the guest's handler, in order, and checks each
/// response; the guest's traps end the run as they would end `call-run`.
pub(crate) async fn serve(
    store: &mut Store<HostState>,
    pre: &ProxyPre<HostState>,
    sizes: &[usize],
) -> wasmtime::Result<Result<(), ()>> {
    let proxy = pre.instantiate_async(&mut *store).await?;
    let mut served = Served {
        requests: sizes.len(),
        ..Served::default()
    };
    for (index, &size) in sizes.iter().enumerate() {
        let sent = Bytes::from(echo_frame(index, size).split_off(4));
        let request = hyper::Request::post("http://localhost/echo")
            .body(Full::new(sent.clone()))
            .map_err(wasmtime::Error::new)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (request, out) = {
            let mut view = store.data_mut().http_view();
            let request = view.inner.new_incoming_request(Scheme::Http, request)?;
            (request, view.inner.new_response_outparam(tx)?)
        };
        let handler = proxy.wasi_http_incoming_handler();
        // The response body streams while the handler runs (a body bigger than the
        // host's buffer needs a reader): both are polled on this task.
        let call = handler.call_handle(&mut *store, request, out);
        let response = async {
            let response = match rx.await {
                Ok(Ok(response)) => response,
                Ok(Err(code)) => return Err(format!("the handler answered {code:?}")),
                Err(_) => return Err("the handler never set a response".to_string()),
            };
            let status = response.status();
            if !status.is_success() {
                return Err(format!("status {status}"));
            }
            compare(response.into_body(), &sent).await
        };
        tokio::pin!(call, response);
        // A handler that traps (or that the harness stops: a hang, a busy loop) ends the
        // run at once: its response would never come.
        let answered = tokio::select! {
            biased;
            called = &mut call => {
                called?;
                response.await
            }
            answered = &mut response => {
                call.await?;
                answered
            }
        };
        let failure = answered.err();
        match failure {
            None => served.echoed += 1,
            Some(why) => {
                served
                    .failure
                    .get_or_insert(format!("request {index} ({size} bytes): {why}"));
            }
        }
    }
    store.data_mut().run.served(served);
    Ok(Ok(()))
}

/// Reads a response body as it comes, comparing it with `sent`, and keeps none of it: a
/// body that differs or runs past `sent` (a server streaming without end) fails at once.
async fn compare<B>(mut body: B, sent: &[u8]) -> Result<(), String>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let mut got = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("the response body failed: {e}"))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let Some(want) = sent.get(got..got + data.len()) else {
            return Err(format!(
                "echo longer than the {} bytes sent: more than {} bytes back (the rest \
                 was not read)",
                sent.len(),
                got.max(sent.len())
            ));
        };
        if let Some(at) = data.iter().zip(want).position(|(a, b)| a != b) {
            return Err(format!(
                "echo differs at byte {} of {}",
                got + at,
                sent.len()
            ));
        }
        got += data.len();
    }
    if got < sent.len() {
        return Err(format!("echo short: {got} of {} bytes back", sent.len()));
    }
    Ok(())
}
