//! The relay to a real UDP server, as [`Relay`](super::Relay) is for TCP: the guest's
//! datagrams to the server go to a loopback socket of the harness instead, which sends
//! them on from a socket of its own; the server's datagrams are held, and handed to the
//! guest's socket only when the guest waits and the server has gone quiet. So whether a
//! non-blocking `receive` finds the answer does not depend on how fast the server was.
//! The guest's trace, `remote-address` and received datagrams show the real server.
//!
//! Only a server the harness sees listening is relayed (its port is taken on this
//! machine): a datagram to a closed port meets the kernel's refusal itself, unchanged.

use std::collections::VecDeque;
use std::io::{self, ErrorKind};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::relay::{SILENCE, SILENCE_FACTOR, SILENCE_MIN};

/// How often the relay's threads look whether the run has ended.
const TICK: Duration = Duration::from_millis(50);
/// The most datagrams held for the guest; past it the server's datagrams are dropped, as
/// a full receive buffer drops them.
const HELD_LIMIT: usize = 1024;
/// How long the end of a run waits for the guest's last datagrams to be passed on.
const FLUSH_LIMIT: Duration = Duration::from_secs(1);
/// The largest datagram a UDP socket carries.
const DATAGRAM_MAX: usize = 65_536;

/// What the relay knows of the exchange, under one lock.
#[derive(Default)]
struct State {
    /// The server's datagrams not yet handed to the guest.
    held: VecDeque<Vec<u8>>,
    /// When the guest's last datagram reached the server, if one has.
    asked: Option<Instant>,
    /// When the server's last datagram came, if one has since `asked`.
    answered: Option<Instant>,
    /// How long the server took to begin answering `asked`.
    latency: Duration,
    /// The server let a whole answer wait pass without a word, and has not spoken since:
    /// a sink (statsd, syslog), which is not waited for again until it answers.
    sink: bool,
}

