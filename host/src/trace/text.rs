//! A trace line's summaries ([`Text`]): kept as data while the guest runs, formatted only
//! when the trace is read.

use serde::Serialize;
use std::net::SocketAddr;

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
    pub(super) fn port(&self) -> Option<u16> {
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
