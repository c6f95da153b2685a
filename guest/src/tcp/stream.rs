//! [`TcpStream`]: connect, read, write, flush and shut down over
//! `wasi:sockets/tcp` and `wasi:io/streams`.

use std::cell::Cell;
use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use super::blocking;
use crate::error::{error_code_to_io, stream_failure_to_io};
use crate::udp::{check_timeout, family, from_wasi, to_wasi, would_block};
use wasi::io::poll::Pollable;
use wasi::io::streams::{InputStream, OutputStream, StreamError};
use wasi::sockets::instance_network::instance_network;
use wasi::sockets::network::ErrorCode;
use wasi::sockets::tcp::{ShutdownType, TcpSocket as WasiTcpSocket};
use wasi::sockets::tcp_create_socket::create_tcp_socket;

/// A connected TCP stream whose blocking calls wait in `wasi:io/poll`, never
/// sleep and never spin.
///
/// - [`try_read`](Self::try_read) makes exactly one `read`: bytes are
///   `Ok(n)`, an empty read is [`io::ErrorKind::WouldBlock`] (nothing yet,
///   *not* the end), and only `stream-error::closed` is `Ok(0)`, the end of
///   the stream.
/// - [`try_write`](Self::try_write) makes one `check-write` and writes at
///   most the permit (a write beyond it traps); a permit of 0 is
///   [`io::ErrorKind::WouldBlock`].
/// - The blocking calls ([`connect`](Self::connect), [`read`](Self::read),
///   [`write`](Self::write), [`flush`](Self::flush) and the `*_exact` /
///   `*_all` loops) retry, waiting on the stream's pollable plus an
///   insurance clock, until done, an error other than would-block, or the
///   read / write timeout ([`io::ErrorKind::TimedOut`]); each call has its
///   own deadline, like std's `SO_RCVTIMEO` / `SO_SNDTIMEO`.
/// - A failed read or write (`last-operation-failed`) maps to the kind its
///   error names, e.g. [`io::ErrorKind::ConnectionReset`]
///   ([`crate::error::stream_failure_to_io`]).
///
/// ```no_run
/// use std::time::Duration;
/// use wouldblock_guest::tcp::TcpStream;
///
/// # fn main() -> std::io::Result<()> {
/// let peer = "127.0.0.1:9000".parse().unwrap();
/// let stream = TcpStream::connect_timeout(peer, Duration::from_secs(5))?;
/// stream.set_read_timeout(Some(Duration::from_secs(5)))?;
/// stream.set_write_timeout(Some(Duration::from_secs(5)))?;
/// stream.write_all(b"hello")?;
/// stream.flush()?;
/// let mut echo = [0u8; 5];
/// stream.read_exact(&mut echo)?;
/// stream.shutdown(std::net::Shutdown::Write)?;
/// assert_eq!(stream.read(&mut echo)?, 0, "the peer closed");
/// # Ok(())
/// # }
/// ```
pub struct TcpStream {
    // Fields drop in declaration order, and the host traps when a parent
    // goes before its children: the pollables are children of their stream,
    // the streams children of the socket.
    input_ready: Pollable,
    output_ready: Pollable,
    input: InputStream,
    output: OutputStream,
    socket: WasiTcpSocket,
    read_timeout: Cell<Option<Duration>>,
    write_timeout: Cell<Option<Duration>>,
}

impl TcpStream {
    /// Connects to `addr`, waiting for the connection however long it takes.
    pub fn connect(addr: SocketAddr) -> io::Result<Self> {
        connect(addr, None)
    }

    /// Connects to `addr`, giving up after `timeout`
    /// ([`io::ErrorKind::TimedOut`]). A zero duration is rejected like std
    /// does.
    pub fn connect_timeout(addr: SocketAddr, timeout: Duration) -> io::Result<Self> {
        connect(addr, check_timeout(Some(timeout))?)
    }

    /// Wraps a connected `wasi:sockets` socket and its two streams, as
    /// `finish-connect` or `accept` returned them (by the `wasi` crate, as
    /// mio and tokio do, or by hand): the types are one, nothing is
    /// converted.
    pub fn from_wasi(socket: WasiTcpSocket, input: InputStream, output: OutputStream) -> Self {
        Self {
            // WIT: "The created `pollable` is a child resource of the
            // `input-stream`." Subscribed once and reused for every wait.
            input_ready: input.subscribe(),
            output_ready: output.subscribe(),
            input,
            output,
            socket,
            read_timeout: Default::default(),
            write_timeout: Default::default(),
        }
    }

    /// The `wasi:sockets` socket underneath, for calls this library does not
    /// wrap (options such as `set-keep-alive-enabled`).
    pub fn as_wasi(&self) -> &WasiTcpSocket {
        &self.socket
    }

