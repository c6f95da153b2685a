//! Takes the first empty read of a request body for its end (wasmtime#9667, wstd#25), as a wasi:http/proxy component on the raw bindings: it reads without waiting on the body stream's pollable, so a body whose next frame has not arrived yet is echoed short.

use wasi::exports::http::incoming_handler::Guest;
use wasi::http::types::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

struct Server;

impl Guest for Server {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let body = request.consume().expect("the request's body");
        let got = {
            let stream = body.stream().expect("the request body's stream");
            let mut got = Vec::new();
            // The bug: an empty read is "nothing yet", not the end of the body.
            while let Ok(bytes) = stream.read(65536) {
                if bytes.is_empty() {
                    break;
                }
                got.extend_from_slice(&bytes);
            }
            got
        };
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
}

wasi::http::proxy::export!(Server with_types_in wasi);

fn main() {
    unreachable!("a wasi:http/proxy component is served, not run");
}
