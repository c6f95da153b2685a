//! The operations of the plan language: every call and wait a rule can match.

use std::fmt;

/// A socket operation that a rule can match.
///
/// Named `interface.function` after the WIT. Each operation is either a call with an
/// answer (`udp.send`) or a wait on a resource's pollable (`udp.outgoing-pollable`), whose
/// rules set only the readiness.
///
/// ```
/// use wouldblock::Op;
/// assert_eq!(Op::UdpSend.to_string(), "udp.send");
/// assert_eq!(Op::from_name("tcp.read"), Some(Op::TcpRead));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Op {
    /// `wasi:sockets/udp-create-socket.create-udp-socket`.
    UdpCreateSocket,
    /// `udp-socket.start-bind`.
    UdpBind,
    /// `udp-socket.stream`.
    UdpStream,
    /// `outgoing-datagram-stream.check-send`.
    UdpCheckSend,
    /// `outgoing-datagram-stream.send`.
    UdpSend,
    /// `incoming-datagram-stream.receive`.
    UdpReceive,
    /// Waits (`poll`, `block`, `ready`) on a `udp-socket`'s pollable.
    UdpSocketPollable,
    /// Waits on an `incoming-datagram-stream`'s pollable.
    UdpIncomingPollable,
    /// Waits on an `outgoing-datagram-stream`'s pollable.
    UdpOutgoingPollable,
    /// `wasi:sockets/tcp-create-socket.create-tcp-socket`.
    TcpCreateSocket,
    /// `tcp-socket.start-bind`.
    TcpBind,
    /// `tcp-socket.finish-connect`: `ok-zero` is a connect still pending (`would-block`).
    TcpConnect,
    /// `tcp-socket.finish-listen`.
    TcpListen,
    /// `tcp-socket.accept`: `ok-zero` is no connection yet (`would-block`).
    TcpAccept,
    /// `input-stream.read` (and `blocking-read`, `skip`) on a TCP connection.
    TcpRead,
    /// `output-stream.check-write` on a TCP connection.
    TcpCheckWrite,
    /// `output-stream.write` (and the `blocking-*` writes) on a TCP connection.
    TcpWrite,
    /// `output-stream.flush` (and `blocking-flush`) on a TCP connection.
    TcpFlush,
    /// `tcp-socket.shutdown`.
    TcpShutdown,
    /// Waits on a `tcp-socket`'s pollable (connect, listen, accept readiness).
    TcpSocketPollable,
    /// Waits on a TCP connection's input-stream pollable.
    TcpInputPollable,
    /// Waits on a TCP connection's output-stream pollable.
    TcpOutputPollable,
    /// `wasi:sockets/ip-name-lookup.resolve-addresses`: `ipv6-first` puts the IPv6
    /// addresses of the answer first.
    DnsResolve,
    /// `resolve-address-stream.resolve-next-address`: `ok-zero` is a lookup still in
    /// progress (`would-block`).
    DnsResolveNextAddress,
    /// Waits on a `resolve-address-stream`'s pollable.
    DnsLookupPollable,
    /// `wasi:http/outgoing-handler.handle`: the request is sent.
    HttpHandle,
    /// `future-incoming-response.get`: `ok-zero` is a response not there yet (`none`).
    HttpResponseGet,
    /// Waits on a `future-incoming-response`'s pollable.
    HttpResponsePollable,
    /// `input-stream.read` (and `blocking-read`) on an incoming HTTP body's stream.
    HttpBodyRead,
    /// `output-stream.check-write` on an outgoing HTTP body's stream.
    HttpBodyCheckWrite,
    /// `output-stream.write` (and the `blocking-*` writes) on an outgoing HTTP body's
    /// stream.
    HttpBodyWrite,
    /// `output-stream.flush` (and `blocking-flush`) on an outgoing HTTP body's stream.
    HttpBodyFlush,
    /// Waits on an incoming HTTP body stream's pollable.
    HttpBodyInputPollable,
    /// Waits on an outgoing HTTP body stream's pollable.
    HttpBodyOutputPollable,
    /// `future-trailers.get`: `ok-zero` is trailers not there yet (`none`).
    HttpTrailersGet,
    /// Waits on a `future-trailers`' pollable.
    HttpTrailersPollable,
}

impl Op {
    /// Every operation, in a stable order. What each one is called and how it behaves is
    /// in its interface's table (`wasi/<interface>.rs`).
    ///
    /// ```
    /// use wouldblock::Op;
    /// assert!(Op::ALL.iter().all(|op| Op::from_name(op.name()) == Some(*op)));
    /// ```
    pub const ALL: [Op; 36] = [
        Op::UdpCreateSocket,
        Op::UdpBind,
        Op::UdpStream,
        Op::UdpCheckSend,
        Op::UdpSend,
        Op::UdpReceive,
        Op::UdpSocketPollable,
        Op::UdpIncomingPollable,
        Op::UdpOutgoingPollable,
        Op::TcpCreateSocket,
        Op::TcpBind,
        Op::TcpConnect,
        Op::TcpListen,
        Op::TcpAccept,
        Op::TcpRead,
        Op::TcpCheckWrite,
        Op::TcpWrite,
        Op::TcpFlush,
        Op::TcpShutdown,
        Op::TcpSocketPollable,
        Op::TcpInputPollable,
        Op::TcpOutputPollable,
        Op::DnsResolve,
        Op::DnsResolveNextAddress,
        Op::DnsLookupPollable,
        Op::HttpHandle,
        Op::HttpResponseGet,
        Op::HttpResponsePollable,
        Op::HttpBodyRead,
        Op::HttpBodyCheckWrite,
        Op::HttpBodyWrite,
        Op::HttpBodyFlush,
        Op::HttpBodyInputPollable,
        Op::HttpBodyOutputPollable,
        Op::HttpTrailersGet,
        Op::HttpTrailersPollable,
    ];
}

/// How an operation says "not now" (what `ok-zero` means for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotReady {
    /// An empty answer: `ok(0)`, an empty list, no bytes.
    Empty,
    /// `error(would-block)`: a pending `finish-connect` or `accept`.
    WouldBlock,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
