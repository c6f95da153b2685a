//! A readiness-driven UDP socket over `wasi:sockets/udp@0.2.12`.
//!
//! [`UdpSocket`] keeps the shape of `std::net::UdpSocket`, but is written
//! directly against the WASI 0.2 datagram streams so that every host answer
//! (a `check-send` permit of 0, a `send` of `ok(0)`, `out-of-memory`, an
//! empty `receive`) is handled explicitly. The `// WIT:` comments quote the
//! clause of `wit/deps/sockets/sockets.wit` each branch implements.

mod addr;
mod streams;
#[cfg(test)]
mod tests;
mod wait;

pub use addr::{from_wasi, loopback_for, to_wasi};
// The TCP socket's too.
pub(crate) use addr::family;
pub(crate) use wait::{Backoff, check_timeout, nanos, would_block};

use std::cell::Cell;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::error::error_code_to_io;
use streams::Streams;
use wait::{Woken, wait};
use wasi::clocks::monotonic_clock;
use wasi::io::poll::{self, Pollable};
use wasi::sockets::instance_network::instance_network;
use wasi::sockets::network::ErrorCode;
use wasi::sockets::udp::UdpSocket as WasiUdpSocket;
use wasi::sockets::udp_create_socket::create_udp_socket;

/// How many retries the blocking calls of one direction needed.
///
/// Counted over the socket's lifetime; a retry is one wait between two
/// attempts of the same blocking call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryStats {
    /// Attempts that found the socket not ready (`check-send` permitted 0,
    /// `send` answered `ok(0)`, `receive` returned no datagram) and waited
    /// for readiness.
    pub would_block: u64,
    /// Send attempts answered `out-of-memory` (ENOBUFS) that backed off on a
    /// clock alone. Always 0 for receives.
    pub out_of_memory: u64,
}

impl RetryStats {
    /// All retries, whatever their cause.
    pub fn retries(&self) -> u64 {
        self.would_block + self.out_of_memory
    }
}

/// A UDP socket whose blocking calls wait in `wasi:io/poll`, never sleep and
/// never spin.
///
/// - `try_*` calls make exactly one non-blocking attempt and answer
///   [`io::ErrorKind::WouldBlock`] when the host is not ready.
/// - Blocking calls retry until the datagram is sent or received, an error
///   other than would-block / out-of-memory occurs, or the timeout set with
///   [`set_write_timeout`](Self::set_write_timeout) /
///   [`set_read_timeout`](Self::set_read_timeout) expires
///   ([`io::ErrorKind::TimedOut`]).
/// - Between attempts they block in `poll` on the stream's pollable plus an
///   *insurance* clock (5 ms doubling to 100 ms), so a host that never
///   signals readiness again cannot hang the guest. After `out-of-memory`
///   (ENOBUFS) they wait on the clock alone: readiness cannot be trusted then
///   (firezone#10965, libuv#5194).
/// - When the stream's pollable woke them and the next attempt still would
///   block (a spurious wake-up), the next wait is on the clock alone, so a
///   pollable that lies "ready" cannot turn the loop into a spin.
/// - A datagram is never dropped, and `send` is never called without a
///   non-zero `check-send` permit.
pub struct UdpSocket {
    // Declared before `socket` so it drops first: the host keeps streams as
    // children of the socket and traps when a parent goes first.
    streams: Option<Streams>,
    socket: WasiUdpSocket,
    read_timeout: Cell<Option<Duration>>,
    write_timeout: Cell<Option<Duration>>,
    send_stats: Cell<RetryStats>,
    recv_stats: Cell<RetryStats>,
}

/// Which half of the socket a blocking call drives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Send,
    Receive,
}

impl UdpSocket {
    /// Creates a socket of `addr`'s family, binds it to `addr` and opens
    /// unconnected datagram streams (`stream(none)`).
    pub fn bind(addr: SocketAddr) -> io::Result<Self> {
        let socket = create_udp_socket(family(addr)).map_err(error_code_to_io)?;
        socket
            .start_bind(&instance_network(), to_wasi(addr))
            .map_err(error_code_to_io)?;
        finish_bind(&socket)?;
        Self::from_wasi(socket)
    }

