//! Probes the harness's HTTP side as a hostile or careless client would, on the raw wasi:http bindings: `post URL...` POSTs `hello` to each URL in turn and says what each answered (a URL written `short:URL` declares 10 bytes and sends 5, so the host refuses the body at `finish`), exiting 0 whatever they answered; `get URL` exits 0 on a response and 1 naming the error code otherwise; `endless URL` POSTs a body without end while reading the echo, and says how it ended; `lookup NAME...` looks each name up and prints its addresses or error, exiting 0; `many URL N` sends N GETs at once, then counts how each ended.

use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingBody, IncomingResponse, Method,
    OutgoingBody, OutgoingRequest, Scheme,
};
use wasi::io::streams::{InputStream, StreamError};
use wouldblock_guest::program::{EXIT_USAGE, exit, fail};

const USAGE: &str =
    "usage: probe-http post [short:]URL... | get URL | endless URL | lookup NAME... | many URL N";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match (args.first().map(String::as_str), &args[1.min(args.len())..]) {
        (Some("post"), urls) if !urls.is_empty() => {
            for url in urls {
                let (short, url) = match url.strip_prefix("short:") {
                    Some(url) => (true, url),
                    None => (false, url.as_str()),
                };
                match post(url, short) {
                    Ok(echo) => println!("{url}: {echo}"),
                    Err(why) => println!("{url}: refused: {why}"),
                }
            }
        }
        (Some("get"), [url]) => match send(Method::Get, url, None).and_then(|r| wait(&r)) {
            Ok(response) => println!("{url}: status {}", response.status()),
            Err(why) => fail(format_args!("{url}: {why}")),
        },
        (Some("endless"), [url]) => endless(url),
        (Some("many"), [url, n]) => many(url, n.parse().unwrap_or_else(|_| fail(USAGE))),
        (Some("lookup"), names) if !names.is_empty() => {
            for name in names {
                match wouldblock_guest::lookup::resolve(name, None) {
                    Ok(ips) => println!("{name}: {ips:?}"),
                    Err(err) => println!("{name}: {err}"),
                }
            }
        }
        _ => {
            eprintln!("{USAGE}");
            exit(EXIT_USAGE)
        }
    }
}

