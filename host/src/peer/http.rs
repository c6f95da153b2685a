//! The harness's HTTP peers: behind `{http-echo}`, a real HTTP/1.1 server (hyper) on
//! 127.0.0.1, on a thread of its own, that answers every request with `200 OK` and the
//! request's body, byte for byte, and counts what it received; and what the harness's
//! HTTP client (`--http-client`, `wasi/http_serve.rs`) saw of a guest server.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use tokio::sync::oneshot;
use wasmtime_wasi_http::io::TokioIo;

/// What the HTTP echo peer received in one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct HttpReport {
    /// Requests whose body it read to the end (and echoed).
    pub(crate) requests: u64,
    /// Request body bytes it read.
    pub(crate) body_bytes: u64,
}

#[derive(Debug, Default)]
struct Counts {
    requests: AtomicU64,
    body_bytes: AtomicU64,
}

/// The running echo server; stopped (and its thread joined) by [`HttpEcho::finish`] or
/// when dropped.
pub(crate) struct HttpEcho {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    counts: Arc<Counts>,
}

impl HttpEcho {
    pub(crate) fn start() -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel();
        let counts = Arc::new(Counts::default());
        let seen = counts.clone();
        let thread = std::thread::Builder::new()
            .name(format!("http-echo {addr}"))
            .spawn(move || runtime.block_on(serve(listener, stopped, seen)))?;
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
            counts,
        })
    }

    /// The base URL guests send to: `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and reports what it received.
    pub(crate) fn finish(mut self) -> HttpReport {
        self.stop_thread();
        HttpReport {
            requests: self.counts.requests.load(Ordering::Acquire),
            body_bytes: self.counts.body_bytes.load(Ordering::Acquire),
        }
    }

    fn stop_thread(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for HttpEcho {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// Accepts connections until stopped, each served on a task of its own.
async fn serve(listener: TcpListener, mut stopped: oneshot::Receiver<()>, counts: Arc<Counts>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let conn = tokio::select! {
            biased;
            _ = &mut stopped => return,
            conn = listener.accept() => conn,
        };
        let Ok((stream, _)) = conn else { continue };
        let counts = counts.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| echo(request, counts.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Reads the request's body to the end and sends it back.
async fn echo(
    request: hyper::Request<Incoming>,
    counts: Arc<Counts>,
) -> Result<hyper::Response<Full<Bytes>>, hyper::Error> {
    let body = request.into_body().collect().await?.to_bytes();
    counts
        .body_bytes
        .fetch_add(body.len() as u64, Ordering::AcqRel);
    counts.requests.fetch_add(1, Ordering::AcqRel);
    Ok(hyper::Response::new(Full::new(body)))
}

/// What the harness's HTTP client saw of a guest server in one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Served {
    /// Requests sent.
    pub(crate) requests: usize,
    /// Responses whose body was the request's, byte for byte.
    pub(crate) echoed: usize,
    /// What went wrong with the first request that was not echoed, if any.
    pub(crate) failure: Option<String>,
}