    /// Wraps a bound `wasi:sockets` UDP socket made elsewhere (by the `wasi`
    /// crate, as mio and tokio do, or by hand) and opens its unconnected
    /// streams: the two are one type, so nothing is converted.
    ///
    /// ```no_run
    /// use wasi::sockets::instance_network::instance_network;
    /// use wasi::sockets::network::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
    /// use wasi::sockets::udp_create_socket::create_udp_socket;
    /// use wouldblock_guest::udp::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let raw = create_udp_socket(IpAddressFamily::Ipv4).expect("a socket");
    /// let any = Ipv4SocketAddress { port: 0, address: (127, 0, 0, 1) };
    /// raw.start_bind(&instance_network(), IpSocketAddress::Ipv4(any)).expect("bind");
    /// raw.subscribe().block();
    /// raw.finish_bind().expect("bound");
    /// let socket = UdpSocket::from_wasi(raw)?;
    /// socket.send_to(b"0", "127.0.0.1:9000".parse().unwrap())?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_wasi(socket: WasiUdpSocket) -> io::Result<Self> {
        let streams = Streams::open(&socket, None)?;
        Ok(Self {
            streams: Some(streams),
            socket,
            read_timeout: Default::default(),
            write_timeout: Default::default(),
            send_stats: Default::default(),
            recv_stats: Default::default(),
        })
    }

    /// The `wasi:sockets` socket underneath, for calls this library does not
    /// wrap (options, addresses).
    pub fn as_wasi(&self) -> &WasiUdpSocket {
        &self.socket
    }

    /// Restricts the socket to `addr`: [`send`](Self::send) goes there and
    /// [`recv`](Self::recv) only returns its datagrams.
    ///
    /// On failure the previous association is restored when the host allows,
    /// so the socket stays usable.
    pub fn connect(&mut self, addr: SocketAddr) -> io::Result<()> {
        let previous = self.socket.remote_address().ok().map(from_wasi);
        // WIT: "Implementations may trap if the streams returned by a previous
        // invocation haven't been dropped yet before calling `stream` again."
        self.streams = None;
        match Streams::open(&self.socket, Some(addr)) {
            Ok(streams) => {
                self.streams = Some(streams);
                Ok(())
            }
            Err(err) => {
                self.streams = Streams::open(&self.socket, previous).ok();
                Err(err)
            }
        }
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket
            .local_address()
            .map(from_wasi)
            .map_err(error_code_to_io)
    }

    /// The address the socket is connected to; [`io::ErrorKind::NotConnected`]
    /// when it is not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        match self.socket.remote_address() {
            Ok(addr) => Ok(from_wasi(addr)),
            // WIT: "`invalid-state`: The socket is not streaming to a specific
            // remote address. (ENOTCONN)"
            Err(ErrorCode::InvalidState) => Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "wasi error-code invalid-state: socket is not connected",
            )),
            Err(code) => Err(error_code_to_io(code)),
        }
    }

    /// Sets the timeout of the blocking send calls; `None` waits forever.
    /// A zero duration is rejected like std does.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.write_timeout.set(check_timeout(timeout)?);
        Ok(())
    }

    /// The timeout of the blocking send calls.
    pub fn write_timeout(&self) -> Option<Duration> {
        self.write_timeout.get()
    }

    /// Sets the timeout of the blocking receive calls; `None` waits forever.
    /// A zero duration is rejected like std does.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.read_timeout.set(check_timeout(timeout)?);
        Ok(())
    }

    /// The timeout of the blocking receive calls.
    pub fn read_timeout(&self) -> Option<Duration> {
        self.read_timeout.get()
    }

    /// Retries the blocking send calls needed so far.
    pub fn send_stats(&self) -> RetryStats {
        self.send_stats.get()
    }

    /// Retries the blocking receive calls needed so far.
    pub fn recv_stats(&self) -> RetryStats {
        self.recv_stats.get()
    }

    /// One non-blocking attempt to send `data` to the connected peer.
    ///
    /// [`io::ErrorKind::WouldBlock`] when `check-send` permits nothing or
    /// `send` accepts nothing; the datagram was not sent then.
    pub fn try_send(&self, data: &[u8]) -> io::Result<usize> {
        self.streams()?.try_send(data, None)
    }

    /// One non-blocking attempt to send `data` to `addr`; see
    /// [`try_send`](Self::try_send).
    pub fn try_send_to(&self, data: &[u8], addr: SocketAddr) -> io::Result<usize> {
        self.streams()?.try_send(data, Some(addr))
    }

    /// Sends `data` to the connected peer, waiting for readiness and backing
    /// off after out-of-memory until the write timeout.
    pub fn send(&self, data: &[u8]) -> io::Result<usize> {
        self.blocking(Direction::Send, |streams| streams.try_send(data, None))
    }

    /// Like [`send_to`](Self::send_to), but takes a `send` that accepted
    /// nothing (`ok(0)`) for a datagram sent.
    ///
    /// Only for reproducing senders that ignore the count `send` returns: the
    /// datagram is silently dropped. Nothing else uses it.
    pub fn send_to_ignoring_count(&self, data: &[u8], addr: SocketAddr) -> io::Result<usize> {
        self.blocking(Direction::Send, |streams| {
            streams.send_once(data, Some(addr), false)
        })
    }

    /// Sends `data` to `addr`; see [`send`](Self::send).
    pub fn send_to(&self, data: &[u8], addr: SocketAddr) -> io::Result<usize> {
        self.blocking(Direction::Send, |streams| {
            streams.try_send(data, Some(addr))
        })
    }

    /// One non-blocking attempt to receive a datagram into `buf`, returning
    /// its length (truncated to `buf`, like std).
    ///
    /// [`io::ErrorKind::WouldBlock`] when none is available: not end-of-stream.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.try_recv_from(buf)?.0)
    }

    /// One non-blocking attempt to receive a datagram and its source; see
    /// [`try_recv`](Self::try_recv).
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.streams()?.try_recv(buf)
    }

    /// Receives a datagram into `buf`, waiting for one until the read
    /// timeout.
    ///
    /// A host error such as [`io::ErrorKind::ConnectionRefused`] (an ICMP
    /// port-unreachable) is returned once and the socket stays usable: call
    /// again to keep receiving.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.recv_from(buf)?.0)
    }

    /// Receives a datagram and its source; see [`recv`](Self::recv).
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.blocking(Direction::Receive, |streams| streams.try_recv(buf))
    }

    /// Blocks on the incoming stream's pollable alone (`pollable.block()`):
    /// no insurance clock, no deadline.
    ///
    /// Only for reproducing naive receive loops that trust readiness
    /// completely; a missed wake-up hangs them here. The blocking calls never
    /// use it.
    pub fn block_incoming(&self) -> io::Result<()> {
        self.streams()?.incoming_ready.block();
        Ok(())
    }

    /// Blocks on the outgoing stream's pollable alone (`pollable.block()`):
    /// no insurance clock, no deadline.
    ///
    /// Only for reproducing naive senders that trust readiness completely, as
    /// a blocking send that waits for POLLOUT does; a missed wake-up hangs
    /// them here. The blocking calls never use it.
    pub fn block_outgoing(&self) -> io::Result<()> {
        self.streams()?.outgoing_ready.block();
        Ok(())
    }

    /// Waits on the outgoing stream's pollable and `other` together
    /// (`poll([outgoing, other])`): no clock, no deadline.
    ///
    /// Only for reproducing naive senders that take any wake-up for a
    /// back-off; a pollable that is always ready (stdin at its end) makes
    /// them spin here. The blocking calls never use it.
    pub fn wait_outgoing_or(&self, other: &Pollable) -> io::Result<()> {
        poll::poll(&[&self.streams()?.outgoing_ready, other]);
        Ok(())
    }

    /// Waits on this socket's incoming pollable and `other`'s together
    /// (`poll([this, other])`): no clock, no deadline. Returns whether this
    /// socket's was among the ready ones.
    ///
    /// Only for probing how the harness decides a wait that real sockets
    /// alone can end. The blocking calls never use it.
    pub fn wait_incoming_with(&self, other: &UdpSocket) -> io::Result<bool> {
        let ready = poll::poll(&[
            &self.streams()?.incoming_ready,
            &other.streams()?.incoming_ready,
        ]);
        Ok(ready.contains(&0))
    }

    /// Polls this socket's incoming pollable and `other` together once
    /// (`poll([incoming, other])`); returns whether the incoming one was ready.
    ///
    /// Only for probing busy-poll loops (a zero-duration timer beside the
    /// socket). The blocking calls never use it.
    pub fn incoming_or(&self, other: &Pollable) -> io::Result<bool> {
        let ready = poll::poll(&[&self.streams()?.incoming_ready, other]);
        Ok(ready.contains(&0))
    }

    fn streams(&self) -> io::Result<&Streams> {
        self.streams.as_ref().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotConnected,
                "socket has no datagram streams: a connect failed and the previous \
                 association could not be restored",
            )
        })
    }

    /// The retry loop shared by every blocking call: one `attempt`, then one
    /// wait, until success, a fatal error or the deadline.
    fn blocking<T>(
        &self,
        direction: Direction,
        mut attempt: impl FnMut(&Streams) -> io::Result<T>,
    ) -> io::Result<T> {
        let streams = self.streams()?;
        let (readiness, timeout, stats, op) = match direction {
            Direction::Send => (
                &streams.outgoing_ready,
                self.write_timeout.get(),
                &self.send_stats,
                "udp send",
            ),
            Direction::Receive => (
                &streams.incoming_ready,
                self.read_timeout.get(),
                &self.recv_stats,
                "udp receive",
            ),
        };
        // Created once per call, so the deadline does not move on retries.
        let deadline = timeout.map(|t| monotonic_clock::subscribe_duration(nanos(t)));
        let mut backoff = Backoff::new();
        let mut woken = Woken::Clock;
        let mut attempts: u64 = 0;
        loop {
            attempts += 1;
            let err = match attempt(streams) {
                Ok(value) => return Ok(value),
                Err(err) => err,
            };
            let mut counts = stats.get();
            woken = match err.kind() {
                io::ErrorKind::WouldBlock => {
                    counts.would_block += 1;
                    // If the pollable woke the last wait and the attempt still
                    // would block, the readiness was spurious: waiting on it
                    // again would return at once, i.e. spin. Wait this round
                    // on the clock alone.
                    let trusted = (woken != Woken::Readiness).then_some(readiness);
                    wait(trusted, &backoff.clock(), deadline.as_ref())
                }
                io::ErrorKind::OutOfMemory if direction == Direction::Send => {
                    counts.out_of_memory += 1;
                    // ENOBUFS: the socket may look writable while the kernel
                    // still has no buffers (firezone#10965, libuv#5194), so
                    // back off on the clock alone.
                    wait(None, &backoff.clock(), deadline.as_ref())
                }
                _ => return Err(err),
            };
            stats.set(counts);
            if woken == Woken::Deadline {
                let ms = timeout.map_or(0, |t| t.as_millis());
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{op} timed out after {ms} ms and {attempts} attempts (last: {err})"),
                ));
            }
        }
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .field("read_timeout", &self.read_timeout())
            .field("write_timeout", &self.write_timeout())
            .finish()
    }
}

/// Completes a `start-bind`, waiting on the socket's pollable while the host
/// says the bind is still in progress.
fn finish_bind(socket: &WasiUdpSocket) -> io::Result<()> {
    // Subscribed lazily: wasmtime binds in `start-bind` and never needs it.
    let mut ready: Option<Pollable> = None;
    loop {
        match socket.finish_bind() {
            // WIT: "`would-block`: Can't finish the operation, it is still in
            // progress. (EWOULDBLOCK, EAGAIN)"
            Err(ErrorCode::WouldBlock) => ready.get_or_insert_with(|| socket.subscribe()).block(),
            result => return result.map_err(error_code_to_io),
        }
    }
}
