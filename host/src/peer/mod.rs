//! The harness-owned peer: a real UDP socket on loopback that counts every numbered
//! datagram a guest sends, and optionally echoes it; its address replaces `{peer}` in the
//! guest's arguments.
//!
//! Payload convention (shared with `guest/`): datagram `i` is the ASCII decimal text of `i`.
//! The peer must never be why a run fails: its receive buffer is sized for the run, the
//! kernel's own drop count is reported beside the counts, and stopping it can neither be
//! lost nor block for longer than a limit.

mod http;
mod received;
mod relay;
pub(crate) use received::{digest, short_of};
pub(crate) use relay::{Relay, SILENCE as RELAY_SILENCE};
mod tcp;
mod udp_relay;
pub(crate) use udp_relay::UdpRelay;
#[cfg(test)]
mod tests;

pub(crate) use http::{HttpEcho, HttpReport, Served, http_echo_cut};
pub use received::Received;
pub use tcp::{Connection, TcpClientOptions, TcpReport};
pub(crate) use tcp::{PeerIo, TcpClient, TcpEcho, echo_frame};

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::libc;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{setsockopt, sockopt};

/// How long [`Peer::finish`] waits for the draining thread before calling it stuck.
pub(crate) const FINISH_LIMIT: Duration = Duration::from_secs(2);

/// Receive-buffer bytes asked per expected datagram: a small loopback datagram costs the
/// kernel its buffer's truesize (hundreds of bytes), not its payload length.
const BYTES_PER_DATAGRAM: u64 = 1024;
const MIN_RCVBUF: u64 = 4 << 20;
const MAX_RCVBUF: u64 = 256 << 20;

/// `SO_MEMINFO` from `<asm/socket.h>`, which `libc` does not export; `SK_MEMINFO_DROPS` is
/// the socket's drop counter, the same one `SO_RXQ_OVFL` reports.
#[cfg(any(target_arch = "sparc", target_arch = "sparc64"))]
const SO_MEMINFO: libc::c_int = 0x39;
#[cfg(not(any(target_arch = "sparc", target_arch = "sparc64")))]
const SO_MEMINFO: libc::c_int = 55;

/// The argument placeholder for the harness-owned peer's address.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::{Builder, PEER_PLACEHOLDER};
/// let harness = Builder::new().build()?;
/// let guest = harness.compile("udp-burst", wouldblock_guests::UDP_BURST.wasm)?;
/// // A guest argument naming the peer gives the run one, counting what arrives.
/// let outcome = harness.run(&guest, &[PEER_PLACEHOLDER, "--count", "3"])?;
/// assert!(outcome.received.is_some_and(|r| r.exactly_once(3)));
/// # Ok(()) }
/// ```
pub const PEER_PLACEHOLDER: &str = "{peer}";
/// The argument placeholder for the harness's TCP echo server, started for guests that
/// name it.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::{Builder, TCP_ECHO_PLACEHOLDER};
/// let harness = Builder::new().build()?;
/// let guest = harness.compile("tcp-echo-client", wouldblock_guests::TCP_ECHO_CLIENT.wasm)?;
/// let outcome = harness.run(&guest, &[TCP_ECHO_PLACEHOLDER, "--sizes", "1,1024"])?;
/// assert!(outcome.stdout_text().contains("echoed byte-exactly"));
/// # Ok(()) }
/// ```
pub const TCP_ECHO_PLACEHOLDER: &str = "{tcp-echo}";
/// The argument placeholder for the harness's HTTP echo server (`http://127.0.0.1:PORT`),
/// started for guests that name it.
pub const HTTP_ECHO_PLACEHOLDER: &str = "{http-echo}";
/// The placeholder's older spelling, still accepted.
const PEER_PLACEHOLDER_ALIAS: &str = "{sink}";

/// Whether a guest argument names the harness's peer (`{peer}` or `{sink}`).
pub(crate) fn names_peer(arg: &str) -> bool {
    arg.contains(PEER_PLACEHOLDER) || arg.contains(PEER_PLACEHOLDER_ALIAS)
}

/// Replaces the peer placeholders in a guest argument.
pub(crate) fn substitute(arg: &str, peer: Option<&str>) -> String {
    match peer {
        Some(addr) => arg
            .replace(PEER_PLACEHOLDER, addr)
            .replace(PEER_PLACEHOLDER_ALIAS, addr),
        None => arg.to_string(),
    }
}

/// Whether the harness gives each run a peer, and what the peer does.
///
/// ```
/// use wouldblock::PeerOptions;
/// let options = PeerOptions::counting();
/// assert!(!options.echo && options.expect_datagrams.is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PeerOptions {
    /// Send every datagram back to its sender (a live peer for request/response guests).
    pub echo: bool,
    /// Judge the run: when the guest exits 0, datagrams `0..n` must each have arrived
    /// exactly once, or the verdict is [`Verdict::Loss`](crate::Verdict::Loss).
    pub expect_datagrams: Option<u64>,
}

