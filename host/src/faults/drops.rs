//! The ledger of refused datagrams: each datagram (destination and bytes) that an injected
//! answer refused, until the guest offers it again. What is left when the guest exits 0
//! was dropped by the guest, found at the WIT boundary without any peer.

use std::collections::BTreeMap;
use std::net::SocketAddr;

/// How many distinct refused datagrams are remembered; past it they are only counted, so
/// a guest cannot grow the ledger without bound.
const LEDGER_LIMIT: usize = 10_000;

/// Why a datagram was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Refusal {
    /// A readiness answer (`ok(0)`, fewer than offered, `would-block`, `check-send` 0):
    /// the WIT says "try again", so not trying again is a bug.
    Readiness,
    /// An error (out-of-memory, wasmtime's ENOBUFS): dropping is a policy some stacks
    /// choose.
    Error,
}

/// A datagram as the guest offered it.
type Datagram = (Option<SocketAddr>, Vec<u8>);

/// One datagram refused and not offered again.
#[derive(Debug, Clone)]
pub(crate) struct Refused {
    pub(crate) refusal: Refusal,
    /// The outgoing stream it was refused on.
    pub(crate) serial: u64,
    /// The trace line of the answer that refused it.
    pub(crate) seq: u64,
    pub(crate) times: u32,
}

/// The refused datagrams of one run.
#[derive(Default)]
pub(crate) struct Drops {
    ledger: BTreeMap<Datagram, Refused>,
    /// Outgoing streams (by serial) whose injected `check-send` 0 was followed by no send:
    /// the trace line of that answer.
    owed: BTreeMap<u64, u64>,
    /// Refusals past the ledger's limit.
    uncounted: u64,
}

impl Drops {
    /// Whether anything is owed: only then is an offer worth comparing.
    pub(crate) fn pending(&self) -> bool {
        !self.ledger.is_empty() || !self.owed.is_empty()
    }

    /// The guest offers these datagrams again: earlier refusals of them are settled.
    pub(crate) fn offered(&mut self, serial: u64, datagrams: impl Iterator<Item = Datagram>) {
        self.owed.remove(&serial);
        for datagram in datagrams {
            if let Some(refused) = self.ledger.get_mut(&datagram) {
                refused.times -= 1;
                if refused.times == 0 {
                    self.ledger.remove(&datagram);
                }
            }
        }
    }

    /// An injected answer refused these datagrams on stream `serial` (trace line `seq`).
    pub(crate) fn refused(
        &mut self,
        refusal: Refusal,
        serial: u64,
        seq: u64,
        datagrams: impl Iterator<Item = Datagram>,
    ) {
        for datagram in datagrams {
            if self.ledger.len() >= LEDGER_LIMIT && !self.ledger.contains_key(&datagram) {
                self.uncounted += 1;
                continue;
            }
            let entry = self.ledger.entry(datagram).or_insert(Refused {
                refusal,
                serial,
                seq,
                times: 0,
            });
            entry.times += 1;
            entry.refusal = entry.refusal.min(refusal);
            entry.seq = seq;
        }
    }

    /// An injected `check-send` 0 on stream `serial` (trace line `seq`): a send is owed.
    pub(crate) fn check_refused(&mut self, serial: u64, seq: u64) {
        self.owed.insert(serial, seq);
    }

    /// Streams owing a send after `check-send` 0 with no refused datagram of their own in
    /// the ledger (that datagram is the one owed, and is counted there).
    fn owed(&self) -> impl Iterator<Item = u64> + '_ {
        self.owed
            .iter()
            .filter(|(serial, _)| !self.ledger.values().any(|r| r.serial == **serial))
            .map(|(_, seq)| *seq)
    }

    /// How many refused datagrams were never offered again, by readiness and by error.
    pub(crate) fn counts(&self) -> (u64, u64) {
        let by = |kind| {
            self.ledger
                .values()
                .filter(|r| r.refusal == kind)
                .map(|r| u64::from(r.times))
                .sum::<u64>()
        };
        (
            by(Refusal::Readiness) + self.owed().count() as u64 + self.uncounted,
            by(Refusal::Error),
        )
    }

    /// What was dropped, for a verdict: readiness refusals, and error refusals too when
    /// `errors` is set. `None` when nothing was.
    pub(crate) fn account(&self, errors: bool) -> Option<(String, Vec<u64>)> {
        let dropped: Vec<(&Datagram, &Refused)> = self
            .ledger
            .iter()
            .filter(|(_, r)| r.refusal == Refusal::Readiness || errors)
            .collect();
        let owed: Vec<u64> = self.owed().collect();
        if dropped.is_empty() && owed.is_empty() && self.uncounted == 0 {
            return None;
        }
        let mut lines: Vec<u64> = dropped.iter().map(|(_, r)| r.seq).collect();
        lines.extend(&owed);
        lines.sort_unstable();
        let mut parts: Vec<String> = dropped
            .iter()
            .take(5)
            .map(|((to, bytes), r)| {
                let to = to.map_or_else(|| "the connected peer".into(), |a| a.to_string());
                format!("{} to {to} (refused at #{})", preview(bytes), r.seq)
            })
            .collect();
        if dropped.len() > 5 {
            parts.push(format!("{} more", dropped.len() - 5));
        }
        if !owed.is_empty() {
            parts.push(format!(
                "{} check-send answer(s) of 0 followed by no send on that stream",
                owed.len()
            ));
        }
        if self.uncounted > 0 {
            parts.push(format!("{} more past the ledger's limit", self.uncounted));
        }
        Some((parts.join("; "), lines))
    }
}

/// The first bytes of a datagram, as text where they are text.
fn preview(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(16)];
    let more = if bytes.len() > 16 { "..." } else { "" };
    match std::str::from_utf8(shown) {
        Ok(text) => format!("{:?}{more} ({} bytes)", text, bytes.len()),
        Err(_) => format!("{shown:02x?}{more} ({} bytes)", bytes.len()),
    }
}
