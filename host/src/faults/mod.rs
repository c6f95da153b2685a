//! The run-time side of a plan. One `Faults` lives in each store and puts together its
//! parts, one job each: the [`registry`] of resources and pollables, the [`rules`] that
//! decide calls, the readiness [`gates`], the send [`permits`], the busy-loop
//! [`detector`], the counters and the trace. Every decision is a pure function of the
//! calls the guest has made so far.

pub(crate) mod clock;
mod detector;
mod drops;
mod gates;
mod permits;
pub(crate) mod registry;
mod rules;

pub(crate) use drops::Refusal;
pub(crate) use gates::{Gate, Hold};
pub(crate) use registry::Class;
pub(crate) use rules::Injection;

use crate::plan::{Op, Plan, Readiness};
use crate::resources::Kind;
use crate::trace::{self, Event, Trace};
use crate::verdict::{Stop, Verdict};
use detector::Detector;
use drops::Drops;
use gates::Gates;
use permits::Permits;
use registry::Registry;
use rules::{Call, Rules};

/// The counters printed in the summary line and returned in an [`Outcome`](crate::Outcome).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Answers the plan replaced (including readiness-only changes).
    pub faults_injected: u64,
    /// `check-send` calls.
    pub check_send_calls: u64,
    /// `send` calls (with at least one datagram).
    pub send_calls: u64,
    /// Datagrams the host accepted from the guest.
    pub datagrams_accepted: u64,
    /// `receive` calls.
    pub receive_calls: u64,
    /// Datagrams the guest received.
    pub datagrams_received: u64,
    /// `poll`, `block` and `ready` calls that involved a socket pollable.
    pub socket_waits: u64,
    /// Datagrams an injected answer refused that the guest never offered again (with
    /// `check-send` answers of 0 that no send followed).
    pub datagrams_dropped: u64,
    /// Bytes the guest read from TCP connections.
    pub tcp_bytes_read: u64,
    /// Bytes the guest wrote to TCP connections.
    pub tcp_bytes_written: u64,
}

/// How many trace lines a verdict quotes as evidence.
const EVIDENCE_LINES: usize = 6;

/// The fault state of one run.
pub(crate) struct Faults {
    pub(crate) registry: Registry,
    rules: Rules,
    gates: Gates,
    permits: Permits,
    detector: Detector,
    pub(crate) drops: Drops,
    /// Sockets a guest may have open at once.
    pub(crate) max_sockets: u64,
    /// Virtual time, unless the run uses the real clocks.
    pub(crate) clock: Option<clock::VirtualClock>,
    /// The harness's own peer, for knowing when it has handled what the guest sent.
    pub(crate) peer: Option<PeerWatch>,
    /// The harness's own TCP client, started when the guest listens.
    pub(crate) tcp_client: Option<crate::peer::TcpClient>,
    /// The harness's TCP peers, let settle before the guest's TCP reads and waits.
    pub(crate) tcp_peers: Vec<std::sync::Arc<crate::peer::PeerIo>>,
    /// TCP sockets whose sending side the guest shut down or closed (by serial).
    pub(crate) tcp_ended: std::collections::BTreeSet<u64>,
    /// The guest sent to an address that is not the harness's peer: a real world the
    /// harness cannot see settle.
    pub(crate) external: bool,
    pub(crate) stats: Stats,
    pub(crate) trace: Trace,
}

impl Faults {
    pub(crate) fn new(plan: &Plan, busy_threshold: u64, max_sockets: u64) -> Self {
        Self {
            registry: Registry::default(),
            rules: Rules::new(&plan.rules),
            gates: Gates::default(),
            permits: Permits::default(),
            detector: Detector::new(busy_threshold),
            drops: Drops::default(),
            max_sockets,
            clock: None,
            peer: None,
            tcp_client: None,
            tcp_peers: Vec::new(),
            tcp_ended: std::collections::BTreeSet::new(),
            external: false,
            stats: Stats::default(),
            trace: Trace::default(),
        }
    }

    /// The guest shut down the sending side of TCP socket `rep`, or closed it.
    pub(crate) fn tcp_end(&mut self, rep: u32) {
        if let Some(res) = self.registry.get(rep)
            && res.kind == Kind::TcpSocket
            && res.remote.is_some()
        {
            self.tcp_ended.insert(res.serial);
        }
    }

    /// Stops following a dropped socket resource.
    pub(crate) fn forget(&mut self, rep: u32) {
        self.tcp_end(rep);
        if let Some(serial) = self.registry.forget(rep) {
            self.gates.open(serial);
            self.permits.forget(serial);
        }
    }

