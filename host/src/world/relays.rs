//! The run's relays to servers the harness does not own: which connections go through
//! one, and the settling that makes a real server's answer arrive at the same step of
//! every run: before a wait is decided, the server gets to finish answering (a bounded
//! quiet window), and only then does the guest's socket receive the answer.

use crate::peer::{PeerIo, Relay, UdpRelay};
use crate::policy::NetPolicy;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a guest that waits on relayed connections alone, with no timer, gives their
/// servers to say something after they went quiet, before the run is stopped as
/// `server-silent`: the server's doing, not the guest's, and named as such.
pub(crate) const SILENT_LIMIT: Duration = Duration::from_secs(10);

/// The relays of one run.
#[derive(Debug, Default)]
pub(crate) struct Relays {
    /// Where the guest may connect through a relay; `None`: no relays (`--no-relay`).
    policy: Option<NetPolicy>,
    /// The harness's own servers, which need no relay.
    own: Vec<SocketAddr>,
    /// Where the guest itself listens: a connection to its own listener stays its own.
    listeners: Vec<SocketAddr>,
    /// How long a server gets to answer the guest's bytes before a wait goes on without.
    answer_wait: Duration,
    /// The relays, by the guest socket that connected through each.
    open: BTreeMap<u32, Relay>,
    /// Where the guest's own UDP sockets are bound: datagrams between them are their own.
    bound: Vec<SocketAddr>,
    /// The UDP relays, by the guest socket's local address and the server.
    udp: BTreeMap<(SocketAddr, SocketAddr), UdpRelay>,
    /// Destinations found not to relay (not allowed, the guest's own, nobody listening):
    /// a send loop to them does not probe again on every datagram.
    direct: BTreeSet<SocketAddr>,
    /// The local address of the guest socket behind each UDP datagram stream.
    streams: BTreeMap<u32, SocketAddr>,
}

impl Relays {
    /// Relays to the servers `net` allows, if it relays, except the harness's `own`;
    /// a server gets `answer_wait` to answer the guest's bytes.
    pub(crate) fn new(net: &NetPolicy, own: Vec<SocketAddr>, answer_wait: Duration) -> Self {
        Self {
            policy: net.relays().then(|| net.clone()),
            own,
            listeners: Vec::new(),
            answer_wait,
            ..Self::default()
        }
    }

    /// The guest's socket `rep` connects to `server`: a relay to it, whose listening
    /// address the guest connects to instead, if `server` is one to relay (allowed, not
    /// the harness's own) and answers. Its counters join the harness's TCP peers.
    pub(crate) fn open(
        &mut self,
        rep: u32,
        server: SocketAddr,
    ) -> Option<(SocketAddr, Arc<PeerIo>)> {
        if !self.relayable(server, &self.listeners) {
            return None;
        }
        let relay = Relay::open(server).ok()?;
        let found = (relay.listen(), relay.io());
        self.open.insert(rep, relay);
        Some(found)
    }

    /// Whether the guest's traffic to `server` goes through a relay: relays are on, the
    /// policy allows it, and it is neither the harness's own peer nor one of `guests`
    /// (the guest's own sockets).
    fn relayable(&self, server: SocketAddr, guests: &[SocketAddr]) -> bool {
        let Some(policy) = &self.policy else {
            return false;
        };
        let theirs = |l: &SocketAddr| {
            l.port() == server.port() && (l.ip().is_unspecified() || l.ip() == server.ip())
        };
        policy.allows(server.ip()) && !self.own.contains(&server) && !guests.iter().any(theirs)
    }

    /// The guest's UDP socket bound at `guest` sends to `server`: where its datagrams go
    /// instead, a relay's loopback address, if `server` is one to relay and listens.
    pub(crate) fn udp(&mut self, guest: SocketAddr, server: SocketAddr) -> Option<SocketAddr> {
        if let Some(relay) = self.udp.get(&(guest, server)) {
            return Some(relay.near());
        }
        if self.direct.contains(&server) {
            return None;
        }
        let relay = Some(server)
            .filter(|&server| self.relayable(server, &self.bound))
            .and_then(|server| UdpRelay::open(guest, server).ok());
        let Some(relay) = relay else {
            self.direct.insert(server);
            return None;
        };
        let near = relay.near();
        self.udp.insert((guest, server), relay);
        Some(near)
    }

