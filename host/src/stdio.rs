//! The guest's inherited stderr, remembering whether its last byte ended a line, so the
//! harness's summary always starts on a line of its own, whatever the guest printed, and
//! its last few KiB, so a trap after a panic message is told as the guest's panic.

use bytes::Bytes;
use std::collections::VecDeque;
use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi_io::poll::Pollable;
use wasmtime_wasi_io::streams::{OutputStream, StreamError, StreamResult};

/// What a guest may write in one go, as wasmtime-wasi's own stdio allows.
const PERMIT: usize = 64 * 1024;
/// How much of the end of stderr is kept: a panic message and its location fit.
pub(crate) const TAIL: usize = 4096;

/// The process's stderr, shared by every stream the guest opens on it.
#[derive(Clone, Default)]
pub(crate) struct TrackedStderr {
    /// The guest wrote something that did not end with a newline.
    open_line: Arc<AtomicBool>,
    /// The last [`TAIL`] bytes written.
    tail: Arc<Mutex<VecDeque<u8>>>,
}

impl TrackedStderr {
    /// Whether the guest left a line unfinished.
    pub(crate) fn mid_line(&self) -> bool {
        self.open_line.load(Ordering::Relaxed)
    }

    /// The last bytes the guest wrote.
    pub(crate) fn tail(&self) -> Vec<u8> {
        let tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
        tail.iter().copied().collect()
    }

    fn write(&self, bytes: &[u8]) -> std::io::Result<()> {
        std::io::stderr().write_all(bytes)?;
        if let Some(last) = bytes.last() {
            self.open_line.store(*last != b'\n', Ordering::Relaxed);
        }
        let mut tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
        tail.extend(&bytes[bytes.len().saturating_sub(TAIL)..]);
        let excess = tail.len().saturating_sub(TAIL);
        tail.drain(..excess);
        Ok(())
    }
}

impl IsTerminal for TrackedStderr {
    fn is_terminal(&self) -> bool {
        std::io::IsTerminal::is_terminal(&std::io::stderr())
    }
}

impl StdoutStream for TrackedStderr {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

/// A closed stderr is the end of the stream, anything else a failed write.
fn stream_error(e: std::io::Error) -> StreamError {
    match e.kind() {
        std::io::ErrorKind::BrokenPipe => StreamError::Closed,
        _ => StreamError::LastOperationFailed(e.into()),
    }
}

impl OutputStream for TrackedStderr {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        TrackedStderr::write(self, &bytes).map_err(stream_error)
    }

    fn flush(&mut self) -> StreamResult<()> {
        std::io::stderr().flush().map_err(stream_error)
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(PERMIT)
    }
}

#[async_trait::async_trait]
impl Pollable for TrackedStderr {
    /// Writes go straight to the process's stderr: always ready.
    async fn ready(&mut self) {}
}

impl AsyncWrite for TrackedStderr {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(TrackedStderr::write(&self, buf).map(|()| buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(std::io::stderr().flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
