//! How the guest's outgoing HTTP requests leave the harness: wasmtime-wasi-http hands each
//! request to [`Hooks::send_request`], which resolves the authority as the harness resolves
//! every name, checks each address against the [`NetPolicy`] (loopback unless
//! `--allow-net`), connects and speaks plain HTTP/1.1 with hyper. No TLS: an `https`
//! request is refused as an unsupported scheme, as a host without a TLS client would.
//! `request-options` timeouts are not applied: the guest's time is virtual, and the run's
//! time limit is the safety net.

use crate::names::{Answer, Names};
use crate::policy::NetPolicy;
use http::uri::Scheme;
use http_body_util::BodyExt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// What the harness answers wasmtime-wasi-http's questions with, for one run.
pub(crate) struct Hooks {
    net: NetPolicy,
    names: Arc<Names>,
    /// Connections open now, and the most there may be (`--max-sockets`): each is a
    /// descriptor of the harness's, and so is the echo peer's end of it.
    open: Arc<AtomicU64>,
    max_open: u64,
}

impl Hooks {
    pub(crate) fn new(net: NetPolicy, names: Arc<Names>, max_open: u64) -> Self {
        Self {
            net,
            names,
            open: Arc::default(),
            max_open,
        }
    }
}

/// One open connection, counted until it ends.
struct Open(Arc<AtomicU64>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The response and the future that drives the rest of its connection.
type Sent = (
    http::Response<WasiBody>,
    Box<dyn Future<Output = Result<(), Error>> + Send>,
);

impl WasiHttpHooks for Hooks {
    fn is_supported_scheme(&mut self, scheme: &Scheme) -> bool {
        *scheme == Scheme::HTTP
    }

    fn default_scheme(&mut self) -> Option<Scheme> {
        Some(Scheme::HTTP)
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<dyn Future<Output = Result<Sent, Error>> + Send> {
        let (net, names) = (self.net.clone(), self.names.clone());
        // Past `--max-sockets` requests in flight, the answer is the WIT's own for a
        // limit, before any descriptor is taken: 20,000 at once exhausted the harness's
        // and reached the guest as `connection-refused`.
        if self.open.fetch_add(1, Ordering::AcqRel) >= self.max_open {
            self.open.fetch_sub(1, Ordering::AcqRel);
            return Box::new(std::future::ready(Err(Error::ConnectionLimitReached)));
        }
        let open = Open(self.open.clone());
        Box::new(send(request, net, names, open))
    }
}

/// Sends one request: resolve, check the policy, connect, and wait for the response head
/// while driving the connection.
async fn send(
    mut request: http::Request<WasiBody>,
    net: NetPolicy,
    names: Arc<Names>,
    open: Open,
) -> Result<Sent, Error> {
    let authority = request
        .uri()
        .authority()
        .ok_or(Error::HttpRequestUriInvalid)?
        .clone();
    // An authority with a port that is no u16 (`:99999`, `:abc`) is invalid, as
    // wasmtime-wasi-http's own `parse_authority` says; only a missing one means 80.
    // (`http`'s `port` is `None` for both.)
    let text = authority.as_str();
    let text = &text[text.rfind('@').map_or(0, |at| at + 1)..];
    let has_port = text[text.rfind(']').unwrap_or(0)..].contains(':');
    let port = match authority.port_u16() {
        Some(port) => port,
        None if has_port => return Err(Error::HttpRequestUriInvalid),
        None => 80,
    };
    let host = authority.host();
    let ips = match names.answer(host.trim_start_matches('[').trim_end_matches(']')) {
        Answer::Known(Ok(ips)) => ips,
        Answer::Known(Err(_)) | Answer::Invalid => return Err(dns_error("unresolvable")),
        Answer::System => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| dns_error("lookup failed"))?
            .map(|addr| addr.ip())
            .collect(),
    };
    // The same check every TCP connect of the guest goes through.
    let allowed: Vec<SocketAddr> = ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .filter(|addr| net.permits(*addr, SocketAddrUse::TcpConnect))
        .collect();
    if allowed.is_empty() {
        return Err(Error::DestinationIpProhibited);
    }
    let mut stream = None;
    for addr in allowed {
        if let Ok(connected) = tokio::net::TcpStream::connect(addr).await {
            stream = Some(connected);
            break;
        }
    }
    let stream = stream.ok_or(Error::ConnectionRefused)?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(Error::from)?;
    // The request line carries the path only; the authority went into `host`.
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    *request.uri_mut() = http::Uri::builder()
        .path_and_query(path)
        .build()
        .map_err(|_| Error::HttpRequestUriInvalid)?;
    let mut connection = Box::pin(connection);
    let response = sender.send_request(request);
    tokio::pin!(response);
    // The connection does the I/O the response waits on: both are polled, in a fixed
    // order, until the head is there. A server that answers and closes at once ends the
    // connection in the same turn that delivers the response: the response still counts.
    let first = tokio::select! {
        biased;
        response = &mut response => First::Response(response),
        ended = &mut connection => First::Ended(ended),
    };
    let (response, connection) = match first {
        First::Response(response) => (response.map_err(Error::from)?, Some(connection)),
        First::Ended(ended) => {
            ended.map_err(Error::from)?;
            let response = response.await.map_err(|_| Error::HttpResponseIncomplete)?;
            (response, None)
        }
    };
    let response = response.map(|body| body.map_err(Error::from).boxed_unsync());
    let rest = async move {
        let _open = open;
        match connection {
            Some(connection) => connection.await.map_err(Error::from),
            None => Ok(()),
        }
    };
    Ok((response, Box::new(rest)))
}

fn dns_error(why: &str) -> Error {
    Error::DnsError {
        rcode: Some(why.to_string()),
        info_code: None,
    }
}

/// What finished first while waiting for a response's head.
enum First<R> {
    Response(Result<R, hyper::Error>),
    Ended(Result<(), hyper::Error>),
}