    /// The guest's UDP socket was bound at `addr`.
    pub(crate) fn bound(&mut self, addr: SocketAddr) {
        self.bound.push(addr);
    }

    /// The UDP datagram stream `rep` belongs to the guest's socket bound at `local`.
    pub(crate) fn stream(&mut self, rep: u32, local: SocketAddr) {
        self.streams.insert(rep, local);
    }

    /// The local address of the guest socket behind datagram stream `rep`.
    pub(crate) fn stream_local(&self, rep: u32) -> Option<SocketAddr> {
        self.streams.get(&rep).copied()
    }

    /// The guest's `send` on the socket at `guest` accepted `datagrams` for `server`.
    pub(crate) fn udp_sent(&self, guest: SocketAddr, server: SocketAddr, datagrams: u64) {
        if let Some(relay) = self.udp.get(&(guest, server)) {
            relay.sent(datagrams);
        }
    }

    /// The real server behind a UDP relay's loopback address `near`, for what the guest
    /// receives and asks.
    pub(crate) fn udp_server(&self, near: SocketAddr) -> Option<SocketAddr> {
        let mut relays = self.udp.values();
        relays.find(|r| r.near() == near).map(UdpRelay::server)
    }

    /// The guest listens at `addr`: its own connections there are not relayed.
    pub(crate) fn listening(&mut self, addr: SocketAddr) {
        self.listeners.push(addr);
    }

    /// The real server behind guest socket `rep`, if it connected through a relay.
    pub(crate) fn server(&self, rep: u32) -> Option<SocketAddr> {
        self.open.get(&rep).map(Relay::server)
    }

    /// Whether `server` is reached through a relay.
    pub(crate) fn relays_to(&self, server: SocketAddr) -> bool {
        self.open.values().any(|r| r.server() == server)
            || self.udp.values().any(|r| r.server() == server)
    }

    /// Whether the run has relays.
    pub(crate) fn any(&self) -> bool {
        !self.open.is_empty() || !self.udp.is_empty()
    }

    /// Lets every server finish answering, then hands the guest what they said. Bounded:
    /// each server gets at most the answer wait after the guest's last bytes.
    pub(crate) async fn settle(&self) {
        if !self.any() {
            return;
        }
        let start = Instant::now();
        let mut looks = 0u32;
        let quiet = |relays: &Self| {
            relays.open.values().all(|r| r.quiet(self.answer_wait))
                && relays.udp.values().all(|r| r.quiet(self.answer_wait))
        };
        while !quiet(self) && start.elapsed() < self.answer_wait + crate::peer::RELAY_SILENCE {
            looks += 1;
            tokio::task::yield_now().await;
            if looks < 64 {
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_micros(50));
            }
        }
        for relay in self.open.values() {
            relay.release();
        }
        for relay in self.udp.values() {
            relay.release();
        }
    }

    /// The guest waits (`true`) or has stopped waiting: while it waits, a server's late
    /// bytes go straight through, as they would on a real host.
    pub(crate) fn waiting(&self, now: bool) {
        for relay in self.open.values() {
            relay.set_waiting(now);
        }
        for relay in self.udp.values() {
            relay.set_waiting(now);
        }
    }

    /// The servers whose answer the guest is waiting for: those that were sent bytes and
    /// have not answered them.
    pub(crate) fn unanswered(&self) -> Vec<SocketAddr> {
        let tcp = self
            .open
            .values()
            .filter(|r| r.unanswered())
            .map(Relay::server);
        let udp = self
            .udp
            .values()
            .filter(|r| r.unanswered())
            .map(UdpRelay::server);
        tcp.chain(udp).collect()
    }
}
