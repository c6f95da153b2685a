//! The recorder of one run: the trace and the counters. The decorators report what
//! happened here; verdicts read it.

use crate::plan::Op;
use crate::trace::{Event, Trace};

/// The counters printed in the summary line and returned in an [`Outcome`](crate::Outcome).
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::{Builder, PeerOptions};
/// let harness = Builder::new()
///     .fault("first-send")?
///     .peer(PeerOptions::counting().expect_datagrams(3))
///     .build()?;
/// let guest = harness.compile("udp-send", wouldblock_guests::UDP_SEND.wasm)?;
/// let stats = harness.run(&guest, &["{peer}", "--count", "3"])?.stats;
/// assert_eq!((stats.faults_injected, stats.datagrams_accepted), (1, 3));
/// # Ok(()) }
/// ```
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

impl Stats {
    /// A call of `op` was made.
    pub(crate) fn called(&mut self, op: Op) {
        match op {
            Op::UdpCheckSend => self.check_send_calls += 1,
            Op::UdpSend => self.send_calls += 1,
            Op::UdpReceive => self.receive_calls += 1,
            _ => {}
        }
    }

    /// A call of `op` moved `n` datagrams or bytes.
    pub(crate) fn moved(&mut self, op: Op, n: u64) {
        match op {
            Op::UdpSend => self.datagrams_accepted += n,
            Op::UdpReceive => self.datagrams_received += n,
            Op::TcpRead => self.tcp_bytes_read += n,
            Op::TcpWrite => self.tcp_bytes_written += n,
            _ => {}
        }
    }
}

/// What one run recorded.
#[derive(Default)]
pub(crate) struct Recorder {
    pub(crate) stats: Stats,
    pub(crate) trace: Trace,
}

impl Recorder {
    /// Appends a trace event, stamped with the time it happened (virtual time).
    pub(crate) fn record(&mut self, mut event: Event, time_ns: Option<u64>) {
        event.time_ns = time_ns;
        self.trace.push(event);
    }
}
