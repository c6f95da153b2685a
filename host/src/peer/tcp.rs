//! The harness's TCP peers on 127.0.0.1: an echo server a guest client connects to
//! (`{tcp-echo}` in its arguments), and a client that drives a guest server once it
//! listens, sending framed messages and checking every echoed byte.
//!
//! Framing (shared with `guest/src/echo.rs`): a frame is a 4-byte big-endian length and
//! that many payload bytes; byte `j` of message `i` of `S` bytes is
//! `(j * 31 + i * 7 + S) % 251`, so both ends check every byte without sharing anything.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a harness peer waits on a silent guest before it gives up on a connection:
/// a safety net only; verdicts come from counts.
const IO_LIMIT: Duration = Duration::from_secs(20);

/// What a harness TCP peer is doing, for the harness to let it settle before a guest's
/// TCP read or wait: then what the guest sees does not depend on how fast the peer's
/// threads ran.
#[derive(Debug, Default)]
pub(crate) struct PeerIo {
    /// Connections open.
    pub(crate) open: AtomicUsize,
    /// Threads about to send or connect: the guest will see more soon.
    pub(crate) busy: AtomicUsize,
    /// Bytes the peer has read from the guest.
    pub(crate) received: AtomicU64,
    /// Connections on which the peer has read the guest's end of stream.
    pub(crate) ends: AtomicU64,
    /// Bytes the peer has set out to write to the guest (counted before each write): more
    /// than the guest has read means the peer may be blocked on the guest's full buffer.
    pub(crate) offered: AtomicU64,
}

impl PeerIo {
    /// Marks the peer busy until the guard drops.
    pub(super) fn busy(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::AcqRel);
        Busy(self.clone())
    }
}

/// A busy mark, taken back when dropped.
pub(super) struct Busy(Arc<PeerIo>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Message `index` of `size` bytes, framed.
pub(crate) fn echo_frame(index: usize, size: usize) -> Vec<u8> {
    let mut frame = Vec::with_capacity(4 + size);
    frame.extend_from_slice(&(size as u32).to_be_bytes());
    frame.extend((0..size).map(|j| ((j * 31 + index * 7 + size) % 251) as u8));
    frame
}

/// The echo server behind `{tcp-echo}`: echoes every byte of every connection until the
/// guest closes its side, then closes its own.
pub(crate) struct TcpEcho {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    io: Arc<PeerIo>,
}

impl TcpEcho {
    pub(crate) fn start() -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let io = Arc::new(PeerIo::default());
        let (stop_seen, peer) = (stop.clone(), io.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop_seen.load(Ordering::Acquire) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                peer.open.fetch_add(1, Ordering::AcqRel);
                let peer = peer.clone();
                std::thread::spawn(move || {
                    let _ = echo(conn, &peer);
                    peer.open.fetch_sub(1, Ordering::AcqRel);
                });
            }
        });
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
            io,
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn io(&self) -> Arc<PeerIo> {
        self.io.clone()
    }
}

impl Drop for TcpEcho {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wakes the accept loop so it sees the stop.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn echo(mut conn: TcpStream, peer: &Arc<PeerIo>) -> io::Result<()> {
    conn.set_read_timeout(Some(IO_LIMIT))?;
    conn.set_write_timeout(Some(IO_LIMIT))?;
    let mut buf = vec![0; 64 << 10];
    loop {
        let n = conn.read(&mut buf)?;
        // Busy before the bytes count as received, so the harness never sees the echo
        // as done between the two.
        let _busy = peer.busy();
        peer.received.fetch_add(n as u64, Ordering::AcqRel);
        if n == 0 {
            peer.ends.fetch_add(1, Ordering::AcqRel);
            return conn.shutdown(Shutdown::Write);
        }
        peer.offered.fetch_add(n as u64, Ordering::AcqRel);
        conn.write_all(&buf[..n])?;
    }
}

/// What the harness's client asks of a guest server: `connections` connections at once,
/// each sending one framed message of every size in order.
///
/// ```
/// let options = wouldblock::TcpClientOptions::new(vec![1, 1024]);
/// assert_eq!(options.sizes, [1, 1024]);
/// assert_eq!(options.connections, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TcpClientOptions {
    /// Message sizes, in order, on every connection.
    pub sizes: Vec<usize>,
    /// Connections opened at once.
    pub connections: usize,
}

impl TcpClientOptions {
    /// One connection sending these sizes.
    ///
    /// ```
    /// use wouldblock::TcpClientOptions;
    /// let options = TcpClientOptions::new(vec![1, 1024]).connections(4);
    /// assert_eq!(options.connections, 4);
    /// ```
    pub fn new(sizes: Vec<usize>) -> Self {
        Self {
            sizes,
            connections: 1,
        }
    }