/// A request to `url`, its body (if any) not yet written.
fn send(
    method: Method,
    url: &str,
    length: Option<u64>,
) -> Result<(FutureIncomingResponse, Option<OutgoingBody>), String> {
    let (scheme, rest) = match url.split_once("://") {
        Some(("https", rest)) => (Scheme::Https, rest),
        Some(("http", rest)) => (Scheme::Http, rest),
        _ => return Err(format!("{url}: not an http:// or https:// URL")),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let headers = Fields::new();
    if let Some(length) = length {
        headers
            .append("content-length", length.to_string().as_bytes())
            .map_err(|e| format!("content-length: {e:?}"))?;
    }
    let request = OutgoingRequest::new(headers);
    let set = request
        .set_method(&method)
        .and(request.set_scheme(Some(&scheme)))
        .and(request.set_authority(Some(authority)))
        .and(request.set_path_with_query(Some(if path.is_empty() { "/" } else { path })));
    set.map_err(|()| "the request's URL is refused".to_string())?;
    let body = match method {
        Method::Get => None,
        _ => Some(request.body().map_err(|()| "no body")?),
    };
    let response = outgoing_handler::handle(request, None).map_err(code)?;
    Ok((response, body))
}

fn code(code: ErrorCode) -> String {
    format!("error code {code:?}")
}

/// Waits for the response's head.
fn wait(sent: &(FutureIncomingResponse, Option<OutgoingBody>)) -> Result<IncomingResponse, String> {
    let response = &sent.0;
    response.subscribe().block();
    response
        .get()
        .ok_or("no response after its pollable was ready")?
        .map_err(|()| "response taken twice")?
        .map_err(code)
}

/// POSTs `hello` (declaring 10 bytes when `short`) and reads the echo.
fn post(url: &str, short: bool) -> Result<String, String> {
    let (response, body) = send(Method::Post, url, short.then_some(10))?;
    let body = body.ok_or("no body")?;
    {
        let stream = body.write().map_err(|()| "no body stream")?;
        stream
            .blocking_write_and_flush(b"hello")
            .map_err(|e| format!("writing the body: {e:?}"))?;
    }
    OutgoingBody::finish(body, None).map_err(|e| format!("finish: {}", code(e)))?;
    let response = wait(&(response, None))?;
    let body = response.consume().map_err(|()| "no body")?;
    let stream = body.stream().map_err(|()| "no body stream")?;
    let got = read_all(&stream)?;
    Ok(format!(
        "status {}, {} bytes back{}",
        response.status(),
        got.len(),
        if got == b"hello" { ", echoed" } else { "" }
    ))
}

fn read_all(stream: &InputStream) -> Result<Vec<u8>, String> {
    let mut got = Vec::new();
    loop {
        match stream.blocking_read(65536) {
            Ok(bytes) => got.extend_from_slice(&bytes),
            Err(StreamError::Closed) => return Ok(got),
            Err(e) => return Err(format!("reading the body: {e:?}")),
        }
    }
}

/// POSTs 64 KiB chunks without end, reading whatever echo is there between writes, until
/// something refuses; exits 1 saying how much went each way.
fn endless(url: &str) {
    let (response, body) = send(Method::Post, url, None).unwrap_or_else(|e| fail(e));
    let body = body.unwrap_or_else(|| fail("no body"));
    let out = body.write().unwrap_or_else(|()| fail("no body stream"));
    let chunk = vec![b'x'; 64 << 10];
    let (mut sent, mut read) = (0u64, 0u64);
    // The stream first: it is the body's child, and the body the response's.
    let mut echo: Option<(InputStream, IncomingBody, IncomingResponse)> = None;
    let ended = loop {
        if echo.is_none()
            && let Some(got) = response.get()
        {
            let got = got.unwrap_or_else(|()| fail("response taken twice"));
            let got = got.unwrap_or_else(|e| fail(format_args!("response: {}", code(e))));
            let body = got.consume().unwrap_or_else(|()| fail("no body"));
            let stream = body.stream().unwrap_or_else(|()| fail("no body stream"));
            echo = Some((stream, body, got));
        }
        if let Some((stream, ..)) = &echo {
            match stream.read(64 << 10) {
                Ok(bytes) => read += bytes.len() as u64,
                Err(e) => break format!("reading the echo: {e:?}"),
            }
        }
        match out.check_write() {
            Ok(0) => {
                // Wait for room, or for the echo to need reading.
                let mut waits = vec![out.subscribe()];
                match &echo {
                    Some((stream, ..)) => waits.push(stream.subscribe()),
                    None => waits.push(response.subscribe()),
                }
                wasi::io::poll::poll(&waits.iter().collect::<Vec<_>>());
            }
            Ok(room) => {
                let n = chunk.len().min(room as usize);
                if let Err(e) = out.write(&chunk[..n]) {
                    break format!("writing the body: {e:?}");
                }
                sent += n as u64;
            }
            Err(e) => break format!("writing the body: {e:?}"),
        }
    };
    fail(format_args!(
        "sent {sent} bytes, read {read} back, then {ended}"
    ))
}

/// Sends `n` GETs before waiting for any, then prints how many were answered and how
/// each other one ended, by error code.
fn many(url: &str, n: usize) {
    let sent: Vec<_> = (0..n).map(|_| send(Method::Get, url, None)).collect();
    let mut ended = std::collections::BTreeMap::<String, usize>::new();
    for request in sent {
        let how = match request.and_then(|r| wait(&r)) {
            Ok(response) => format!("status {}", response.status()),
            Err(why) => why,
        };
        *ended.entry(how).or_default() += 1;
    }
    for (how, count) in ended {
        println!("{count} {how}");
    }
}