    /// The connection's two streams, for calls this library does not make
    /// (`splice`, or a test that breaks the rules on purpose).
    pub fn as_wasi_streams(&self) -> (&InputStream, &OutputStream) {
        (&self.input, &self.output)
    }

    /// The input stream's pollable, owned by the stream: ready when a read
    /// has bytes or the end of the stream to report.
    pub fn read_pollable(&self) -> &Pollable {
        &self.input_ready
    }

    /// The output stream's pollable, owned by the stream: ready when
    /// `check-write` permits at least one byte, or the stream failed.
    pub fn write_pollable(&self) -> &Pollable {
        &self.output_ready
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.socket
            .remote_address()
            .map(from_wasi)
            .map_err(error_code_to_io)
    }

    /// The local address of the connection.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket
            .local_address()
            .map(from_wasi)
            .map_err(error_code_to_io)
    }

    /// Sets the timeout of each blocking read; `None` waits forever. A zero
    /// duration is rejected like std does.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.read_timeout.set(check_timeout(timeout)?);
        Ok(())
    }

    /// The timeout of each blocking read.
    pub fn read_timeout(&self) -> Option<Duration> {
        self.read_timeout.get()
    }

    /// Sets the timeout of each blocking write and flush; `None` waits
    /// forever. A zero duration is rejected like std does.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.write_timeout.set(check_timeout(timeout)?);
        Ok(())
    }

    /// The timeout of each blocking write and flush.
    pub fn write_timeout(&self) -> Option<Duration> {
        self.write_timeout.get()
    }

    /// Exactly one non-blocking `read` into `buf`.
    ///
    /// `Ok(n > 0)`: bytes. `Ok(0)`: the end of the stream (or an empty
    /// `buf`, which reads nothing, like std). [`io::ErrorKind::WouldBlock`]:
    /// no bytes yet, which is not the end.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let len = u64::try_from(buf.len()).unwrap_or(u64::MAX);
        match self.input.read(len) {
            // WIT: "The list is empty when no bytes are available for reading
            // at this time. The pollable given by `subscribe` will be ready
            // when more bytes are available." Nothing yet, not the end.
            Ok(bytes) if bytes.is_empty() => Err(would_block("read returned no bytes")),
            // WIT: "The returned list will contain up to `len` bytes; it may
            // return fewer than requested, but not more." A host that does
            // is not trusted with the rest.
            Ok(bytes) if bytes.len() > buf.len() => Err(io::Error::other(format!(
                "read of {} bytes returned {}",
                buf.len(),
                bytes.len()
            ))),
            Ok(bytes) => {
                buf[..bytes.len()].copy_from_slice(&bytes);
                Ok(bytes.len())
            }
            // WIT: "`closed`: The stream is closed: no more input will be
            // accepted by the stream." The one end of the stream.
            Err(StreamError::Closed) => Ok(0),
            // WIT: "`last-operation-failed`: The last operation ... failed
            // before completion." (connection-reset, ...)
            Err(StreamError::LastOperationFailed(error)) => Err(stream_failure_to_io(&error)),
        }
    }

    /// Reads into `buf`, waiting for at least one byte or the end of the
    /// stream (`Ok(0)`) until the read timeout.
    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        blocking(
            &self.input_ready,
            self.read_timeout.get(),
            "tcp read",
            || self.try_read(buf),
        )
    }

    /// Fills `buf` with blocking reads (each with the read timeout).
    ///
    /// The end of the stream first is [`io::ErrorKind::UnexpectedEof`],
    /// saying `connection closed after X of Y bytes`.
    pub fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.read(&mut buf[filled..])? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("connection closed after {filled} of {} bytes", buf.len()),
                    ));
                }
                len => filled += len,
            }
        }
        Ok(())
    }

    /// One `check-write` and at most one `write` of at most the permit:
    /// the bytes written.
    ///
    /// [`io::ErrorKind::WouldBlock`] when the permit is 0; an empty `data`
    /// writes nothing and is `Ok(0)`, like std. A closed stream (after
    /// [`shutdown`](Self::shutdown)) is [`io::ErrorKind::BrokenPipe`].
    pub fn try_write(&self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        // WIT: "Returns the number of bytes permitted for the next call to
        // `write`, or an error."
        let permit = self.output.check_write().map_err(write_error)?;
        if permit == 0 {
            // WIT: "When this function returns 0 bytes, the `subscribe`
            // pollable will become ready when this function will report at
            // least 1 byte, or an error."
            return Err(would_block("check-write permitted 0 bytes"));
        }
        // WIT: "Calling `write` with more bytes than this function has
        // permitted will trap."
        let len = usize::try_from(permit)
            .unwrap_or(usize::MAX)
            .min(data.len());
        // WIT: "returns Err(closed) without writing if the stream has closed
        // since the last call to check-write provided a permit."
        self.output.write(&data[..len]).map_err(write_error)?;
        Ok(len)
    }

    /// Writes some of `data`, waiting for a permit until the write timeout:
    /// the bytes written, at least one unless `data` is empty.
    pub fn write(&self, data: &[u8]) -> io::Result<usize> {
        blocking(
            &self.output_ready,
            self.write_timeout.get(),
            "tcp write",
            || self.try_write(data),
        )
    }

    /// Writes all of `data` with blocking writes (each with the write
    /// timeout). Call [`flush`](Self::flush) before dropping the stream.
    pub fn write_all(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let len = self.write(data)?;
            data = &data[len..];
        }
        Ok(())
    }

    /// Requests a flush, then answers whether it completed: `Ok(())` once
    /// `check-write` permits a byte again, [`io::ErrorKind::WouldBlock`]
    /// while the flush is still running. Requesting again is harmless.
    pub fn try_flush(&self) -> io::Result<()> {
        // WIT: "the output which is expected to be flushed is all that has
        // been passed to `write` prior to this call."
        self.output.flush().map_err(write_error)?;
        self.flushed()
    }

    /// Flushes everything written, waiting until the write timeout for the
    /// flush to complete.
    pub fn flush(&self) -> io::Result<()> {
        self.output.flush().map_err(write_error)?;
        blocking(
            &self.output_ready,
            self.write_timeout.get(),
            "tcp flush",
            || self.flushed(),
        )
    }

    /// Whether the last flush completed: one `check-write`.
    fn flushed(&self) -> io::Result<()> {
        // WIT: "Upon calling this function, the `output-stream` will not
        // accept any writes (`check-write` will return `ok(0)`) until the
        // flush has completed. The `subscribe` pollable will become ready
        // when the flush has completed and the stream can accept more
        // writes."
        match self.output.check_write().map_err(write_error)? {
            0 => Err(would_block("flush still in progress")),
            _ => Ok(()),
        }
    }

    /// Shuts down the read side, the write side (a FIN once the bytes
    /// written so far are sent) or both. The stream stays to be dropped.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        let how = match how {
            // WIT: "`receive`: ... The `input-stream` associated with this
            // socket will be closed."
            Shutdown::Read => ShutdownType::Receive,
            // WIT: "`send`: The socket has no more data to send to the peer.
            // The `output-stream` associated with this socket will be closed
            // and a FIN packet will be sent."
            Shutdown::Write => ShutdownType::Send,
            Shutdown::Both => ShutdownType::Both,
        };
        self.socket.shutdown(how).map_err(error_code_to_io)
    }
}

