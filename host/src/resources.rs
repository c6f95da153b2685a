//! The resources the harness follows, as every part names them: a [`Kind`] (what the
//! resource is) and a [`ResourceId`] (which one, in this run). Each interface's table
//! (`wasi/<interface>.rs`) gives its kinds their trace labels and wait operations.

use serde::Serialize;

/// The kinds of socket resource the harness follows.
///
/// ```
/// use wouldblock::Kind;
/// assert_eq!(Kind::UdpOutgoing.label(), "outgoing");
/// assert_eq!(Kind::UdpOutgoing.wait_op().name(), "udp.outgoing-pollable");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A `udp-socket`.
    UdpSocket,
    /// An `incoming-datagram-stream`.
    UdpIncoming,
    /// An `outgoing-datagram-stream`.
    UdpOutgoing,
    /// A `tcp-socket`.
    TcpSocket,
    /// A TCP connection's input stream.
    TcpInput,
    /// A TCP connection's output stream.
    TcpOutput,
    /// A `resolve-address-stream`: one name lookup.
    Lookup,
    /// A `wasi:http` `future-incoming-response`: one request's response to come.
    HttpResponse,
    /// The input stream of an incoming HTTP body.
    HttpBodyInput,
    /// The output stream of an outgoing HTTP body.
    HttpBodyOutput,
    /// A `future-trailers`: an incoming body's trailers to come.
    HttpTrailers,
}

/// What a permit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// One `send` call may carry this many datagrams; the permit is used up by the call.
    // WIT: "Each call to `send` must be permitted by a preceding `check-send`."
    Datagrams,
    /// Writes may carry this many bytes in all until the next check.
    Bytes,
}

/// One resource of a run: its kind and its serial, numbered from 1 in order of creation
/// and never reused within the run (a table rep is reused after a drop; a serial is not).
///
/// ```
/// use wouldblock::{Kind, ResourceId};
/// let id = ResourceId { kind: Kind::TcpInput, serial: 3 };
/// assert_eq!(serde_json::to_string(&id).unwrap(), r#"{"kind":"input","serial":3}"#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ResourceId {
    /// What it is.
    pub kind: Kind,
    /// Which one.
    pub serial: u64,
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.label())
    }
}