    /// Counts a call of `op` on resource `rep` against the plan; `Some` is the rule that
    /// selects it.
    pub(crate) fn decide(&mut self, op: Op, rep: Option<u32>) -> Option<Injection> {
        let res = rep.and_then(|rep| self.registry.get(rep));
        let call = Call {
            op,
            serial: res.map(|r| r.serial),
            connected: res.is_some_and(|r| r.remote.is_some()),
            timer_wakes: self.detector.timer_wakes(),
        };
        let chosen = self.rules.decide(&call);
        if chosen.is_some() {
            self.stats.faults_injected += 1;
        }
        chosen
    }

    /// Sets what the pollables of resource `rep` report after an injected answer, and the
    /// not-ready answer that stands with them until the guest has waited.
    pub(crate) fn arm(&mut self, rep: u32, ready: Readiness, hold: Option<Hold>) {
        if let Some(serial) = self.registry.serial(rep) {
            self.gates.arm(serial, ready, hold);
        }
    }

    /// The not-ready answer standing on resource `rep`, if its gate is still closed.
    pub(crate) fn hold(&self, rep: u32) -> Option<&Hold> {
        self.gates.hold(self.registry.serial(rep)?)
    }

    /// A real call on `rep` moved data: readiness is real again and the guest is not
    /// spinning.
    pub(crate) fn progress(&mut self, rep: u32) {
        if let Some(serial) = self.registry.serial(rep) {
            self.gates.open(serial);
        }
        self.detector.progress();
    }

    /// The guest was woken by a clock: it backed off, and not-ready answers end.
    pub(crate) fn timer_wake(&mut self) {
        self.detector.timer_wake();
        self.gates.release_holds();
    }

    /// An injected error was answered; remembered until data moves again.
    pub(crate) fn error_injected(&mut self, what: String) {
        self.detector.error_injected(what);
    }

    /// The injected error the guest never recovered from, if any.
    pub(crate) fn pending_error(&self) -> Option<&str> {
        self.detector.pending_error()
    }

    /// A call that moved nothing. Too many in a row and the guest is busy-looping: it is
    /// stopped here, because a guest that never blocks never lets anything else run.
    pub(crate) fn no_progress(&mut self) -> Result<(), Stop> {
        self.detector
            .no_progress()
            .map_err(|reason| self.stop(Verdict::BusyLoop, reason))
    }

    /// A stop with the last trace lines as evidence.
    pub(crate) fn stop(&self, verdict: Verdict, reason: String) -> Stop {
        Stop {
            verdict,
            reason,
            evidence: trace::render(&self.trace.tail(EVIDENCE_LINES)),
        }
    }

    /// Records the permit a check answered on `rep`.
    pub(crate) fn grant(&mut self, rep: u32, permit: u64) {
        if let Some(serial) = self.registry.serial(rep) {
            self.permits.grant(serial, permit);
        }
    }

    /// Spends `amount` of the permit of `rep`; `Err` carries what was permitted.
    pub(crate) fn spend(&mut self, rep: u32, amount: u64) -> Result<(), u64> {
        match self.registry.get(rep) {
            Some(res) => self.permits.spend(res.serial, amount, res.kind.unit()),
            None => Err(0),
        }
    }

    /// Counts one wait on a socket pollable against the plan's wait rules; a selected
    /// wait re-arms the owner's gate. Returns the rule that selected it.
    pub(crate) fn observe(&mut self, pollable: u32) -> Option<Injection> {
        let serial = self.registry.socket_of(pollable)?;
        let res = self.registry.by_serial(serial)?;
        let (kind, connected) = (res.kind, res.remote.is_some());
        let call = Call {
            op: kind.wait_op(),
            serial: Some(serial),
            connected,
            timer_wakes: self.detector.timer_wakes(),
        };
        let injection = self.rules.decide(&call)?;
        self.stats.faults_injected += 1;
        self.gates.arm(serial, injection.ready, None);
        Some(injection)
    }

    /// The gate on a pollable, if any.
    pub(crate) fn gate(&self, pollable: u32) -> Option<Gate> {
        self.gates.get(self.registry.socket_of(pollable)?)
    }

    /// Uses up `ticks` readiness checks on a pollable's gate.
    pub(crate) fn tick(&mut self, pollable: u32, ticks: u32) {
        if let Some(serial) = self.registry.socket_of(pollable) {
            self.gates.tick(serial, ticks);
        }
    }

    /// Appends a trace event, stamped with the virtual time.
    pub(crate) fn record(&mut self, mut event: Event) {
        event.time_ns = self.clock.as_ref().map(|c| c.elapsed().as_nanos() as u64);
        self.trace.push(event);
    }

