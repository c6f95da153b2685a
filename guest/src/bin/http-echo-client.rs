//! Asserts that every request body sent to the echo server comes back byte-exactly, on wstd's HTTP client: its body reads take an empty read for "nothing yet" and wait on the stream's pollable, and its writes keep to check-write's permits.

use wouldblock_guest::http;
use wouldblock_guest::program::fail;
use wstd::http::{Body, Client, Request};

const PROGRAM: &str = "http-echo-client";

#[wstd::main]
async fn main() {
    let options = http::parse_env(PROGRAM);
    let client = Client::new();
    for (index, &size) in options.sizes.iter().enumerate() {
        let sent = http::body(index, size);
        let request = Request::post(options.url.as_str())
            .body(Body::from(sent.clone()))
            .unwrap_or_else(|e| fail(format_args!("request {index}: {e}")));
        let mut response = client
            .send(request)
            .await
            .unwrap_or_else(|e| fail(format_args!("request {index}: {e}")));
        let got = response
            .body_mut()
            .contents()
            .await
            .unwrap_or_else(|e| fail(format_args!("request {index}: reading the body: {e}")));
        http::check_echo(index, &sent, got);
    }
    wouldblock_guest::echo::report_echoed(PROGRAM, &options.sizes);
}
