//! The world of one run, apart from its faults: the harness's own peers (the UDP peer, the
//! TCP echo server and client), the virtual clock, and settling, which lets the peers
//! finish what the guest gave them before the guest looks, so what the guest reads does
//! not depend on how fast their threads ran. One settle loop, one set of bounds.

pub(crate) mod clock;
mod http_bodies;
mod relays;

pub(crate) use http_bodies::HttpBodies;
pub(crate) use relays::{Relays, SILENT_LIMIT};

use crate::faults::Class;
use crate::faults::registry::Registry;
use crate::peer::{PeerIo, Served, TcpClient};
use clock::VirtualClock;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Acquire};
use std::time::{Duration, Instant};

/// The longest a settle waits for the harness's peers.
const SETTLE_LIMIT: Duration = Duration::from_millis(100);
/// How long a settle waits without a sign of progress from a TCP peer: one blocked on a
/// full buffer waits for the guest, not the other way round.
const SETTLE_STALL: Duration = Duration::from_millis(2);

/// What the harness knows of its own UDP peer: its address, what the guest sent it, and
/// (from the peer's thread) how many datagrams it has handled.
pub(crate) struct PeerWatch {
    pub(crate) addr: SocketAddr,
    pub(crate) sent: u64,
    pub(crate) handled: Arc<AtomicU64>,
    /// What the guest's `send` calls accepted for the peer, by payload digest: every one
    /// must arrive, as often as it was accepted (judged at the run's end).
    pub(crate) accepted: BTreeMap<u64, u32>,
}

impl PeerWatch {
    /// Whether the peer has yet to handle something the guest sent it.
    pub(crate) fn behind(&self) -> bool {
        self.handled.load(Acquire) < self.sent
    }
}

/// The harness's side of one run.
#[derive(Default)]
pub(crate) struct World {
    /// Virtual time, unless the run uses the real clocks.
    pub(crate) clock: Option<VirtualClock>,
    /// The harness's own UDP peer.
    pub(crate) peer: Option<PeerWatch>,
    /// The harness's own TCP client, started when the guest listens.
    pub(crate) tcp_client: Option<TcpClient>,
    /// The harness's TCP peers, let settle before the guest's TCP reads and waits.
    pub(crate) tcp_peers: Vec<Arc<PeerIo>>,
    /// TCP sockets whose sending side the guest shut down or closed (by serial).
    pub(crate) tcp_ended: BTreeSet<u64>,
    /// Bytes the guest wrote to TCP connections: what the TCP peers have to read.
    pub(crate) tcp_written: u64,
    /// Bytes the guest read from TCP connections.
    pub(crate) tcp_read: u64,
    /// The guest's outgoing HTTP bodies: what the HTTP echo peer owes it.
    pub(crate) http_bodies: HttpBodies,
    /// What the harness's HTTP client saw of a guest server, once it has served.
    pub(crate) http_served: Option<Served>,
    /// The guest talks to something the harness does not own (an address that is not its
    /// peer, a TCP connection not relayed): a real world the harness cannot see settle.
    pub(crate) external: bool,
    /// The relays to real servers the guest connected to.
    pub(crate) relays: Relays,
    /// How long a wait that only the real world can end is given to end, when the guest
    /// talks to something the harness cannot see settle.
    pub(crate) quiet: Duration,
    /// `--time-limit`, on the guest's own clock: a guest that waits on timers past it
    /// (a retry loop without end under virtual time) is stopped when its clock gets there.
    pub(crate) time_limit: Duration,
}

impl World {
    /// Virtual time since the run started, in nanoseconds, for the trace.
    pub(crate) fn time_ns(&self) -> Option<u64> {
        self.clock.as_ref().map(|c| c.elapsed().as_nanos() as u64)
    }

    /// The guest sent `datagrams` to `to`: the peer owes them a look, anyone else is the
    /// real world.
    pub(crate) fn sent(&mut self, to: Option<SocketAddr>, datagrams: u64) {
        match (&mut self.peer, to) {
            (Some(peer), Some(to)) if to == peer.addr => peer.sent += datagrams,
            // A relayed server's answers are settled by its relay.
            (_, Some(to)) if self.relays.relays_to(to) => {}
            _ => self.external |= datagrams > 0,
        }
    }

    /// The guest's `send` accepted datagrams with these destinations and payload digests:
    /// those for the harness's peer are owed to it.
    pub(crate) fn accepted(&mut self, datagrams: impl Iterator<Item = (Option<SocketAddr>, u64)>) {
        if let Some(peer) = &mut self.peer {
            for (to, payload) in datagrams {
                if to == Some(peer.addr) {
                    *peer.accepted.entry(payload).or_default() += 1;
                }
            }
        }
    }

    /// A guest socket listens at `addr`: the harness's TCP client, if it has one, starts;
    /// anyone else connects in real time.
    pub(crate) fn listening(&mut self, addr: SocketAddr) {
        self.external = true;
        self.relays.listening(addr);
        if let Some(client) = &mut self.tcp_client {
            client.start(addr);
        }
    }

    /// Whether the run has a harness-owned peer to wait for (most runs on the hot path of
    /// a send loop do not: no clock, no allocation then).
    pub(crate) fn has_peers(&self) -> bool {
        self.peer.is_some() || !self.tcp_peers.is_empty()
    }

