//! The trace: one JSON line per socket call the guest made.

mod text;

pub use text::Text;

use crate::plan::Op;
use crate::resources::ResourceId;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;

/// One socket call (or one wait on a socket pollable), as the guest saw it.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::Op;
/// let harness = wouldblock::Builder::new().fault("first-send")?.build()?;
/// let guest = harness.compile("udp-send", wouldblock_guests::UDP_SEND.wasm)?;
/// let outcome = harness.run(&guest, &["{peer}", "--count", "1"])?;
/// let faulted = outcome.trace.events().iter().find(|e| e.fault.is_some()).unwrap();
/// assert_eq!((faulted.interface, faulted.op), ("wasi:sockets/udp", "send"));
/// assert_eq!(faulted.operation, Some(Op::UdpSend));
/// assert_eq!(faulted.result, "ok(0)");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// 1-based position in the run.
    pub seq: u64,
    /// The WIT interface, e.g. `wasi:sockets/udp`.
    pub interface: &'static str,
    /// The function, e.g. `send`.
    pub op: &'static str,
    /// The resource it was called on, e.g. `outgoing#1` (numbered per run, per kind).
    pub resource: Text,
    /// A short summary of the arguments.
    pub args: Text,
    /// A short summary of the result the guest received.
    pub result: Text,
    /// The rule that replaced the real answer, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// Virtual time since the run started, in nanoseconds (absent with `--clock real`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_ns: Option<u64>,
    /// The plan operation this call counts as (`udp.send`), when the plan was asked about
    /// it: what explore's sites and a plan's rules count.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "op_name")]
    pub operation: Option<Op>,
    /// The resource the call acts on, if the harness follows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<ResourceId>,
    /// A wait's socket pollables, by the resource each reports on, in the order the guest
    /// passed them (a pollable passed twice is there twice).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waits: Vec<ResourceId>,
    /// The resources a wait found ready (a spurious wake-up's included).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub woke: Vec<ResourceId>,
    /// The plan rule (0-based, in plan order) that decided the call, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
}

fn op_name<S: serde::Serializer>(op: &Option<Op>, s: S) -> Result<S::Ok, S::Error> {
    match op {
        Some(op) => s.serialize_str(op.name()),
        None => s.serialize_none(),
    }
}

impl Event {
    /// A new event with the given identity and empty summaries.
    pub(crate) fn new(interface: &'static str, op: &'static str, resource: Text) -> Self {
        Self {
            seq: 0,
            interface,
            op,
            resource,
            args: Text::default(),
            result: Text::default(),
            fault: None,
            time_ns: None,
            operation: None,
            target: None,
            waits: Vec::new(),
            woke: Vec::new(),
            rule: None,
        }
    }

    /// The same event, counted as `op` on `target`.
    pub(crate) fn on(mut self, op: Option<Op>, target: Option<ResourceId>) -> Self {
        self.operation = op;
        self.target = target;
        self
    }
}

/// Events kept in full; a longer run keeps counting and keeps its last events for
/// verdict evidence, so memory stays bounded whatever the guest does.
///
/// ```
/// use wouldblock::{Trace, trace::TRACE_LIMIT};
/// assert_eq!(TRACE_LIMIT, 100_000);
/// assert!(Trace::default().events().len() <= TRACE_LIMIT);
/// ```
pub const TRACE_LIMIT: usize = 100_000;
/// Events kept at the end of a run that went past [`TRACE_LIMIT`].
const TAIL: usize = 16;

/// All events of one run, in order (the first [`TRACE_LIMIT`] of them).
///
/// ```
/// let trace = wouldblock::Trace::default();
/// assert_eq!(trace.total(), 0);
/// assert!(trace.events().is_empty() && trace.to_json_lines().is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    events: Vec<Event>,
    /// The last events once past the limit.
    tail: VecDeque<Event>,
    total: u64,
}

impl Trace {
    /// Appends an event, numbering it.
    pub(crate) fn push(&mut self, mut event: Event) {
        self.total += 1;
        event.seq = self.total;
        if self.events.len() < TRACE_LIMIT {
            self.events.push(event);
            return;
        }
        if self.tail.len() == TAIL {
            self.tail.pop_front();
        }
        self.tail.push_back(event);
    }

