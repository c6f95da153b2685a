//! The datagram streams of one `stream()` call and their single attempts: one
//! `check-send` and at most one `send` of one datagram, one `receive(1)`. Waiting and
//! retrying are the socket's ([`super::UdpSocket`]).

use std::io;
use std::net::SocketAddr;

use super::addr::{from_wasi, to_wasi};
use super::wait::would_block;
use crate::error::error_code_to_io;
use wasi::io::poll::Pollable;
use wasi::sockets::network::ErrorCode;
use wasi::sockets::udp::{
    IncomingDatagramStream, OutgoingDatagram, OutgoingDatagramStream, UdpSocket as WasiUdpSocket,
};

/// The streams of one `stream()` call, with their pollables subscribed once
/// and reused for every wait.
///
/// Fields drop in declaration order: pollables are children of their stream
/// on the host.
pub(super) struct Streams {
    pub(super) incoming_ready: Pollable,
    pub(super) outgoing_ready: Pollable,
    incoming: IncomingDatagramStream,
    outgoing: OutgoingDatagramStream,
}

impl Streams {
    pub(super) fn open(socket: &WasiUdpSocket, remote: Option<SocketAddr>) -> io::Result<Self> {
        let (incoming, outgoing) = socket
            .stream(remote.map(to_wasi))
            .map_err(error_code_to_io)?;
        Ok(Self {
            incoming_ready: incoming.subscribe(),
            outgoing_ready: outgoing.subscribe(),
            incoming,
            outgoing,
        })
    }

    /// One `check-send` + at most one `send` of one datagram.
    pub(super) fn try_send(&self, data: &[u8], to: Option<SocketAddr>) -> io::Result<usize> {
        self.send_once(data, to, true)
    }

    /// [`Self::try_send`]; with `honour_count` false, a `send` that accepted
    /// nothing is taken as sent (the bug `udp-send-ignore-count` reproduces).
    pub(super) fn send_once(
        &self,
        data: &[u8],
        to: Option<SocketAddr>,
        honour_count: bool,
    ) -> io::Result<usize> {
        // WIT: "Returns the number of datagrams permitted for the next call
        // to `send`, or an error." (`would-block` from a legacy host maps to
        // WouldBlock like ok(0) below.)
        let permit = self.outgoing.check_send().map_err(error_code_to_io)?;
        if permit == 0 {
            // WIT: "When this function returns ok(0), the `subscribe` pollable
            // will become ready when this function will report at least ok(1),
            // or an error."
            return Err(would_block("check-send permitted 0 datagrams"));
        }
        // WIT: "Calling `send` with more datagrams than this function has
        // permitted will trap." One datagram fits any non-zero permit.
        let datagram = OutgoingDatagram {
            data: data.to_vec(),
            remote_address: to.map(to_wasi),
        };
        match self.outgoing.send(&[datagram]) {
            // WIT: "If none of the datagrams were able to be sent, `ok(0)` is
            // returned."
            Ok(0) if honour_count => Err(would_block("send accepted 0 datagrams")),
            Ok(_) => Ok(data.len()),
            // WIT: "This function never returns `error(would-block)`." Legacy
            // hosts do; it means the same as ok(0).
            Err(ErrorCode::WouldBlock) => Err(would_block("send answered would-block")),
            Err(code) => Err(error_code_to_io(code)),
        }
    }

    /// One `receive(1)`, copied into `buf` (truncated like std).
    pub(super) fn try_recv(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        // Ask for one datagram only: a second would have nowhere to go.
        let mut datagrams = self.incoming.receive(1).map_err(error_code_to_io)?;
        // WIT: "This function returns successfully with an empty list when
        // ... `max-results` is greater than 0, but no results are immediately
        // available." An empty non-blocking read is not end-of-stream.
        let datagram = datagrams
            .pop()
            .ok_or_else(|| would_block("receive returned no datagram"))?;
        let len = datagram.data.len().min(buf.len());
        buf[..len].copy_from_slice(&datagram.data[..len]);
        Ok((len, from_wasi(datagram.remote_address)))
    }
}
