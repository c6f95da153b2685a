//! Takes the first empty read of a response body for its end (wstd#25, wasmtime#9667): it reads the body stream without waiting on its pollable and stops at the first read that returns nothing, so a body whose next frame has not arrived yet comes back short.

use wasi::http::outgoing_handler;
use wasi::http::types::{Fields, Method, OutgoingBody, OutgoingRequest, Scheme};
use wasi::io::streams::StreamError;
use wouldblock_guest::http;
use wouldblock_guest::program::fail;

const PROGRAM: &str = "http-echo-client-naive";

fn main() {
    let options = http::parse_env(PROGRAM);
    let authority = options
        .url
        .strip_prefix("http://")
        .unwrap_or_else(|| fail("the URL must start with http://"));
    let (authority, path) = match authority.find('/') {
        Some(at) => authority.split_at(at),
        None => (authority, "/"),
    };
    for (index, &size) in options.sizes.iter().enumerate() {
        let sent = http::body(index, size);
        let got = post(authority, path, &sent)
            .unwrap_or_else(|e| fail(format_args!("request {index}: {e}")));
        http::check_echo(index, &sent, &got);
    }
    wouldblock_guest::echo::report_echoed(PROGRAM, &options.sizes);
}

/// One POST of `sent`; the body that came back, as far as this program reads it.
fn post(authority: &str, path: &str, sent: &[u8]) -> Result<Vec<u8>, String> {
    let request = OutgoingRequest::new(Fields::new());
    let set = request
        .set_method(&Method::Post)
        .and(request.set_scheme(Some(&Scheme::Http)))
        .and(request.set_authority(Some(authority)))
        .and(request.set_path_with_query(Some(path)));
    set.map_err(|()| "invalid request".to_string())?;
    let body = request.body().map_err(|()| "no body")?;
    let response = outgoing_handler::handle(request, None).map_err(|e| format!("{e:?}"))?;
    {
        let stream = body.write().map_err(|()| "no body stream")?;
        for chunk in sent.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| format!("writing the body: {e:?}"))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(|e| format!("{e:?}"))?;
    response.subscribe().block();
    let response = response
        .get()
        .ok_or("no response after its pollable was ready")?
        .map_err(|()| "response taken twice")?
        .map_err(|e| format!("{e:?}"))?;
    let body = response.consume().map_err(|()| "no body")?;
    let stream = body.stream().map_err(|()| "no body stream")?;
    let mut got = Vec::new();
    loop {
        match stream.read(65536) {
            // The bug: an empty read is "nothing yet", not the end of the body.
            Ok(bytes) if bytes.is_empty() => break,
            Ok(bytes) => got.extend_from_slice(&bytes),
            Err(StreamError::Closed) => break,
            Err(e) => return Err(format!("reading the body: {e:?}")),
        }
    }
    Ok(got)
}