    /// The events kept in full (the first [`TRACE_LIMIT`]).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().fault("first-send:n=2")?.build()?;
    /// let guest = harness.compile("udp-send", wouldblock_guests::UDP_SEND.wasm)?;
    /// let outcome = harness.run(&guest, &["{peer}", "--count", "1"])?;
    /// let events = outcome.trace.events();
    /// let refused = events.iter().filter(|e| e.op == "send" && e.result == "ok(0)");
    /// assert_eq!(refused.count(), 2);
    /// # Ok(()) }
    /// ```
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// How many events the run had, kept or not.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let trace = harness.run(&guest, &["sockets", "3"])?.trace;
    /// assert_eq!(trace.total(), trace.events().len() as u64, "all kept, under the limit");
    /// # Ok(()) }
    /// ```
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The last `n` events (at most 16 past the limit): the evidence behind a verdict.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let trace = harness.run(&guest, &["sockets", "3"])?.trace;
    /// let last = trace.tail(2);
    /// assert_eq!(last.len(), 2);
    /// assert_eq!(last[1].seq, trace.total());
    /// # Ok(()) }
    /// ```
    pub fn tail(&self, n: usize) -> Vec<Event> {
        let last: Vec<&Event> = if self.tail.is_empty() {
            self.events.iter().collect()
        } else {
            self.tail.iter().collect()
        };
        last[last.len().saturating_sub(n)..]
            .iter()
            .map(|e| (*e).clone())
            .collect()
    }

    /// The events with these sequence numbers (at most `n`, the last ones), rendered as
    /// verdict evidence; lines past the kept part of the trace are left out.
    pub(crate) fn render_lines(&self, seqs: &[u64], n: usize) -> String {
        let wanted = &seqs[seqs.len().saturating_sub(n)..];
        let events: Vec<Event> = self
            .events
            .iter()
            .chain(&self.tail)
            .filter(|e| wanted.binary_search(&e.seq).is_ok())
            .cloned()
            .collect();
        render(&events)
    }

    /// The trace as JSON Lines; past [`TRACE_LIMIT`] a line says how many events were
    /// left out before the last ones.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let trace = harness.run(&guest, &["sockets", "3"])?.trace;
    /// let lines = trace.to_json_lines();
    /// assert_eq!(lines.lines().count() as u64, trace.total());
    /// assert!(lines.starts_with(r#"{"seq":1,"#));
    /// # Ok(()) }
    /// ```
    pub fn to_json_lines(&self) -> String {
        let mut out = String::new();
        let mut line = |e: &Event| {
            let json = serde_json::to_string(e).expect("events serialise");
            let _ = writeln!(out, "{json}");
        };
        self.events.iter().for_each(&mut line);
        if let Some(first) = self.tail.front() {
            let skipped = first.seq - 1 - self.events.len() as u64;
            let mut note = Event::new("wouldblock", "trace-limit", Text::default());
            note.result = format!("{skipped} events left out").into();
            line(&note);
            self.tail.iter().for_each(&mut line);
        }
        out
    }

    /// The ports the trace names, each with its alias number, in order of first
    /// appearance: `port1` is the first port named, `port2` the next new one.
    fn port_aliases(&self) -> BTreeMap<u16, usize> {
        let mut aliases: BTreeMap<u16, usize> = BTreeMap::new();
        for e in self.events.iter().chain(&self.tail) {
            for port in [e.args.port(), e.result.port()].into_iter().flatten() {
                let next = aliases.len() + 1;
                aliases.entry(port).or_insert(next);
            }
        }
        aliases
    }

    /// The same trace with every port replaced by `port1`, `port2`, ... in order of first
    /// appearance, and each wait's pollables in one order, so two runs with different
    /// ephemeral ports, or a reactor's hash order, compare equal.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.compile("udp-send", wouldblock_guests::UDP_SEND.wasm)?;
    /// // Each run gets a peer on its own ephemeral port.
    /// let a = harness.run(&guest, &["{peer}", "--count", "2"])?.trace;
    /// let b = harness.run(&guest, &["{peer}", "--count", "2"])?.trace;
    /// assert_eq!(a.normalized(), b.normalized());
    /// # Ok(()) }
    /// ```
    pub fn normalized(&self) -> Trace {
        let aliases = self.port_aliases();
        let alias = |e: &Event| {
            let mut e = e.clone();
            // A wait is on a set of pollables: a guest whose reactor lists them in hash
            // order (wstd) takes the same path whatever the order.
            e.waits.sort();
            e.woke.sort();
            for text in [&mut e.args, &mut e.result] {
                if let Text::Waits { labels: set, .. } | Text::Ready(set) = text {
                    set.sort_by_key(ToString::to_string);
                }
                if let Some(port) = text.port() {
                    let named = text
                        .to_string()
                        .replace(&format!(":{port}"), &format!(":port{}", aliases[&port]));
                    *text = Text::Owned(named);
                }
            }
            e
        };
        Trace {
            events: self.events.iter().map(alias).collect(),
            tail: self.tail.iter().map(alias).collect(),
            total: self.total,
        }
    }

