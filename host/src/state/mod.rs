//! The state of one run, in three parts (turmoil's split): the [`World`] (the harness's
//! peers, the virtual clock, settling), the [`Faults`] (the plan at work) and the
//! [`Recorder`] (trace and counters). A decorator talks to [`Run`] alone, through the few
//! verbs of a call: make its trace [`event`](Run::event), [`decide`](Run::decide) it,
//! [`record`](Run::record) it, [`account`](Run::account) for what it moved; resources and
//! the world's bookkeeping have their verbs here too, and waits theirs in [`waits`].
//! Verdicts are [`verdict`](crate::verdict)'s.

mod waits;

use crate::faults::{Choice, Class, Faults, Refusal, Res};
use crate::plan::Op;
use crate::recorder::Recorder;
use crate::resources::Kind;
use crate::trace::{Event, Text};
use crate::verdict::{Stop, during};
use crate::world::World;
use std::net::SocketAddr;

/// One run's state, kept in the store.
pub(crate) struct Run {
    pub(crate) world: World,
    pub(crate) faults: Faults,
    pub(crate) recorder: Recorder,
}

/// A datagram as the drops ledger keys it: its destination and payload.
pub(crate) type Datagram = (Option<SocketAddr>, Vec<u8>);

impl Run {
    /// A trace event for `function` of `interface` on resource `rep`, counted as `op`.
    pub(crate) fn event(
        &self,
        interface: &'static str,
        function: &'static str,
        op: Option<Op>,
        rep: u32,
    ) -> Event {
        let registry = &self.faults.registry;
        Event::new(interface, function, registry.label(rep)).on(op, registry.id(rep))
    }

    /// A call of `op` is made: counted in the stats.
    pub(crate) fn called(&mut self, op: Op) {
        self.recorder.stats.called(op);
    }

    /// Decides a call of `op` on resource `rep` ([`Faults::decide`]): the note goes on the
    /// call's `event`, an injection into the stats.
    pub(crate) fn decide(&mut self, op: Op, rep: Option<u32>, event: &mut Event) -> Choice {
        let decision = self.faults.decide(op, rep);
        self.recorder.stats.faults_injected += u64::from(decision.injected());
        event.fault = decision.note;
        event.rule = decision.rule;
        decision.choice
    }

    /// Appends a trace event, stamped with the virtual time.
    pub(crate) fn record(&mut self, event: Event) {
        let time = self.world.time_ns();
        self.recorder.record(event, time);
    }

    /// A call of `op` on `rep` moved `moved` (datagrams or bytes): counted, and moving
    /// anything is progress (readiness is real again). A call that moved nothing counts
    /// towards a busy loop, errors too: a guest that retries out-of-memory at once spins
    /// just as one that retries would-block. A trap ends the guest anyway.
    pub(crate) fn account(
        &mut self,
        op: Op,
        rep: u32,
        moved: u64,
        trapped: bool,
    ) -> Result<(), Stop> {
        self.recorder.stats.moved(op, moved);
        match op {
            Op::TcpRead => self.world.tcp_read += moved,
            Op::TcpWrite => self.world.tcp_written += moved,
            Op::HttpBodyWrite => self.world.http_bodies.written(rep, moved),
            _ => {}
        }
        if moved > 0 {
            self.faults.progress(rep);
            return Ok(());
        }
        if trapped {
            return Ok(());
        }
        self.no_progress()
    }

    /// A call that moved nothing. Too many in a row and the guest is busy-looping: it is
    /// stopped here, because a guest that never blocks never lets anything else run.
    pub(crate) fn no_progress(&mut self) -> Result<(), Stop> {
        let detector = &mut self.faults.detector;
        detector
            .no_progress()
            .map_err(|calls| during::busy_loop(&self.recorder, calls, detector.threshold()))
    }

    /// A resource the guest was handed: its label (`outgoing#2`) for the trace.
    pub(crate) fn register(&mut self, rep: u32, kind: Kind, remote: Option<SocketAddr>) -> Text {
        self.faults.registry.register(rep, kind, remote)
    }

    /// A resource the plan follows, if `rep` is one.
    pub(crate) fn resource(&self, rep: u32) -> Option<&Res> {
        self.faults.registry.get(rep)
    }