    /// Opens this many connections at once.
    ///
    /// ```
    /// let options = wouldblock::TcpClientOptions::new(vec![1]).connections(2);
    /// assert_eq!(options.connections, 2);
    /// ```
    pub fn connections(mut self, n: usize) -> Self {
        self.connections = n;
        self
    }
}

/// The client that drives a guest server: started by the decorated `finish-listen`.
pub(crate) struct TcpClient {
    options: TcpClientOptions,
    threads: Vec<JoinHandle<Connection>>,
    io: Arc<PeerIo>,
}

impl TcpClient {
    pub(crate) fn new(options: TcpClientOptions) -> Self {
        Self {
            options,
            threads: Vec::new(),
            io: Arc::new(PeerIo::default()),
        }
    }

    pub(crate) fn io(&self) -> Arc<PeerIo> {
        self.io.clone()
    }

    /// Connects to the guest's first listening socket (later ones are not driven).
    pub(crate) fn start(&mut self, addr: SocketAddr) {
        if !self.threads.is_empty() {
            return;
        }
        for n in 0..self.options.connections {
            let sizes = self.options.sizes.clone();
            // Open and busy (connecting) from now, not from when the thread runs.
            self.io.open.fetch_add(1, Ordering::AcqRel);
            self.io.busy.fetch_add(1, Ordering::AcqRel);
            let io = self.io.clone();
            self.threads.push(std::thread::spawn(move || {
                let connection = drive(n + 1, addr, &sizes, &io);
                io.open.fetch_sub(1, Ordering::AcqRel);
                connection
            }));
        }
    }

    /// Waits for every connection and reports what was echoed.
    /// Waits for every connection; a connection thread that panicked is the harness's
    /// failure, never the guest's `loss`.
    pub(crate) fn finish(self) -> Result<TcpReport, String> {
        let mut connections = Vec::new();
        for thread in self.threads {
            let connection = thread
                .join()
                .map_err(|_| "the harness's TCP client panicked".to_string())?;
            connections.push(connection);
        }
        Ok(TcpReport {
            expected_connections: self.options.connections,
            connections,
        })
    }
}

/// One connection of the harness's client, as it ended.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::{Builder, TcpClientOptions};
/// let harness = Builder::new().tcp_client(TcpClientOptions::new(vec![1, 1024])).build()?;
/// let guest = harness.compile("tcp-echo-server", wouldblock_guests::TCP_ECHO_SERVER.wasm)?;
/// let report = harness.run(&guest, &["127.0.0.1:0"])?.tcp.expect("a TCP client ran");
/// let connection = &report.connections[0];
/// // Each message is framed by a 4-byte length.
/// assert_eq!(connection.bytes_checked, (4 + 1) + (4 + 1024));
/// assert_eq!((connection.messages_ok, connection.failure.as_deref()), (2, None));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Connection {
    /// Bytes sent (frames with their length prefixes).
    pub bytes_sent: u64,
    /// Bytes echoed back and checked equal to what was sent.
    pub bytes_checked: u64,
    /// Messages echoed whole and byte-exact.
    pub messages_ok: u64,
    /// What went wrong, if anything: a short echo, a wrong byte, an early close.
    pub failure: Option<String>,
}

/// What the harness's client saw of a guest server.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::{Builder, TcpClientOptions};
/// let client = TcpClientOptions::new(vec![1]).connections(4);
/// let harness = Builder::new().tcp_client(client).build()?;
/// let guest = harness.compile("tcp-echo-server", wouldblock_guests::TCP_ECHO_SERVER.wasm)?;
/// let outcome = harness.run(&guest, &["127.0.0.1:0", "--connections", "4"])?;
/// let report = outcome.tcp.expect("a TCP client ran");
/// assert_eq!((report.expected_connections, report.connections.len()), (4, 4));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct TcpReport {
    /// Connections the client was asked to make.
    pub expected_connections: usize,
    /// Each connection it made, in order; none if the guest never listened.
    pub connections: Vec<Connection>,
}

impl TcpReport {
    /// Whether every connection was made and echoed whole.
    ///
    /// ```
    /// use wouldblock::{Connection, TcpReport};
    /// let mut report = TcpReport::default();
    /// report.expected_connections = 1;
    /// assert!(!report.complete(), "the guest never listened");
    /// report.connections.push(Connection::default());
    /// assert!(report.complete());
    /// ```
    pub fn complete(&self) -> bool {
        self.connections.len() == self.expected_connections
            && self.connections.iter().all(|c| c.failure.is_none())
    }

