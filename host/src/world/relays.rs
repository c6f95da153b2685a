//! The run's relays to servers the harness does not own: which connections go through
//! one, and the settling that makes a real server's answer arrive at the same step of
//! every run: before a wait is decided, the server gets to finish answering (a bounded
//! quiet window), and only then does the guest's socket receive the answer.

use crate::peer::{PeerIo, Relay};
use crate::policy::NetPolicy;
use std::collections::BTreeMap;
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
            open: BTreeMap::new(),
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
        let policy = self.policy.as_ref()?;
        let guests = |l: &SocketAddr| {
            l.port() == server.port() && (l.ip().is_unspecified() || l.ip() == server.ip())
        };
        if !policy.allows(server.ip()) || self.own.contains(&server) {
            return None;
        }
        if self.listeners.iter().any(guests) {
            return None;
        }
        let relay = Relay::open(server).ok()?;
        let found = (relay.listen(), relay.io());
        self.open.insert(rep, relay);
        Some(found)
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
    }

    /// Whether the run has relays.
    pub(crate) fn any(&self) -> bool {
        !self.open.is_empty()
    }

    /// Lets every server finish answering, then hands the guest what they said. Bounded:
    /// each server gets at most the answer wait after the guest's last bytes.
    pub(crate) async fn settle(&self) {
        if self.open.is_empty() {
            return;
        }
        let start = Instant::now();
        let mut looks = 0u32;
        while !self.open.values().all(|r| r.quiet(self.answer_wait))
            && start.elapsed() < self.answer_wait + crate::peer::RELAY_SILENCE
        {
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
    }

    /// The guest waits (`true`) or has stopped waiting: while it waits, a server's late
    /// bytes go straight through, as they would on a real host.
    pub(crate) fn waiting(&self, now: bool) {
        for relay in self.open.values() {
            relay.set_waiting(now);
        }
    }

    /// The servers whose answer the guest is waiting for: those that were sent bytes and
    /// have not answered them.
    pub(crate) fn unanswered(&self) -> Vec<SocketAddr> {
        let servers = self.open.values().filter(|r| r.unanswered());
        servers.map(Relay::server).collect()
    }
}