    /// The guest sent `datagrams` to `to`: the peer owes them a look, anyone else is the
    /// real world.
    pub(crate) fn sent(&mut self, to: Option<std::net::SocketAddr>, datagrams: u64) {
        match (&mut self.peer, to) {
            (Some(peer), Some(to)) if to == peer.addr => peer.sent += datagrams,
            _ => self.external |= datagrams > 0,
        }
    }
}

/// What the harness knows of its own peer: its address, what the guest sent it, and (from
/// the peer's thread) how many datagrams it has handled.
pub(crate) struct PeerWatch {
    pub(crate) addr: std::net::SocketAddr,
    pub(crate) sent: u64,
    pub(crate) handled: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl PeerWatch {
    /// Whether the peer has yet to handle something the guest sent it.
    pub(crate) fn behind(&self) -> bool {
        self.handled.load(std::sync::atomic::Ordering::Acquire) < self.sent
    }
}

/// How long the harness waits for its peers to settle before a guest's read, accept or
/// wait, at most; and how long without a sign of progress from them it waits (a peer
/// blocked on a full buffer waits for the guest, not the other way round).
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_millis(100);
const SETTLE_STALL: std::time::Duration = std::time::Duration::from_millis(2);

impl Faults {
    /// Whether the run has a harness-owned peer to wait for (most runs on the hot path of
    /// a send loop do not: no clock, no allocation then).
    pub(crate) fn has_peers(&self) -> bool {
        self.peer.is_some() || !self.tcp_peers.is_empty()
    }

    /// Whether one of the harness's TCP peers has a connection open.
    pub(crate) fn tcp_peers_open(&self) -> bool {
        use std::sync::atomic::Ordering::Acquire;
        self.tcp_peers.iter().any(|p| p.open.load(Acquire) > 0)
    }

    /// What the harness's peers have done so far, and whether they are done with
    /// everything the guest gave them: nothing being sent or connected, every byte the
    /// guest wrote read, every datagram it sent handled.
    fn peers_state(&self) -> ((u64, usize), bool) {
        use std::sync::atomic::Ordering::Acquire;
        let received: u64 = self
            .tcp_peers
            .iter()
            .map(|p| p.received.load(Acquire))
            .sum();
        let busy: usize = self.tcp_peers.iter().map(|p| p.busy.load(Acquire)).sum();
        let ends: u64 = self.tcp_peers.iter().map(|p| p.ends.load(Acquire)).sum();
        // The UDP peer: every datagram the guest sent it handled (echoed, if it echoes).
        let (handled, behind) = self.peer.as_ref().map_or((0, false), |peer| {
            (peer.handled.load(Acquire), peer.behind())
        });
        let idle = busy == 0
            && !behind
            && received >= self.stats.tcp_bytes_written
            && ends >= self.tcp_ended.len() as u64;
        ((received + ends + handled, busy), idle)
    }

    /// Waits, briefly, for the harness's peers (UDP and TCP) to finish what they are doing,
    /// so what the guest reads next does not depend on how fast their threads ran.
    pub(crate) fn settle_peers(&self) {
        if !self.has_peers() {
            return;
        }
        let mut settle = Settle::new(self);
        while !settle.done(self) {
            settle.pause();
        }
    }
}

/// One settling of the harness's TCP peers, looked at step by step so an async caller can
/// let its event loop run between looks.
pub(crate) struct Settle {
    start: std::time::Instant,
    last: (u64, usize),
    since: std::time::Instant,
    looks: u32,
}

impl Settle {
    pub(crate) fn new(faults: &Faults) -> Self {
        let now = std::time::Instant::now();
        Self {
            start: now,
            last: faults.peers_state().0,
            since: now,
            looks: 0,
        }
    }

    /// Gives the peers' threads the core: a yield first (they are usually a few
    /// microseconds from done), a short sleep once that has not been enough.
    pub(crate) fn pause(&mut self) {
        self.looks += 1;
        if self.looks < 64 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(std::time::Duration::from_micros(20));
        }
    }

    /// Whether the peers are done, stalled, or out of time.
    pub(crate) fn done(&mut self, faults: &Faults) -> bool {
        if !faults.has_peers() {
            return true;
        }
        let (now, idle) = faults.peers_state();
        if idle || self.start.elapsed() > SETTLE_LIMIT {
            return true;
        }
        if now != self.last {
            (self.last, self.since) = (now, std::time::Instant::now());
            return false;
        }
        self.since.elapsed() > SETTLE_STALL
    }
}