    /// One line: connections, bytes sent and checked.
    ///
    /// ```
    /// use wouldblock::{Connection, TcpReport};
    /// let mut report = TcpReport::default();
    /// report.expected_connections = 2;
    /// let mut connection = Connection::default();
    /// (connection.bytes_sent, connection.bytes_checked) = (1033, 1033);
    /// report.connections.push(connection);
    /// let summary = "1 of 2 connection(s), 1033 of 1033 bytes echoed byte-exactly";
    /// assert_eq!(report.summary(), summary);
    /// ```
    pub fn summary(&self) -> String {
        let sent: u64 = self.connections.iter().map(|c| c.bytes_sent).sum();
        let checked: u64 = self.connections.iter().map(|c| c.bytes_checked).sum();
        format!(
            "{} of {} connection(s), {checked} of {sent} bytes echoed byte-exactly",
            self.connections
                .iter()
                .filter(|c| c.failure.is_none())
                .count(),
            self.expected_connections,
        )
    }
}

/// One connection: a writer thread sends every frame, then closes its side; this thread
/// reads the echo and checks it, so neither direction waits on the other.
fn drive(n: usize, addr: SocketAddr, sizes: &[usize], io: &Arc<PeerIo>) -> Connection {
    let fail = |c: &mut Connection, why: String| c.failure = Some(format!("connection {n}: {why}"));
    let mut connection = Connection::default();
    // The busy mark taken in `start` covers the connect and the first frame.
    let connecting = Busy(io.clone());
    let stream = match TcpStream::connect(addr) {
        Ok(stream) => stream,
        Err(e) => {
            fail(&mut connection, format!("connect to {addr}: {e}"));
            return connection;
        }
    };
    let _ = stream.set_read_timeout(Some(IO_LIMIT));
    let _ = stream.set_write_timeout(Some(IO_LIMIT));
    let frames: Arc<Vec<Vec<u8>>> = Arc::new(
        sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| echo_frame(i, s))
            .collect(),
    );
    let expected: u64 = frames.iter().map(|f| f.len() as u64).sum();
    let writer = match stream.try_clone() {
        Ok(mut writer) => {
            let frames = Arc::clone(&frames);
            let io = io.clone();
            std::thread::spawn(move || -> io::Result<u64> {
                let mut sent = 0;
                let mut first = Some(connecting);
                for frame in frames.iter() {
                    let _busy = first.take().unwrap_or_else(|| io.busy());
                    io.offered.fetch_add(frame.len() as u64, Ordering::AcqRel);
                    writer.write_all(frame)?;
                    sent += frame.len() as u64;
                }
                drop(first);
                writer.shutdown(Shutdown::Write)?;
                Ok(sent)
            })
        }
        Err(e) => {
            fail(&mut connection, format!("clone: {e}"));
            return connection;
        }
    };
    let mut reader = stream;
    let mut got = vec![0u8; 64 << 10];
    let mut message = 0;
    let mut offset = 0;
    let failure = loop {
        let n = match reader.read(&mut got) {
            Ok(0) => {
                io.ends.fetch_add(1, Ordering::AcqRel);
                break None;
            }
            Ok(n) => {
                io.received.fetch_add(n as u64, Ordering::AcqRel);
                n
            }
            Err(e) => {
                break Some(format!(
                    "read after {} bytes: {e}",
                    connection.bytes_checked
                ));
            }
        };
        let mut chunk = &got[..n];
        let mut wrong = None;
        while !chunk.is_empty() {
            let Some(frame) = frames.get(message) else {
                wrong = Some(format!("{} bytes past the last echo", chunk.len()));
                break;
            };
            let take = chunk.len().min(frame.len() - offset);
            let (got, want) = (&chunk[..take], &frame[offset..offset + take]);
            // memcmp first; the byte-by-byte search only for the report.
            let differs = (got != want).then(|| got.iter().zip(want).position(|(a, b)| a != b));
            if let Some(i) = differs.flatten() {
                wrong = Some(format!(
                    "message {message} ({} bytes): echo differs at byte {}",
                    sizes[message],
                    offset + i
                ));
                break;
            }
            connection.bytes_checked += take as u64;
            offset += take;
            chunk = &chunk[take..];
            if offset == frame.len() {
                connection.messages_ok += 1;
                message += 1;
                offset = 0;
            }
        }
        if wrong.is_some() {
            break wrong;
        }
    };
    connection.bytes_sent = match writer.join() {
        Ok(Ok(sent)) => sent,
        Ok(Err(e)) => {
            connection
                .failure
                .get_or_insert(format!("connection {n}: write: {e}"));
            0
        }
        Err(_) => 0,
    };
    if let Some(why) = failure {
        fail(&mut connection, why);
    } else if connection.bytes_checked < expected {
        let checked = connection.bytes_checked;
        fail(
            &mut connection,
            format!("the guest closed after echoing {checked} of {expected} bytes"),
        );
    }
    connection
}