impl PeerOptions {
    /// A peer that counts what arrives and answers nothing.
    ///
    /// ```
    /// let options = wouldblock::PeerOptions::counting().expect_datagrams(16);
    /// assert_eq!(options.expect_datagrams, Some(16));
    /// ```
    pub fn counting() -> Self {
        Self::default()
    }

    /// A peer that sends every datagram back: a live peer for request/response guests.
    ///
    /// ```
    /// assert!(wouldblock::PeerOptions::echo().echo);
    /// ```
    pub fn echo() -> Self {
        Self {
            echo: true,
            expect_datagrams: None,
        }
    }

    /// Judges the run by what arrived: datagrams `0..n`, each exactly once.
    ///
    /// ```
    /// let options = wouldblock::PeerOptions::echo().expect_datagrams(4);
    /// assert!(options.echo);
    /// assert_eq!(options.expect_datagrams, Some(4));
    /// ```
    pub fn expect_datagrams(mut self, n: u64) -> Self {
        self.expect_datagrams = Some(n);
        self
    }
}

/// A real UDP socket on 127.0.0.1 owned by the harness for one run, drained by its own
/// thread so a burst is counted, not blamed on the guest.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let peer = wouldblock::Peer::start()?;
/// let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// for i in 0..3 {
///     socket.send_to(i.to_string().as_bytes(), peer.addr())?;
/// }
/// assert!(peer.finish()?.exactly_once(3));
/// # Ok(()) }
/// ```
pub struct Peer {
    addr: SocketAddr,
    /// Write end of the stop pipe. Closing it is the stop signal: a hang-up on a pipe cannot
    /// be dropped the way a "stop" datagram to a full socket can.
    stop: OwnedFd,
    result: mpsc::Receiver<io::Result<Received>>,
    /// Datagrams the thread has counted (and echoed): once it equals what the guest sent
    /// here, every reply is already queued at the guest's socket.
    handled: Arc<AtomicU64>,
    /// Holds the test-only paused thread until `finish` has sent its stop.
    #[cfg(test)]
    gate: Option<mpsc::Sender<()>>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Peer {
    /// Binds 127.0.0.1 on an ephemeral port and starts counting, with a receive buffer of
    /// a few MiB.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let peer = wouldblock::Peer::start()?;
    /// assert!(peer.addr().ip().is_loopback());
    /// assert_eq!(peer.finish()?.total(), 0);
    /// # Ok(()) }
    /// ```
    pub fn start() -> io::Result<Peer> {
        Peer::with_capacity(false, 0)
    }

    /// Like [`Peer::start`], and also sends every datagram back to its sender: a live peer
    /// for request/response guests.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// use std::net::UdpSocket;
    /// let peer = wouldblock::Peer::echo()?;
    /// let socket = UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    /// socket.send_to(b"7", peer.addr())?;
    /// let mut reply = [0; 8];
    /// let (n, _) = socket.recv_from(&mut reply)?;
    /// assert_eq!(&reply[..n], b"7");
    /// # Ok(()) }
    /// ```
    pub fn echo() -> io::Result<Peer> {
        Peer::with_capacity(true, 0)
    }

    /// Like [`Peer::start`] (or [`Peer::echo`]), with a receive buffer big enough to queue
    /// `datagrams` small datagrams even if the thread never got to run meanwhile.
    pub(crate) fn with_capacity(echo: bool, datagrams: u64) -> io::Result<Peer> {
        Peer::spawn(echo, rcvbuf_for(datagrams), None)
    }

    fn spawn(echo: bool, rcvbuf: usize, gate: Option<mpsc::Receiver<()>>) -> io::Result<Peer> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        // Forcing needs CAP_NET_ADMIN; otherwise net.core.rmem_max caps SO_RCVBUF, which
        // still beats the default. Either way the kernel reports what it dropped.
        if setsockopt(&socket, sockopt::RcvBufForce, &rcvbuf).is_err() {
            let _ = setsockopt(&socket, sockopt::RcvBuf, &rcvbuf);
        }
        socket.set_nonblocking(true)?;
        let addr = socket.local_addr()?;
        let (stopped, stop) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
        let (tx, result) = mpsc::sync_channel(1);
        let handled = Arc::new(AtomicU64::new(0));
        let counter = handled.clone();
        std::thread::Builder::new()
            .name(format!("peer {addr}"))
            .spawn(move || {
                if let Some(gate) = gate {
                    let _ = gate.recv();
                }
                // Nobody may be listening any more if `finish` gave up waiting.
                let _ = tx.send(count(&socket, &stopped, echo, &counter));
            })?;
        Ok(Peer {
            addr,
            stop,
            result,
            handled,
            #[cfg(test)]
            gate: None,
        })
    }