    /// Whether another socket would pass `--max-sockets`; `Some` is the limit.
    pub(crate) fn socket_limit(&self) -> Option<u64> {
        let limit = self.faults.max_sockets;
        (self.faults.registry.sockets() >= limit).then_some(limit)
    }

    /// A new pollable on resource `target`: its readiness is the plan's to gate if the plan
    /// follows `target`; any other is a stream's (stdin, a file), never a back-off.
    pub(crate) fn subscribe(&mut self, pollable: u32, target: u32) {
        let registry = &mut self.faults.registry;
        if registry.get(target).is_some() {
            registry.subscribe(pollable, target);
        } else {
            registry.classify(pollable, Class::Stream);
        }
    }

    /// Where guest socket `rep` connects when it asks for `remote`: a relay of the
    /// harness's to that server, if it relays to it (its counters then settle with the
    /// harness's peers), else `None`: straight there.
    pub(crate) fn relay(&mut self, rep: u32, remote: SocketAddr) -> Option<SocketAddr> {
        let (listen, io) = self.world.relays.open(rep, remote)?;
        self.world.tcp_peers.push(io);
        Some(listen)
    }

    /// The real server behind guest socket `rep`, if it connected through a relay.
    pub(crate) fn relayed(&self, rep: u32) -> Option<SocketAddr> {
        self.world.relays.server(rep)
    }

    /// The guest connected `rep` to `remote`. Not through a relay, it is a peer that
    /// answers in real time, so waits give it a moment before time jumps.
    pub(crate) fn connect(&mut self, rep: u32, remote: SocketAddr) {
        self.faults.registry.connect(rep, remote);
        self.world.external |= self.relayed(rep).is_none();
    }

    /// The guest's UDP socket was bound at `local`: datagrams to it are the guest's own.
    pub(crate) fn udp_bound(&mut self, local: SocketAddr) {
        self.world.relays.bound(local);
    }

    /// The datagram stream `rep` belongs to the guest's UDP socket bound at `local`.
    pub(crate) fn udp_stream(&mut self, rep: u32, local: SocketAddr) {
        self.world.relays.stream(rep, local);
    }

    /// Where the guest's UDP socket bound at `local` (or the one behind datagram stream
    /// `rep`) sends what it addresses to `server`: a relay's loopback address, or `None`
    /// for straight there.
    pub(crate) fn udp_relay(
        &mut self,
        local: SocketAddr,
        server: SocketAddr,
    ) -> Option<SocketAddr> {
        self.world.relays.udp(local, server)
    }

    /// The local address of the guest socket behind datagram stream `rep`.
    pub(crate) fn udp_local(&self, rep: u32) -> Option<SocketAddr> {
        self.world.relays.stream_local(rep)
    }

    /// The guest's socket at `local` had `datagrams` for `server` accepted.
    pub(crate) fn udp_relayed(&self, local: SocketAddr, server: SocketAddr, datagrams: u64) {
        self.world.relays.udp_sent(local, server, datagrams);
    }

    /// The real server behind a UDP relay's loopback address, if `addr` is one.
    pub(crate) fn udp_server(&self, addr: SocketAddr) -> Option<SocketAddr> {
        self.world.relays.udp_server(addr)
    }

    /// The guest talks to something the harness does not own (an HTTP request).
    pub(crate) fn external(&mut self) {
        self.world.external = true;
    }

    /// A guest socket listens at `addr`.
    pub(crate) fn listening(&mut self, addr: SocketAddr) {
        self.world.listening(addr);
    }

    /// The guest shut down the sending side of TCP socket `rep`, or closed it: its peer
    /// will see the end.
    pub(crate) fn tcp_end(&mut self, rep: u32) {
        if let Some(res) = self.faults.registry.get(rep)
            && res.kind == Kind::TcpSocket
            && res.remote.is_some()
        {
            self.world.tcp_ended.insert(res.serial);
        }
    }

    /// Stops following a dropped resource.
    pub(crate) fn forget(&mut self, rep: u32) {
        self.tcp_end(rep);
        self.faults.forget(rep);
    }

