//! Asserts that every request body comes back byte-exactly as the response body, as a wasi:http/proxy component on wstd's `http_server`: its body reads take an empty read for "nothing yet" and wait on the stream's pollable, and its writes keep to check-write's permits.

use wstd::http::{Body, Error, Request, Response};

#[wstd::http_server]
async fn main(mut request: Request<Body>) -> Result<Response<Body>, Error> {
    let body = request.body_mut().contents().await?.to_vec();
    Ok(Response::new(body.into()))
}