    /// Where guests send.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let peer = wouldblock::Peer::start()?;
    /// assert_eq!(peer.addr().ip(), std::net::Ipv4Addr::LOCALHOST);
    /// assert_ne!(peer.addr().port(), 0);
    /// # Ok(()) }
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many datagrams the peer has handled so far, as it goes.
    pub(crate) fn handled(&self) -> Arc<AtomicU64> {
        self.handled.clone()
    }

    /// Stops counting and returns what arrived, within two seconds (`FINISH_LIMIT`).
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let peer = wouldblock::Peer::start()?;
    /// let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// socket.send_to(b"0", peer.addr())?;
    /// socket.send_to(b"0", peer.addr())?;
    /// let received = peer.finish()?;
    /// assert_eq!(received.duplicated(), [0]);
    /// # Ok(()) }
    /// ```
    pub fn finish(self) -> io::Result<Received> {
        self.finish_within(FINISH_LIMIT)
    }

    /// Stops counting and returns what arrived. Loopback delivers (or drops and counts) a
    /// datagram inside the sender's own send call, so everything sent before this call is
    /// counted. Never blocks longer than `limit`: past it this returns an error and leaves
    /// the thread detached, so a stuck peer cannot hang the host.
    pub(crate) fn finish_within(self, limit: Duration) -> io::Result<Received> {
        let Peer {
            addr,
            stop,
            result,
            handled: _,
            #[cfg(test)]
            gate,
        } = self;
        drop(stop);
        #[cfg(test)]
        drop(gate);
        result.recv_timeout(limit).unwrap_or_else(|e| {
            Err(match e {
                RecvTimeoutError::Timeout => io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("the peer at {addr} did not finish within {limit:?}"),
                ),
                RecvTimeoutError::Disconnected => {
                    io::Error::other(format!("the peer thread at {addr} panicked"))
                }
            })
        })
    }
}

/// Receive-buffer bytes to ask for `datagrams` small datagrams.
fn rcvbuf_for(datagrams: u64) -> usize {
    let bytes = datagrams.saturating_mul(BYTES_PER_DATAGRAM);
    bytes.clamp(MIN_RCVBUF, MAX_RCVBUF) as usize
}

/// The draining thread: counts until the stop pipe hangs up, then drains what is queued.
fn count(
    socket: &UdpSocket,
    stopped: &OwnedFd,
    echo: bool,
    handled: &AtomicU64,
) -> io::Result<Received> {
    let mut received = Received::default();
    let mut buf = vec![0u8; 65536];
    loop {
        let mut fds = [
            PollFd::new(socket.as_fd(), PollFlags::POLLIN),
            PollFd::new(stopped.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        // Checked before draining: whatever was sent before the stop is queued by now.
        let stopping = fds[1].revents().is_none_or(|r| !r.is_empty());
        drain(socket, echo, &mut buf, &mut received, handled)?;
        if stopping {
            received.kernel_drops = kernel_drops(socket);
            return Ok(received);
        }
    }
}

/// Reads until the socket would block.
fn drain(
    socket: &UdpSocket,
    echo: bool,
    buf: &mut [u8],
    got: &mut Received,
    handled: &AtomicU64,
) -> io::Result<()> {
    loop {
        let (len, from) = match socket.recv_from(buf) {
            Ok(datagram) => datagram,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        match sequence_number(&buf[..len]) {
            Some(seq) => *got.counts.entry(seq).or_default() += 1,
            None => got.invalid += 1,
        }
        *got.digests
            .entry(received::digest(&buf[..len]))
            .or_default() += 1;
        if echo {
            // A failed echo (WouldBlock, ENOBUFS, ...) is a datagram UDP may lose anyway:
            // the guest must cope, and the count stands.
            let _ = socket.send_to(&buf[..len], from);
        }
        handled.fetch_add(1, Ordering::Release);
    }
}

/// The number a payload carries, if it is the canonical decimal text the guest was asked
/// to send ("+1" and "01" are not).
fn sequence_number(payload: &[u8]) -> Option<u64> {
    let canonical = payload.iter().all(u8::is_ascii_digit)
        && (payload.len() == 1 || payload.first().is_some_and(|d| *d != b'0'));
    let text = std::str::from_utf8(payload).ok().filter(|_| canonical)?;
    text.parse().ok()
}

/// The socket's cumulative drop count, read directly rather than off a received datagram
/// (`SO_RXQ_OVFL`), so drops after the last datagram that did arrive count too.
fn kernel_drops(socket: &UdpSocket) -> Option<u64> {
    let mut info = [0u32; libc::SK_MEMINFO_DROPS as usize + 1];
    let mut len = size_of_val(&info) as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into `info`, which is that long.
    let (fd, buf) = (socket.as_raw_fd(), info.as_mut_ptr().cast());
    let rc = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, SO_MEMINFO, buf, &mut len) };
    let whole = rc == 0 && len as usize == size_of_val(&info);
    whole.then(|| u64::from(info[libc::SK_MEMINFO_DROPS as usize]))
}
