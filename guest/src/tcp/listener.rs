//! [`TcpListener`]: bind, listen and accept over `wasi:sockets/tcp`.

use std::cell::Cell;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use super::{TcpStream, blocking};
use crate::error::error_code_to_io;
use crate::udp::{check_timeout, family, from_wasi, to_wasi};
use wasi::io::poll::Pollable;
use wasi::sockets::instance_network::instance_network;
use wasi::sockets::network::ErrorCode;
use wasi::sockets::tcp::TcpSocket as WasiTcpSocket;
use wasi::sockets::tcp_create_socket::create_tcp_socket;

/// A listening TCP socket whose [`accept`](Self::accept) waits in
/// `wasi:io/poll`, never sleeps and never spins.
///
/// - [`try_accept`](Self::try_accept) makes one `accept` and answers
///   [`io::ErrorKind::WouldBlock`] when no connection is pending.
/// - [`accept`](Self::accept) retries, waiting on the socket's pollable plus
///   an insurance clock, until a connection arrives, an error other than
///   would-block occurs, or the timeout set with
///   [`set_accept_timeout`](Self::set_accept_timeout) expires
///   ([`io::ErrorKind::TimedOut`]).
/// - [`pollable`](Self::pollable) lends the socket's pollable to programs
///   that wait on many sockets at once.
///
/// ```no_run
/// use std::time::Duration;
/// use wouldblock_guest::tcp::TcpListener;
///
/// # fn main() -> std::io::Result<()> {
/// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// println!("listening on {}", listener.local_addr()?);
/// listener.set_accept_timeout(Some(Duration::from_secs(10)))?;
/// let (stream, peer) = listener.accept()?;
/// let mut buf = [0u8; 1024];
/// let len = stream.read(&mut buf)?;
/// stream.write_all(&buf[..len])?;
/// stream.flush()?;
/// println!("echoed {len} bytes to {peer}");
/// # Ok(())
/// # }
/// ```
pub struct TcpListener {
    // Declared before `socket` so it drops first: the host keeps the
    // pollable as a child of the socket and traps when a parent goes first.
    ready: Pollable,
    socket: WasiTcpSocket,
    accept_timeout: Cell<Option<Duration>>,
}

impl TcpListener {
    /// Creates a socket of `addr`'s family, binds it to `addr` (port 0: any
    /// free port, see [`local_addr`](Self::local_addr)) and listens.
    ///
    /// `finish-bind` and `finish-listen` are retried while they answer
    /// `would-block`, waiting on the socket's pollable between attempts.
    pub fn bind(addr: SocketAddr) -> io::Result<Self> {
        let socket = create_tcp_socket(family(addr)).map_err(error_code_to_io)?;
        // WIT: "When `finish-bind`, `finish-listen`, `finish-connect` or
        // `accept` return `error(would-block)`, this pollable can be used to
        // wait for their success or failure, after which the method can be
        // retried." Subscribed once for the socket's lifetime.
        let ready = socket.subscribe();
        socket
            .start_bind(&instance_network(), to_wasi(addr))
            .map_err(error_code_to_io)?;
        finish(&ready, "tcp bind", || socket.finish_bind())?;
        socket.start_listen().map_err(error_code_to_io)?;
        finish(&ready, "tcp listen", || socket.finish_listen())?;
        Ok(Self {
            ready,
            socket,
            accept_timeout: Default::default(),
        })
    }

    /// The `wasi:sockets` socket underneath, for calls this library does not
    /// wrap (options such as `set-listen-backlog-size`).
    pub fn as_wasi(&self) -> &WasiTcpSocket {
        &self.socket
    }

    /// The socket's pollable, subscribed once and owned by the listener: it
    /// is ready when a connection may be pending, i.e. when
    /// [`try_accept`](Self::try_accept) is worth calling.
    pub fn pollable(&self) -> &Pollable {
        &self.ready
    }

    /// The address the listener is bound to, with the port the host chose
    /// when bound to port 0.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket
            .local_address()
            .map(from_wasi)
            .map_err(error_code_to_io)
    }

    /// Sets the timeout of [`accept`](Self::accept); `None` waits forever.
    /// A zero duration is rejected like std does.
    pub fn set_accept_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.accept_timeout.set(check_timeout(timeout)?);
        Ok(())
    }

    /// The timeout of [`accept`](Self::accept).
    pub fn accept_timeout(&self) -> Option<Duration> {
        self.accept_timeout.get()
    }

    /// One non-blocking `accept`: the connected stream and its peer.
    ///
    /// [`io::ErrorKind::WouldBlock`] when no connection is pending.
    pub fn try_accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        // WIT: "`would-block`: No pending connections at the moment.
        // (EWOULDBLOCK, EAGAIN)" error_code_to_io maps it to WouldBlock.
        let (socket, input, output) = self.socket.accept().map_err(error_code_to_io)?;
        // WIT: "On success, this function returns the newly accepted client
        // socket along with a pair of streams"; the streams are children of
        // the new socket, which TcpStream drops last.
        let stream = TcpStream::from_wasi(socket, input, output);
        let peer = stream.peer_addr()?;
        Ok((stream, peer))
    }

    /// Accepts a connection, waiting for one until the accept timeout.
    ///
    /// An error other than would-block (`connection-aborted`: a pending
    /// connection went away first) is returned as is, like std does.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        blocking(&self.ready, self.accept_timeout.get(), "tcp accept", || {
            self.try_accept()
        })
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .field("accept_timeout", &self.accept_timeout())
            .finish()
    }
}

/// Completes a `start-bind` or `start-listen`: retries `call` while it
/// answers `would-block`, waiting on the socket's pollable.
fn finish(ready: &Pollable, op: &str, call: impl Fn() -> Result<(), ErrorCode>) -> io::Result<()> {
    // WIT: "`would-block`: Can't finish the operation, it is still in
    // progress. (EWOULDBLOCK, EAGAIN)" Any other answer is final. wasmtime
    // finishes both in `start-*`; a host that does not is waited out.
    blocking(ready, None, op, || call().map_err(error_code_to_io))
}
