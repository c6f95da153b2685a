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

/// A guest's captured stdout or stderr: the first `limit` bytes and the last [`TAIL`],
/// with a line saying how much was cut between them. Output past the bound is cut, never
/// refused: a guest that prints a lot runs as it does on a terminal, and its last words
/// (a panic message, libtest's result line) are still there.
#[derive(Clone)]
pub(crate) struct Captured {
    limit: usize,
    inner: Arc<Mutex<Kept>>,
}

#[derive(Default)]
struct Kept {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    cut: u64,
}

impl Captured {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            inner: Arc::default(),
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, mut bytes: &[u8]) {
        let mut kept = self.kept();
        let room = self.limit.saturating_sub(kept.head.len());
        let head = bytes.len().min(room);
        kept.head.extend_from_slice(&bytes[..head]);
        bytes = &bytes[head..];
        if bytes.len() > TAIL {
            kept.cut += (kept.tail.len() + bytes.len() - TAIL) as u64;
            kept.tail.clear();
            bytes = &bytes[bytes.len() - TAIL..];
        }
        kept.tail.extend(bytes);
        let excess = kept.tail.len().saturating_sub(TAIL);
        kept.tail.drain(..excess);
        kept.cut += excess as u64;
    }

    /// What was kept, with a line where bytes were cut.
    pub(crate) fn contents(&self) -> Vec<u8> {
        let kept = self.kept();
        let mut out = kept.head.clone();
        if kept.cut > 0 {
            let line = format!("\n[wouldblock: {} bytes of output cut here]\n", kept.cut);
            out.extend_from_slice(line.as_bytes());
        }
        out.extend(kept.tail.iter());
        out
    }

    /// The last bytes written (at most [`TAIL`]).
    pub(crate) fn tail(&self) -> Vec<u8> {
        let kept = self.kept();
        let from_head = TAIL.saturating_sub(kept.tail.len()).min(kept.head.len());
        let mut out = kept.head[kept.head.len() - from_head..].to_vec();
        out.extend(kept.tail.iter());
        out
    }
}

impl IsTerminal for Captured {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Captured {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for Captured {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(PERMIT)
    }
}

#[async_trait::async_trait]
impl Pollable for Captured {
    /// Memory is always ready.
    async fn ready(&mut self) {}
}

impl AsyncWrite for Captured {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_past_the_bound_is_cut_keeping_its_start_and_its_end() {
        let captured = Captured::new(8);
        captured.push(b"0123456789");
        assert_eq!(captured.contents(), b"0123456789");
        let flood = vec![b'x'; 3 * TAIL];
        captured.push(&flood);
        captured.push(b"the end\n");
        let text = String::from_utf8(captured.contents()).unwrap();
        assert!(text.starts_with("01234567"), "{text}");
        let cut = 10 + 3 * TAIL + 8 - 8 - TAIL;
        assert!(
            text.contains(&format!("[wouldblock: {cut} bytes of output cut here]")),
            "{text}"
        );
        assert!(text.ends_with("xxthe end\n"));
        assert_eq!(captured.tail().len(), TAIL);
        assert!(captured.tail().ends_with(b"the end\n"));
    }
}
