//! The one sink of a guest's stdout and stderr: it keeps the first bytes written (up to a
//! bound) and the last [`TAIL`], with a line saying how much was cut between them, so a
//! trap after a panic message is told as the guest's panic. An inherited stderr is also
//! written through to the process's, remembering whether its last byte ended a line, so
//! the harness's summary always starts on a line of its own, whatever the guest printed.

use bytes::Bytes;
use std::collections::VecDeque;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi_io::poll::Pollable;
use wasmtime_wasi_io::streams::{OutputStream, StreamError, StreamResult};

/// What a guest may write in one go, as wasmtime-wasi's own stdio allows.
const PERMIT: usize = 64 * 1024;
/// How much of the end of the output is kept: a panic message and its location fit.
pub(crate) const TAIL: usize = 4096;

/// A guest's stdout or stderr. Output past the bound is cut, never refused: a guest that
/// prints a lot runs as it does on a terminal, and its last words (a panic message,
/// libtest's result line) are still there. Clones share what was written, as every
/// stream the guest opens on it does.
#[derive(Clone)]
pub(crate) struct Sink {
    /// How many of the first bytes are kept.
    limit: usize,
    /// Written through to the process's stderr (the guest inherits it).
    inherited: bool,
    kept: Arc<Mutex<Kept>>,
}

#[derive(Default)]
struct Kept {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    cut: u64,
    /// The last write did not end with a newline.
    open_line: bool,
}

impl Default for Sink {
    /// The process's stderr ([`Sink::stderr`]).
    fn default() -> Self {
        Self::stderr()
    }
}

impl Sink {
    /// The process's stderr, inherited: written through, its last [`TAIL`] bytes kept.
    pub(crate) fn stderr() -> Self {
        Self {
            limit: 0,
            inherited: true,
            kept: Arc::default(),
        }
    }

    /// Captured output: the first `limit` bytes and the last [`TAIL`].
    pub(crate) fn captured(limit: usize) -> Self {
        Self {
            limit,
            inherited: false,
            kept: Arc::default(),
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self, bytes: &[u8]) -> std::io::Result<()> {
        if self.inherited {
            std::io::stderr().write_all(bytes)?;
        }
        self.push(bytes);
        Ok(())
    }

    fn flush(&self) -> std::io::Result<()> {
        if self.inherited {
            std::io::stderr().flush()?;
        }
        Ok(())
    }

    fn push(&self, mut bytes: &[u8]) {
        let mut kept = self.kept();
        if let Some(last) = bytes.last() {
            kept.open_line = *last != b'\n';
        }
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

    /// Whether the guest left a line unfinished.
    pub(crate) fn mid_line(&self) -> bool {
        self.kept().open_line
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

impl IsTerminal for Sink {
    fn is_terminal(&self) -> bool {
        self.inherited && std::io::IsTerminal::is_terminal(&std::io::stderr())
    }
}

impl StdoutStream for Sink {
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

impl OutputStream for Sink {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        Sink::write(self, &bytes).map_err(stream_error)
    }

    fn flush(&mut self) -> StreamResult<()> {
        Sink::flush(self).map_err(stream_error)
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(PERMIT)
    }
}

#[async_trait::async_trait]
impl Pollable for Sink {
    /// Memory and the process's stderr are always ready.
    async fn ready(&mut self) {}
}

impl AsyncWrite for Sink {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Sink::write(&self, buf).map(|()| buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Sink::flush(&self))
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
        let captured = Sink::captured(8);
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
