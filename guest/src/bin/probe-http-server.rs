//! Probes the harness's HTTP client (`--http-client`) as a hostile wasi:http/proxy server would, on the raw bindings, by the `PROBE` variable of its environment: `endless` answers every request with a body without end, `header MIB` with a header of MIB MiB, anything else echoes the request body.

use wasi::exports::http::incoming_handler::Guest;
use wasi::http::types::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use wasi::io::streams::StreamError;

struct Server;

impl Guest for Server {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let probe = std::env::var("PROBE").unwrap_or_default();
        let mut words = probe.split_whitespace();
        match words.next() {
            Some("endless") => {
                let response = OutgoingResponse::new(Fields::new());
                let body = response.body().expect("the response's body");
                ResponseOutparam::set(out, Ok(response));
                let stream = body.write().expect("the response body's stream");
                let chunk = vec![b'x'; 4096];
                // Until the harness stops reading or stops the run.
                while stream.blocking_write_and_flush(&chunk).is_ok() {}
            }
            Some("header") => {
                let mib: usize = words.next().and_then(|w| w.parse().ok()).unwrap_or(1);
                let headers = Fields::new();
                let value = vec![b'x'; mib << 20];
                if let Err(e) = headers.append("x-big", &value) {
                    panic!("the host refused a header of {mib} MiB: {e:?}");
                }
                let response = OutgoingResponse::new(headers);
                let body = response.body().expect("the response's body");
                ResponseOutparam::set(out, Ok(response));
                OutgoingBody::finish(body, None).expect("finishing the response body");
            }
            _ => echo(request, out),
        }
    }
}

/// Echoes the request body, waiting for each read.
fn echo(request: IncomingRequest, out: ResponseOutparam) {
    let body = request.consume().expect("the request's body");
    let mut got = Vec::new();
    {
        let stream = body.stream().expect("the request body's stream");
        loop {
            match stream.blocking_read(65536) {
                Ok(bytes) => got.extend_from_slice(&bytes),
                Err(StreamError::Closed) => break,
                Err(e) => panic!("reading the request body: {e:?}"),
            }
        }
    }
    let response = OutgoingResponse::new(Fields::new());
    let reply = response.body().expect("the response's body");
    ResponseOutparam::set(out, Ok(response));
    {
        let stream = reply.write().expect("the response body's stream");
        for chunk in got.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .expect("writing the response body");
        }
    }
    OutgoingBody::finish(reply, None).expect("finishing the response body");
}

wasi::http::proxy::export!(Server with_types_in wasi);

fn main() {
    unreachable!("a wasi:http/proxy component is served, not run");
}
