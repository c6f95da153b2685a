//! The trace: one JSON line per socket call the guest made.

use crate::plan::Op;
use crate::resources::ResourceId;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::net::SocketAddr;

/// One socket call (or one wait on a socket pollable), as the guest saw it.
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

/// A summary in a trace line, kept unformatted until the trace is read: formatting every
/// call's summary as it happened was most of what tracing cost a datagram.
///
/// ```
/// use wouldblock::Text;
/// assert_eq!(Text::Ok(3).to_string(), "ok(3)");
/// assert_eq!(Text::Label("outgoing", 1), "outgoing#1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Text {
    /// Fixed words.
    Str(&'static str),
    /// Words made at the call.
    Owned(String),
    /// A resource's label: `outgoing#1`.
    Label(&'static str, u64),
    /// `ok(N)`.
    Ok(u64),
    /// A number: `N`.
    Num(u64),
    /// `N bytes`.
    Bytes(u64),
    /// `ok(N bytes)`.
    OkBytes(u64),
    /// A socket address.
    Addr(SocketAddr),
    /// A wait's socket pollables and how many others (clocks, streams) it also waited on:
    /// `outgoing#1, incoming#2 + 1 other`. Others are counted, not named, so a deadline
    /// that varies between runs does not change the trace.
    Waits {
        /// The socket resources' labels.
        labels: Vec<Text>,
        /// How many other pollables.
        others: u64,
    },
    /// The socket pollables a wait found ready (`outgoing#1`), or `other` when only
    /// another pollable (a clock) was: the line stays the same whichever fired first.
    Ready(Vec<Text>),
    /// `N datagram(s), B bytes[ to ADDR]`.
    Datagrams {
        /// Datagrams in the call.
        count: u64,
        /// Their bytes in all.
        bytes: u64,
        /// The first one's address, if it names one.
        to: Option<SocketAddr>,
    },
}

impl Default for Text {
    fn default() -> Self {
        Text::Str("")
    }
}

impl Text {
    /// The port this summary names, for normalisation.
    fn port(&self) -> Option<u16> {
        match self {
            Text::Addr(addr) | Text::Datagrams { to: Some(addr), .. } => Some(addr.port()),
            _ => None,
        }
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Text::Str(s) => f.write_str(s),
            Text::Owned(s) => f.write_str(s),
            Text::Label(kind, n) => write!(f, "{kind}#{n}"),
            Text::Ok(n) => write!(f, "ok({n})"),
            Text::Num(n) => write!(f, "{n}"),
            Text::Bytes(n) => write!(f, "{n} bytes"),
            Text::OkBytes(n) => write!(f, "ok({n} bytes)"),
            Text::Addr(addr) => write!(f, "{addr}"),
            Text::Waits { labels, others } => {
                join(f, labels)?;
                match others {
                    0 => Ok(()),
                    n => write!(f, " + {n} other"),
                }
            }
            Text::Ready(labels) if labels.is_empty() => f.write_str("other"),
            Text::Ready(labels) => join(f, labels),
            Text::Datagrams { count, bytes, to } => {
                write!(f, "{count} datagram(s), {bytes} bytes")?;
                match to {
                    Some(addr) => write!(f, " to {addr}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// `a, b, c`.
fn join(f: &mut std::fmt::Formatter<'_>, items: &[Text]) -> std::fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        match self {
            Text::Str(s) => s == other,
            Text::Owned(s) => s == other,
            _ => self.to_string().as_str() == *other,
        }
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Self {
        Text::Str(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::Owned(s)
    }
}

/// Events kept in full; a longer run keeps counting and keeps its last events for
/// verdict evidence, so memory stays bounded whatever the guest does.
pub const TRACE_LIMIT: usize = 100_000;
/// Events kept at the end of a run that went past [`TRACE_LIMIT`].
const TAIL: usize = 16;

/// All events of one run, in order (the first [`TRACE_LIMIT`] of them).
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
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// How many events the run had, kept or not.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The last `n` events (at most 16 past the limit): the evidence behind a verdict.
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
    /// appearance, so two runs with different ephemeral ports compare equal.
    pub fn normalized(&self) -> Trace {
        let aliases = self.port_aliases();
        let alias = |e: &Event| {
            let mut e = e.clone();
            for text in [&mut e.args, &mut e.result] {
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