    /// Records the permit a check answered on `rep`.
    pub(crate) fn grant(&mut self, rep: u32, permit: u64) {
        self.faults.grant(rep, permit);
    }

    /// Spends `amount` of the permit of `rep`. Past it, the WIT says the host traps: the
    /// event is recorded with the trap, which `stop` makes from the label and the permit.
    pub(crate) fn spend(
        &mut self,
        rep: u32,
        amount: u64,
        mut event: Event,
        stop: impl FnOnce(&Recorder, &Text, u64) -> Stop,
    ) -> Result<Event, Stop> {
        let Err(permit) = self.faults.spend(rep, amount) else {
            return Ok(event);
        };
        event.result = "trap".into();
        self.record(event);
        let on = self.faults.registry.label(rep);
        Err(stop(&self.recorder, &on, permit))
    }

    /// A not-ready answer is standing on `rep` until the guest waits.
    pub(crate) fn held(&self, rep: u32) -> bool {
        self.faults.closed(rep)
    }

    /// The harness's peers finish what they were doing, if the run has any.
    pub(crate) fn settle_peers(&self) {
        if self.world.has_peers() {
            self.world.settle();
        }
    }

    /// The guest's outgoing HTTP bodies, followed from request to response so the HTTP
    /// echo peer is owed only the bytes of the bodies it was sent.
    pub(crate) fn bodies(&mut self) -> &mut crate::world::HttpBodies {
        &mut self.world.http_bodies
    }

    /// What the harness's HTTP client saw of a guest server, once it has served.
    pub(crate) fn served(&mut self, served: crate::peer::Served) {
        self.world.http_served = Some(served);
    }

    /// Whether the harness has a UDP peer, owed every datagram `send` accepts for it.
    pub(crate) fn has_udp_peer(&self) -> bool {
        self.world.peer.is_some()
    }

    /// `send` accepted the first `accepted` of datagrams going to `to` (`owed`: their
    /// destinations and digests, kept when the harness has a peer).
    pub(crate) fn sent(
        &mut self,
        to: Option<SocketAddr>,
        accepted: u64,
        owed: Vec<(Option<SocketAddr>, u64)>,
    ) {
        self.world.sent(to, accepted);
        // WIT: "returns the number of datagrams that were actually sent" (the first ones).
        self.world
            .accepted(owed.into_iter().take(accepted as usize));
    }

    /// The guest offers these datagrams on `rep` (again): earlier refusals are settled.
    pub(crate) fn offered(&mut self, rep: u32, datagrams: impl Iterator<Item = Datagram>) {
        let drops = &mut self.faults.drops;
        if let (true, Some(serial)) = (drops.pending(), self.faults.registry.serial(rep)) {
            drops.offered(serial, datagrams);
        }
    }

    /// An injected answer refused these datagrams on `rep`; the answer's own trace line is
    /// the next one. A guest that never offers them again dropped them.
    pub(crate) fn refused(
        &mut self,
        rep: u32,
        refusal: Refusal,
        datagrams: impl Iterator<Item = Datagram>,
    ) {
        let Some(serial) = self.faults.registry.serial(rep) else {
            return;
        };
        let seq = self.recorder.trace.total() + 1;
        self.faults.drops.refused(refusal, serial, seq, datagrams);
    }

    /// An injected `check-send` 0 on `rep`: a send is owed on this stream, and a guest that
    /// never sends again dropped it.
    pub(crate) fn check_refused(&mut self, rep: u32) {
        if let Some(serial) = self.faults.registry.serial(rep) {
            let seq = self.recorder.trace.total() + 1;
            self.faults.drops.check_refused(serial, seq);
        }
    }
}

impl Run {
    /// A pollable wasmtime-wasi made on resource `target`, registered: the plan gates it if
    /// it follows `target`.
    pub(crate) fn subscribed<T: 'static>(
        &mut self,
        target: u32,
        made: wasmtime::Result<wasmtime::component::Resource<T>>,
    ) -> wasmtime::Result<wasmtime::component::Resource<T>> {
        let pollable = made?;
        self.subscribe(pollable.rep(), target);
        Ok(pollable)
    }
}