    /// Whether one of the harness's TCP peers has a connection open.
    pub(crate) fn tcp_peers_open(&self) -> bool {
        self.tcp_peers.iter().any(|p| p.open.load(Acquire) > 0)
    }

    /// How long the real pollables at `which` get to become ready before a wait that only
    /// they can end is a hang: nothing once the harness's peers have settled, if they are
    /// all the guest talks to; the quiet window if the guest also talks to the real world
    /// or waits on a stream (stdin, a file) the harness does not own.
    pub(crate) fn quiet_window(
        &self,
        registry: &Registry,
        reps: &[u32],
        which: &[usize],
    ) -> Duration {
        let stream = which
            .iter()
            .any(|&i| registry.class(reps[i]) == Class::Stream);
        if self.external || stream {
            self.quiet
        } else {
            Duration::ZERO
        }
    }

    /// Whether the guest wrote more TCP bytes than it has read, with no harness peer to
    /// take them: bytes on their way to its own other end (or to a server it talks to).
    pub(crate) fn guest_bytes_in_flight(&self) -> bool {
        !self.has_peers() && self.tcp_written > self.tcp_read
    }

    /// Whether the harness's TCP peers have set out to write bytes the guest has not read.
    fn tcp_owed_to_guest(&self) -> bool {
        let offered: u64 = self.tcp_peers.iter().map(|p| p.offered.load(Acquire)).sum();
        offered > self.tcp_read
    }

    /// Whether the UDP peer has yet to handle something the guest sent it.
    pub(crate) fn udp_behind(&self) -> bool {
        self.peer.as_ref().is_some_and(PeerWatch::behind)
    }

    /// What the harness's peers have done so far, and whether they are done with
    /// everything the guest gave them: nothing being sent or connected, every byte the
    /// guest wrote read, every FIN seen, every datagram it sent handled.
    fn peers_state(&self) -> ((u64, usize), bool) {
        let received: u64 = self
            .tcp_peers
            .iter()
            .map(|p| p.received.load(Acquire))
            .sum();
        let busy: usize = self.tcp_peers.iter().map(|p| p.busy.load(Acquire)).sum();
        let ends: u64 = self.tcp_peers.iter().map(|p| p.ends.load(Acquire)).sum();
        let handled = self.peer.as_ref().map_or(0, |p| p.handled.load(Acquire));
        let idle = busy == 0
            && !self.udp_behind()
            && received >= self.tcp_written
            && ends >= self.tcp_ended.len() as u64;
        ((received + ends + handled, busy), idle)
    }

    /// Settles the peers from a host call that cannot await (a read, a receive, an
    /// accept).
    pub(crate) fn settle(&self) {
        let mut settle = Settle::new(self);
        while !settle.done(self) {
            settle.pause();
        }
    }

    /// Settles the peers from a wait, letting tokio run between looks: wasmtime-wasi's
    /// background sends finish and the kernel's events reach tokio's driver. `turns`
    /// yields come first, peers or not: before virtual time jumps, the event loop runs
    /// (two turns: a background send polled once may need a second to complete).
    pub(crate) async fn settle_async(&self, turns: u32) {
        for _ in 0..turns {
            tokio::task::yield_now().await;
        }
        let mut settle = Settle::new(self);
        while !settle.done(self) {
            tokio::task::yield_now().await;
            settle.pause();
        }
        if self.relays.any() {
            // The servers answer what the guest's bytes asked; their answers reach the
            // guest's sockets now, and the event loop turns so tokio sees them.
            self.relays.settle().await;
            for _ in 0..turns.max(2) {
                tokio::task::yield_now().await;
            }
        }
    }
}

/// One settling of the harness's peers, looked at step by step.
struct Settle {
    start: Instant,
    last: (u64, usize),
    since: Instant,
    looks: u32,
}

impl Settle {
    fn new(world: &World) -> Self {
        let now = Instant::now();
        Self {
            start: now,
            last: world.peers_state().0,
            since: now,
            looks: 0,
        }
    }

    /// Gives the peers' threads the core: a yield first (they are usually a few
    /// microseconds from done), a short sleep once that has not been enough (tokio's
    /// timers are too coarse, 1 ms, for a wait this short).
    fn pause(&mut self) {
        self.looks += 1;
        if self.looks < 64 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(Duration::from_micros(20));
        }
    }

    /// Whether the peers are done, stalled, or out of time. A UDP peer behind never
    /// counts as stalled: its thread will handle what is queued at its socket.
    fn done(&mut self, world: &World) -> bool {
        if !world.has_peers() {
            return true;
        }
        let (now, idle) = world.peers_state();
        if idle || self.start.elapsed() > SETTLE_LIMIT {
            return true;
        }
        if now != self.last {
            (self.last, self.since) = (now, Instant::now());
            return false;
        }
        // A peer stalls only when it may be blocked on the guest: it has bytes out that
        // the guest has not read (a full buffer). One that has not written yet is merely
        // not scheduled yet (a loaded machine), and is waited for up to the limit.
        !world.udp_behind() && world.tcp_owed_to_guest() && self.since.elapsed() > SETTLE_STALL
    }
}