impl io::Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        TcpStream::read(self, buf)
    }
}

impl io::Write for TcpStream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        TcpStream::write(self, data)
    }

    fn flush(&mut self) -> io::Result<()> {
        TcpStream::flush(self)
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .field("read_timeout", &self.read_timeout())
            .field("write_timeout", &self.write_timeout())
            .finish()
    }
}

/// `start-connect`, then `finish-connect` until it stops answering
/// `would-block`, waiting on the socket's pollable until `timeout`.
fn connect(addr: SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
    let socket = create_tcp_socket(family(addr)).map_err(error_code_to_io)?;
    // Declared after `socket`, so it drops first on every path.
    let ready = socket.subscribe();
    socket
        .start_connect(&instance_network(), to_wasi(addr))
        .map_err(error_code_to_io)?;
    let op = format!("tcp connect to {addr}");
    let (input, output) = blocking(&ready, timeout, &op, || match socket.finish_connect() {
        // WIT: "`would-block`: Can't finish the operation, it is still in
        // progress." Wait on the pollable again; never spin.
        Err(ErrorCode::WouldBlock) => Err(would_block("finish-connect: still in progress")),
        // WIT: "After a failed connection attempt, the socket will be in the
        // `closed` state": connection-refused, timeout, ... are final.
        result => result.map_err(error_code_to_io),
    })?;
    drop(ready);
    Ok(TcpStream::from_wasi(socket, input, output))
}

/// A failed `check-write`, `write` or `flush`. `closed` on the output side
/// is not an end of stream to report as `Ok(0)`: the bytes cannot go out.
fn write_error(err: StreamError) -> io::Error {
    match err {
        // WIT: "A closed output-stream will return this error on all future
        // operations."
        StreamError::Closed => io::Error::new(
            io::ErrorKind::BrokenPipe,
            "wasi stream-error closed: the output stream is closed",
        ),
        StreamError::LastOperationFailed(error) => stream_failure_to_io(&error),
    }
}