/// One guest socket's relay to one UDP server.
pub(crate) struct UdpRelay {
    server: SocketAddr,
    /// The guest's side: where the guest's datagrams to the server go instead.
    near: Arc<UdpSocket>,
    /// Its address, looked up once: every datagram the guest sends or receives asks.
    near_addr: SocketAddr,
    state: Arc<Mutex<State>>,
    /// Set while the guest waits: the server's datagrams go straight through then.
    waiting: Arc<AtomicBool>,
    /// Datagrams the guest's `send` accepted for the server, and those passed on.
    sent: Arc<AtomicU64>,
    forwarded: Arc<AtomicU64>,
    /// Set when the run ends: both threads stop at their next tick.
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for UdpRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpRelay")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl UdpRelay {
    /// A relay between the guest's socket at `guest` (its local address) and `server`;
    /// `Err` if no server is listening there (the guest then meets the real refusal).
    pub(crate) fn open(guest: SocketAddr, server: SocketAddr) -> io::Result<UdpRelay> {
        if UdpSocket::bind(server).is_ok() {
            // The port was free: nothing listens there.
            return Err(ErrorKind::ConnectionRefused.into());
        }
        let (loopback, any) = match server.ip() {
            IpAddr::V4(_) => (
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            ),
            IpAddr::V6(_) => (
                IpAddr::V6(Ipv6Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            ),
        };
        // The guest's datagrams to a loopback relay leave from its loopback address.
        let guest_ip = if guest.ip().is_unspecified() {
            loopback
        } else {
            guest.ip()
        };
        let near = UdpSocket::bind((loopback, 0))?;
        near.connect((guest_ip, guest.port()))?;
        near.set_read_timeout(Some(TICK))?;
        let far = UdpSocket::bind((any, 0))?;
        far.connect(server)?;
        far.set_read_timeout(Some(TICK))?;
        let relay = UdpRelay {
            server,
            near_addr: near.local_addr()?,
            near: Arc::new(near),
            state: Arc::default(),
            waiting: Arc::default(),
            sent: Arc::default(),
            forwarded: Arc::default(),
            stop: Arc::default(),
        };
        let far = Arc::new(far);
        let (near, up, state, forwarded, stop) = (
            relay.near.clone(),
            far.clone(),
            relay.state.clone(),
            relay.forwarded.clone(),
            relay.stop.clone(),
        );
        std::thread::spawn(move || forward(&near, &up, &state, &forwarded, &stop));
        let (near, state, waiting, stop) = (
            relay.near.clone(),
            relay.state.clone(),
            relay.waiting.clone(),
            relay.stop.clone(),
        );
        std::thread::spawn(move || hold(&far, &near, &state, &waiting, &stop));
        Ok(relay)
    }

    /// The real server.
    pub(crate) fn server(&self) -> SocketAddr {
        self.server
    }

    /// Where the guest's datagrams go instead.
    pub(crate) fn near(&self) -> SocketAddr {
        self.near_addr
    }

    /// The guest's `send` accepted `datagrams` for the server.
    pub(crate) fn sent(&self, datagrams: u64) {
        self.sent.fetch_add(datagrams, Ordering::AcqRel);
    }

    /// The guest waits (`true`) or has stopped.
    pub(crate) fn set_waiting(&self, now: bool) {
        self.waiting.store(now, Ordering::Release);
    }

    /// Whether the server has nothing more coming for now: every datagram the guest sent
    /// has been passed on, and the server answered the last and then paused (as a TCP
    /// relay's server), or it has not answered within `answer_wait`, or it was never asked.
    pub(crate) fn quiet(&self, answer_wait: Duration) -> bool {
        if self.forwarded.load(Ordering::Acquire) < self.sent.load(Ordering::Acquire) {
            return false;
        }
        let mut state = self.lock();
        if state.held.len() >= HELD_LIMIT || state.sink {
            return true;
        }
        match (state.asked, state.answered) {
            (_, Some(at)) => {
                let pause = (state.latency * SILENCE_FACTOR).clamp(SILENCE_MIN, SILENCE);
                at.elapsed() >= pause
            }
            (Some(asked), None) => {
                // Once per relay at most, unless the server speaks again: a sink costs
                // each of the guest's waits nothing after the first.
                state.sink = asked.elapsed() >= answer_wait;
                state.sink
            }
            (None, None) => true,
        }
    }

    /// Whether the guest's datagrams reached the server and it has not answered them.
    pub(crate) fn unanswered(&self) -> bool {
        let state = self.lock();
        state.asked.is_some() && state.answered.is_none()
    }

    /// Hands the guest's socket every datagram held: on loopback each is in its receive
    /// queue when `send` returns.
    pub(crate) fn release(&self) {
        let held = std::mem::take(&mut self.lock().held);
        for datagram in held {
            let _ = self.near.send(&datagram);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for UdpRelay {
    fn drop(&mut self) {
        // What the guest sent is on its way, as on a real network: every datagram `send`
        // accepted is passed on before the relay stops (bounded, should one be lost).
        let start = Instant::now();
        while self.forwarded.load(Ordering::Acquire) < self.sent.load(Ordering::Acquire)
            && start.elapsed() < FLUSH_LIMIT
        {
            std::thread::sleep(Duration::from_micros(50));
        }
        self.stop.store(true, Ordering::Release);
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether a receive error is only the tick that lets a thread look at `stop`.
fn tick(err: &io::Error) -> bool {
    matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Passes the guest's datagrams on to the server as they come.
fn forward(
    near: &UdpSocket,
    far: &UdpSocket,
    state: &Mutex<State>,
    forwarded: &AtomicU64,
    stop: &AtomicBool,
) {
    let mut buf = vec![0; DATAGRAM_MAX];
    while !stop.load(Ordering::Acquire) {
        match near.recv(&mut buf) {
            Ok(n) => {
                {
                    let mut state = lock(state);
                    state.asked = Some(Instant::now());
                    state.answered = None;
                }
                // A refusal comes back to the holding thread as an error on the server's
                // side; the guest sees silence, as after a lost datagram.
                let _ = far.send(&buf[..n]);
                forwarded.fetch_add(1, Ordering::AcqRel);
            }
            Err(err) if tick(&err) => {}
            // The guest's socket is gone (an ICMP error from its closed port): its
            // datagrams still count as passed on, so a wait is not held up.
            Err(_) => {}
        }
    }
}

/// Holds the server's datagrams until the guest waits; while it waits, they go straight
/// through.
fn hold(
    far: &UdpSocket,
    near: &UdpSocket,
    state: &Mutex<State>,
    waiting: &AtomicBool,
    stop: &AtomicBool,
) {
    let mut buf = vec![0; DATAGRAM_MAX];
    while !stop.load(Ordering::Acquire) {
        let n = match far.recv(&mut buf) {
            Ok(n) => n,
            Err(err) if tick(&err) => continue,
            // The server's port refused a datagram: nothing to hold.
            Err(_) => continue,
        };
        let mut state = lock(state);
        let now = Instant::now();
        if state.answered.is_none() {
            state.latency = state.asked.map_or(Duration::ZERO, |at| now - at);
        }
        state.answered = Some(now);
        state.sink = false;
        if waiting.load(Ordering::Acquire) && state.held.is_empty() {
            let _ = near.send(&buf[..n]);
        } else if state.held.len() < HELD_LIMIT {
            state.held.push_back(buf[..n].to_vec());
        }
    }
}
