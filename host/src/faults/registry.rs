//! Which resources and pollables the harness follows: every socket resource gets a
//! never-reused serial and a per-run label (`outgoing#2`), and every pollable a
//! [`Class`] when it is created, so a wait can tell a clock from a socket or a stream.
//! What a kind is called is its interface table's (`wasi/<interface>.rs`).

use crate::resources::{Kind, ResourceId};
use crate::trace::Text;
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// What a pollable stands for, decided when it is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// The readiness of a socket resource the plan governs.
    Socket(u64),
    /// A stream the plan does not govern (stdin, a file): waking on it is not backing off.
    Stream,
    /// A timer: waking on it is backing off, the only way time passes for the plan.
    Clock,
    /// Anything else (name lookups, pollables made before the harness saw them).
    Other,
}

/// A socket resource, keyed by its table rep (reps are reused after a drop, so each
/// resource also gets a serial that is never reused).
#[derive(Debug, Clone)]
pub(crate) struct Res {
    pub(crate) serial: u64,
    pub(crate) kind: Kind,
    pub(crate) label: Text,
    /// The peer of a connected socket's stream (`stream(some(addr))`).
    pub(crate) remote: Option<SocketAddr>,
}

impl Res {
    /// Its kind and serial.
    pub(crate) fn id(&self) -> ResourceId {
        ResourceId {
            kind: self.kind,
            serial: self.serial,
        }
    }
}

/// The resources and pollables of one run.
#[derive(Default)]
pub(crate) struct Registry {
    resources: BTreeMap<u32, Res>,
    pollables: BTreeMap<u32, Class>,
    labels: BTreeMap<Kind, u64>,
    next_serial: u64,
    /// Sockets open now.
    sockets: u64,
}

impl Registry {
    /// Starts following a new socket resource; returns its label, e.g. `outgoing#2`.
    pub(crate) fn register(&mut self, rep: u32, kind: Kind, remote: Option<SocketAddr>) -> Text {
        self.next_serial += 1;
        let n = self.labels.entry(kind).or_default();
        *n += 1;
        let label = Text::Label(kind.label(), *n);
        let res = Res {
            serial: self.next_serial,
            kind,
            label: label.clone(),
            remote,
        };
        self.resources.insert(rep, res);
        self.sockets += u64::from(kind.is_socket());
        label
    }

    /// A socket started connecting to `remote`: its streams will be connected to it.
    pub(crate) fn connect(&mut self, rep: u32, remote: SocketAddr) {
        if let Some(res) = self.resources.get_mut(&rep) {
            res.remote = Some(remote);
        }
    }

    /// Sockets the guest has open now.
    pub(crate) fn sockets(&self) -> u64 {
        self.sockets
    }

    /// Stops following a dropped socket resource; returns its serial.
    pub(crate) fn forget(&mut self, rep: u32) -> Option<u64> {
        let res = self.resources.remove(&rep)?;
        self.sockets -= u64::from(res.kind.is_socket());
        self.pollables
            .retain(|_, class| *class != Class::Socket(res.serial));
        Some(res.serial)
    }

    /// The resource at `rep`, if the harness follows it.
    pub(crate) fn get(&self, rep: u32) -> Option<&Res> {
        self.resources.get(&rep)
    }

    /// The label of a resource, or `?rep` for one the harness did not see created.
    pub(crate) fn label(&self, rep: u32) -> Text {
        self.get(rep)
            .map_or_else(|| Text::Label("?", u64::from(rep)), |r| r.label.clone())
    }

    /// The typed name of a resource, for the trace.
    pub(crate) fn id(&self, rep: u32) -> Option<ResourceId> {
        self.get(rep).map(Res::id)
    }

    /// The serial of a resource.
    pub(crate) fn serial(&self, rep: u32) -> Option<u64> {
        self.get(rep).map(|r| r.serial)
    }

    /// The resource with this serial.
    pub(crate) fn by_serial(&self, serial: u64) -> Option<&Res> {
        self.resources.values().find(|r| r.serial == serial)
    }

    /// Classifies a new pollable.
    pub(crate) fn classify(&mut self, pollable: u32, class: Class) {
        self.pollables.insert(pollable, class);
    }

    /// A new pollable that reports the readiness of socket resource `target`.
    pub(crate) fn subscribe(&mut self, pollable: u32, target: u32) {
        let class = self.serial(target).map_or(Class::Other, Class::Socket);
        self.classify(pollable, class);
    }

    /// Forgets a dropped pollable.
    pub(crate) fn unsubscribe(&mut self, pollable: u32) {
        self.pollables.remove(&pollable);
    }

    /// What a pollable stands for.
    pub(crate) fn class(&self, pollable: u32) -> Class {
        self.pollables
            .get(&pollable)
            .copied()
            .unwrap_or(Class::Other)
    }

    /// The serial of the socket resource a pollable reports on, if it is a socket pollable.
    pub(crate) fn socket_of(&self, pollable: u32) -> Option<u64> {
        match self.class(pollable) {
            Class::Socket(serial) => Some(serial),
            _ => None,
        }
    }

    /// The socket resource a pollable reports on.
    pub(crate) fn pollable_owner(&self, pollable: u32) -> Option<&Res> {
        self.by_serial(self.socket_of(pollable)?)
    }
}
