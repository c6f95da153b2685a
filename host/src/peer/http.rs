//! The harness's HTTP peers: behind `{http-echo}`, a real HTTP/1.1 server (hyper) on
//! 127.0.0.1, on a thread of its own, that answers every request with `200 OK` and the
//! request's body, byte for byte as it comes (never held whole), and counts what it
//! received; and what the harness's
//! HTTP client (`--http-client`, `wasi/http_serve.rs`) saw of a guest server.

use bytes::Bytes;
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
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
    /// Requests whose body went past [`MAX_ECHO_BODY`]: cut, the harness's limit.
    pub(crate) cut: u64,
}

/// The most bytes of one request body the echo peer echoes; past it the exchange fails.
pub(crate) const MAX_ECHO_BODY: u64 = 64 << 20;

/// What the run's error says when `cut` request bodies went past [`MAX_ECHO_BODY`].
pub(crate) fn http_echo_cut(cut: u64) -> String {
    format!(
        "{cut} request body(ies) sent to {{http-echo}} went past the {} MiB the echo peer \
         echoes of one, and were cut",
        MAX_ECHO_BODY >> 20
    )
}

#[derive(Debug, Default)]
struct Counts {
    requests: AtomicU64,
    body_bytes: AtomicU64,
    cut: AtomicU64,
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

    /// Its address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
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
            cut: self.counts.cut.load(Ordering::Acquire),
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
        let Ok((stream, _)) = conn else {
            // Out of descriptors (EMFILE): wait for one to be freed rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let counts = counts.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| echo(request, counts.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Sends the request's body back as it comes, keeping none of it.
async fn echo(
    request: hyper::Request<Incoming>,
    counts: Arc<Counts>,
) -> Result<hyper::Response<Echo>, hyper::Error> {
    Ok(hyper::Response::new(Echo {
        request: request.into_body(),
        counts,
        read: 0,
    }))
}

/// A response body that is its request's body, frame by frame, counted: the peer holds
/// what hyper buffers, never a whole body. Past [`MAX_ECHO_BODY`] it fails, and the run
/// is the harness's error.
struct Echo {
    request: Incoming,
    counts: Arc<Counts>,
    read: u64,
}

impl hyper::body::Body for Echo {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.request).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.read += data.len() as u64;
                    if this.read > MAX_ECHO_BODY {
                        this.counts.cut.fetch_add(1, Ordering::AcqRel);
                        return Poll::Ready(Some(Err("past the echo peer's bound".into())));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            // Only a body read to its end counts, as a request that reached the peer.
            Poll::Ready(None) => {
                this.counts
                    .body_bytes
                    .fetch_add(this.read, Ordering::AcqRel);
                this.counts.requests.fetch_add(1, Ordering::AcqRel);
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Pending => Poll::Pending,
        }
    }
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