    /// `text` (a verdict's reason, a guest's line) with the port of every socket address
    /// in it named as [`Trace::normalized`] names it; a port the trace never named gets
    /// the next alias. Two runs then print the same words.
    pub(crate) fn normalize_ports(&self, text: &str) -> String {
        normalize_ports(text, &mut self.port_aliases())
    }
}

/// Replaces the port of every `IP:PORT` or `[IPv6]:PORT` in `text` with `port{alias}`.
fn normalize_ports(text: &str, aliases: &mut BTreeMap<u16, usize>) -> String {
    let is_addr_char = |c: char| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '[' | ']');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(is_addr_char) {
        out.push_str(&rest[..start]);
        let run = &rest[start..];
        let mut end = run.find(|c: char| !is_addr_char(c)).unwrap_or(run.len());
        // A sentence's full stop or colon after an address is not part of it.
        end = run[..end].trim_end_matches(['.', ':']).len().max(1);
        let word = &run[..end];
        match word.parse::<std::net::SocketAddr>() {
            Ok(addr) if addr.port() != 0 => {
                let next = aliases.len() + 1;
                let alias = *aliases.entry(addr.port()).or_insert(next);
                let host = &word[..word.rfind(':').unwrap_or(word.len())];
                out.push_str(&format!("{host}:port{alias}"));
            }
            _ => out.push_str(word),
        }
        rest = &run[end..];
    }
    out.push_str(rest);
    out
}

/// Renders events as a short indented block for verdict evidence.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let harness = wouldblock::Builder::new().fault("first-send")?.build()?;
/// let guest = harness.compile("udp-send", wouldblock_guests::UDP_SEND.wasm)?;
/// let outcome = harness.run(&guest, &["{peer}", "--count", "1"])?;
/// let text = wouldblock::trace::render(outcome.trace.events());
/// assert!(text.contains(".send(") && text.contains("-> ok(0)  [fault: first-send"), "{text}");
/// # Ok(()) }
/// ```
pub fn render(events: &[Event]) -> String {
    events.iter().fold(String::new(), |mut out, e| {
        let fault = e
            .fault
            .as_deref()
            .map(|f| format!("  [fault: {f}]"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    #{} {}.{}({}) -> {}{}",
            e.seq, e.resource, e.op, e.args, e.result, fault
        );
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    #[test]
    fn ports_in_text_are_named_as_in_the_trace() {
        let mut trace = Trace::default();
        for port in [40001, 40002] {
            let mut e = Event::new("wasi:sockets/udp", "send", "outgoing#1".into());
            e.args = Text::Addr(SocketAddr::from(([127, 0, 0, 1], port)));
            trace.push(e);
        }
        let text = "\"7\" (1 bytes) to 127.0.0.1:40002 (refused at #5); [::1]:41000, 0.0.0.0:0, 12:30; at 127.0.0.1:40001.";
        assert_eq!(
            trace.normalize_ports(text),
            "\"7\" (1 bytes) to 127.0.0.1:port2 (refused at #5); [::1]:port3, 0.0.0.0:0, 12:30; at 127.0.0.1:port1."
        );
    }

    #[test]
    fn normalisation_aliases_ports_in_order_of_appearance() {
        let mut trace = Trace::default();
        for port in [40001, 40002, 40001] {
            let mut e = Event::new("wasi:sockets/udp", "send", Text::Label("outgoing", 1));
            e.args = Text::Addr(SocketAddr::from(([127, 0, 0, 1], port)));
            trace.push(e);
        }
        let args: Vec<_> = trace
            .normalized()
            .events()
            .iter()
            .map(|e| e.args.to_string())
            .collect();
        assert_eq!(
            args,
            ["127.0.0.1:port1", "127.0.0.1:port2", "127.0.0.1:port1"]
        );
    }
}
