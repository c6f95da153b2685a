//! A readiness-driven TCP listener and stream over `wasi:sockets/tcp@0.2.12`
//! and `wasi:io/streams@0.2.12`.
//!
//! [`TcpListener`] and [`TcpStream`] keep the shape of their `std::net`
//! namesakes, but are written directly against the WASI 0.2 calls so that
//! every host answer (a `finish-connect` or `accept` of `would-block`, a
//! `read` of no bytes, a `check-write` permit of 0, `stream-error::closed`)
//! is handled explicitly:
//!
//! - `try_*` calls make exactly one non-blocking attempt and answer
//!   [`io::ErrorKind::WouldBlock`] when the host is not ready. An empty read
//!   is WouldBlock, never `Ok(0)`: only `stream-error::closed` is the end of
//!   the stream.
//! - Blocking calls retry, waiting in `wasi:io/poll` on the resource's
//!   pollable plus an insurance clock (5 ms doubling to 100 ms) and the
//!   call's deadline, never sleeping and never spinning (a [`Poller`]).
//! - Readiness-driven programs poll many sockets at once with [`Poller`] and
//!   the pollables each socket lends out ([`TcpListener::pollable`],
//!   [`TcpStream::read_pollable`], [`TcpStream::write_pollable`]).
//!
//! The `// WIT:` comments quote the clause of `wit/deps/sockets/sockets.wit`
//! or `wit/deps/io/io.wit` each branch implements.

use std::io;
use std::time::Duration;

use crate::udp::{Backoff, check_timeout, nanos};
use wasi::clocks::monotonic_clock;
use wasi::io::poll::{self, Pollable};

mod listener;
mod stream;

pub use listener::TcpListener;
pub use stream::TcpStream;

/// The wait of a readiness loop: one `wasi:io/poll` over the caller's
/// pollables, an insurance clock and a deadline.
///
/// - The insurance clock (5 ms doubling to 100 ms, reset by
///   [`progressed`](Self::progressed)) bounds what a missed wake-up costs.
/// - When a wait was ended by the caller's pollables and the caller made no
///   progress before waiting again (a spurious wake-up), the next wait is on
///   the clock alone: a pollable that lies "ready" cannot turn the loop into
///   a spin.
/// - The deadline is armed when the poller is made and re-armed by
///   [`progressed`](Self::progressed): without that it bounds the whole
///   loop, with it it bounds each stretch without progress.
///
/// ```no_run
/// use std::time::Duration;
/// use wouldblock_guest::tcp::{Poller, TcpListener};
///
/// # fn main() -> std::io::Result<()> {
/// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// let mut poller = Poller::new(Some(Duration::from_secs(10)))?;
/// let (stream, peer) = loop {
///     match listener.try_accept() {
///         Ok(accepted) => break accepted,
///         Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
///             // TimedOut once 10 s pass without a connection.
///             poller.wait(&[listener.pollable()])?;
///         }
///         Err(err) => return Err(err),
///     }
/// };
/// println!("{peer} connected: {stream:?}");
/// # Ok(())
/// # }
/// ```
pub struct Poller {
    timeout: Option<Duration>,
    deadline: Option<Pollable>,
    backoff: Backoff,
    /// The last wait was ended by the caller's pollables, and no progress
    /// was reported since.
    readiness_woke: bool,
}

impl Poller {
    /// A poller whose deadline is `timeout` from now; `None` never times
    /// out. A zero duration is rejected like std does.
    pub fn new(timeout: Option<Duration>) -> io::Result<Self> {
        let timeout = check_timeout(timeout)?;
        Ok(Self {
            timeout,
            deadline: arm(timeout),
            backoff: Backoff::new(),
            readiness_woke: false,
        })
    }

    /// Reports progress: the deadline is re-armed, the insurance clock
    /// starts again at 5 ms and the pollables are trusted again.
    pub fn progressed(&mut self) {
        self.deadline = arm(self.timeout);
        self.backoff = Backoff::new();
        self.readiness_woke = false;
    }

    /// Blocks until one of `pollables`, the insurance clock or the deadline
    /// is ready, and answers the indices of the ready `pollables`.
    ///
    /// An empty answer means the clock ended the wait: the caller should try
    /// everything once, a wake-up may have been missed. The deadline alone
    /// is [`io::ErrorKind::TimedOut`]; when anything else is ready too, one
    /// more attempt is cheap and may succeed.
    pub fn wait(&mut self, pollables: &[&Pollable]) -> io::Result<Vec<usize>> {
        let clock = self.backoff.clock();
        let mut set: Vec<&Pollable> = Vec::with_capacity(pollables.len() + 2);
        // After a spurious wake-up, the pollables would end the wait at once
        // again: this round waits on the clock alone.
        if !self.readiness_woke {
            set.extend_from_slice(pollables);
        }
        let trusted = set.len();
        set.push(&clock);
        set.extend(self.deadline.as_ref());
        // WIT (wasi:io/poll): "This function traps if either: - the list is
        // empty, ..." It always holds the clock.
        let ready = poll::poll(&set);
        let ready: Vec<usize> = ready.into_iter().map(|i| i as usize).collect();
        let woken: Vec<usize> = ready.iter().copied().filter(|&i| i < trusted).collect();
        self.readiness_woke = !woken.is_empty();
        if woken.is_empty() && ready.iter().all(|&i| i == trusted + 1) {
            let ms = self.timeout.map_or(0, |t| t.as_millis());
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no readiness within {ms} ms"),
            ));
        }
        Ok(woken)
    }
}

/// A clock pollable ready `timeout` from now.
fn arm(timeout: Option<Duration>) -> Option<Pollable> {
    timeout.map(|t| monotonic_clock::subscribe_duration(nanos(t)))
}

/// The retry loop shared by every blocking call: one `attempt`, then one
/// wait on `readiness` (and the insurance clock), until success, an error
/// other than would-block, or `timeout` ([`io::ErrorKind::TimedOut`]).
pub(crate) fn blocking<T>(
    readiness: &Pollable,
    timeout: Option<Duration>,
    op: &str,
    mut attempt: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    // Made once per call, so the deadline does not move on retries.
    let mut poller = Poller::new(timeout)?;
    let mut attempts: u64 = 0;
    loop {
        attempts += 1;
        let err = match attempt() {
            Ok(value) => return Ok(value),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => err,
            Err(err) => return Err(err),
        };
        if poller.wait(&[readiness]).is_err() {
            let ms = timeout.map_or(0, |t| t.as_millis());
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{op} timed out after {ms} ms and {attempts} attempts (last: {err})"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Shutdown;

    const FIVE_SECONDS: Option<Duration> = Some(Duration::from_secs(5));

    /// One component talks to itself over loopback: connect, accept, an
    /// empty read that is not the end, the bytes, then the end.
    #[test]
    fn a_connection_to_itself_echoes_then_ends() {
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        listener.set_accept_timeout(FIVE_SECONDS).unwrap();
        let to = listener.local_addr().unwrap();
        let client = TcpStream::connect_timeout(to, Duration::from_secs(5)).unwrap();
        let (server, peer) = listener.accept().unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(client.peer_addr().unwrap(), to);
        for stream in [&client, &server] {
            stream.set_read_timeout(FIVE_SECONDS).unwrap();
            stream.set_write_timeout(FIVE_SECONDS).unwrap();
        }

        let mut buf = vec![0u8; 64];
        let empty = server.try_read(&mut buf).unwrap_err();
        assert_eq!(empty.kind(), io::ErrorKind::WouldBlock, "{empty}");

        let sent: Vec<u8> = (0..32_768u32).map(|i| (i % 251) as u8).collect();
        client.write_all(&sent).unwrap();
        client.flush().unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut got = vec![0u8; sent.len()];
        server.read_exact(&mut got).unwrap();
        assert!(got == sent, "the bytes arrive as sent");
        assert_eq!(server.read(&mut buf).unwrap(), 0, "closed is the end");
        let closed = client.try_write(b"x").unwrap_err();
        assert_eq!(closed.kind(), io::ErrorKind::BrokenPipe, "{closed}");
    }

    #[test]
    fn accept_times_out_without_a_client() {
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        assert_eq!(
            listener.try_accept().unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        listener
            .set_accept_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let err = listener.accept().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(
            err.to_string()
                .starts_with("tcp accept timed out after 50 ms")
        );
    }

    #[test]
    fn a_poller_on_clocks_alone_reaches_its_deadline() {
        let mut poller = Poller::new(Some(Duration::from_millis(30))).unwrap();
        let mut clock_wakes = 0;
        let err = loop {
            match poller.wait(&[]) {
                Ok(ready) => {
                    assert!(ready.is_empty());
                    clock_wakes += 1;
                }
                Err(err) => break err,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        // 5 + 10 ms, then the 20 ms step is cut short by the deadline.
        assert!((1..=3).contains(&clock_wakes), "{clock_wakes}");
        assert!(Poller::new(Some(Duration::ZERO)).is_err());
    }
}
