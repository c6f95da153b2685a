//! Asserts that a readiness-driven server echoes every length-prefixed frame byte-exactly on N concurrent connections, taking an empty read for "nothing yet" and only a closed stream for the end, and closing each connection once its echo is flushed.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;

use wasi::io::poll::Pollable;
use wouldblock_guest::echo::{self, EchoSpec, HEADER, complete_frame};
use wouldblock_guest::program::{self, describe};
use wouldblock_guest::tcp::{Poller, TcpStream};

const SPEC: EchoSpec = EchoSpec {
    program: "tcp-echo-server",
    server: true,
};

/// Bytes asked of one read.
const CHUNK: usize = 65_536;
/// Reads per connection per round, so one busy peer cannot starve the rest.
const READS_PER_ROUND: usize = 16;
/// Unsent echo bytes beyond which a connection is not read: a peer that
/// sends without reading meets TCP's flow control, not unbounded buffering.
const MAX_BACKLOG: usize = 1 << 20;

/// One accepted connection and its echo state.
struct Connection {
    number: u64,
    peer: SocketAddr,
    stream: TcpStream,
    /// Bytes read and not yet parsed into a complete frame.
    pending: Vec<u8>,
    /// Complete frames not yet echoed, and how much of them is written
    /// (within one round).
    echo: Vec<u8>,
    written: usize,
    /// The input stream answered `closed`.
    closed: bool,
    /// The echo is flushed after the end of input: ready to close.
    done: bool,
}

#[derive(Default)]
struct Totals {
    frames: u64,
    bytes: u64,
}

impl Connection {
    /// Reads, parses, writes and flushes as far as the host allows without
    /// waiting; `Ok(true)` when anything moved.
    fn pump(&mut self, chunk: &mut [u8], totals: &mut Totals) -> io::Result<bool> {
        let mut progress = false;
        for _ in 0..READS_PER_ROUND {
            if !self.reading() {
                break;
            }
            match self.stream.try_read(chunk) {
                // Only `stream-error::closed` is the end of the stream.
                Ok(0) => self.closed = true,
                Ok(len) => self.pending.extend_from_slice(&chunk[..len]),
                // An empty read: nothing yet, not the end.
                Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                Err(err) => return Err(context("read", err)),
            }
            progress = true;
        }
        let mut parsed = 0;
        while let Some(len) = complete_frame(&self.pending[parsed..]).map_err(invalid)? {
            // Echoed byte-exactly: length prefix and payload as received.
            self.echo
                .extend_from_slice(&self.pending[parsed..parsed + len]);
            totals.frames += 1;
            totals.bytes += (len - HEADER) as u64;
            parsed += len;
        }
        self.pending.drain(..parsed);
        if self.closed && !self.pending.is_empty() {
            return Err(invalid(format!(
                "input closed inside a frame ({} bytes of it received)",
                self.pending.len()
            )));
        }
        while self.written < self.echo.len() {
            match self.stream.try_write(&self.echo[self.written..]) {
                Ok(len) => self.written += len,
                // A check-write permit of 0: wait for the output pollable.
                Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                Err(err) => return Err(context("write", err)),
            }
            progress = true;
        }
        // Written bytes are dropped, so the buffer holds only the backlog.
        self.echo.drain(..self.written);
        self.written = 0;
        // The end of input, everything echoed: flush, then close.
        if self.closed && self.echo.is_empty() {
            match self.stream.try_flush() {
                Ok(()) => {
                    self.done = true;
                    progress = true;
                }
                // WIT: "check-write will return ok(0) until the flush has
                // completed": wait for the output pollable.
                Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                Err(err) => return Err(context("flush", err)),
            }
        }
        Ok(progress)
    }

    /// Whether to read: the input is open and the echo is not backed up.
    fn reading(&self) -> bool {
        !self.closed && self.echo.len() - self.written < MAX_BACKLOG
    }

    /// The pollables worth waiting on: input while reading, output while
    /// echo bytes or the final flush wait for it.
    fn pollables(&self) -> impl Iterator<Item = &Pollable> {
        let input = self.reading().then(|| self.stream.read_pollable());
        let output = (!self.echo.is_empty() || self.closed).then(|| self.stream.write_pollable());
        input.into_iter().chain(output)
    }
}

/// `err` with `what` failed in front, keeping its kind.
fn context(what: &str, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{what}: {err}"))
}

/// A broken frame stream.
fn invalid(text: String) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, text)
}

/// What the last wait says is worth trying this round.
enum Wake {
    /// The first round, a round after progress, or the insurance clock (a
    /// wake-up may have been missed): everything.
    All,
    /// The listener (when `listener`) and the connections numbered here.
    Ready {
        listener: bool,
        connections: Vec<u64>,
    },
}

impl Wake {
    fn listener(&self) -> bool {
        match self {
            Wake::All => true,
            Wake::Ready { listener, .. } => *listener,
        }
    }

    fn connection(&self, number: u64) -> bool {
        match self {
            Wake::All => true,
            Wake::Ready { connections, .. } => connections.contains(&number),
        }
    }
}

fn main() {
    let options = SPEC.parse_env();
    let listener = echo::listen("tcp-echo-server", &options);

    let wanted = options.connections;
    let ms = options.timeout.as_millis();
    // Every wait below has this deadline, re-armed on progress.
    let mut poller = Poller::new(Some(options.timeout)).unwrap_or_else(|err| program::fail(err));
    let mut connections: Vec<Connection> = Vec::new();
    let (mut accepted, mut finished) = (0u64, 0u64);
    let mut totals = Totals::default();
    let mut chunk = vec![0u8; CHUNK];
    let mut wake = Wake::All;
    loop {
        let mut progress = false;
        if accepted < wanted && wake.listener() {
            while accepted < wanted {
                match listener.try_accept() {
                    Ok((stream, peer)) => {
                        accepted += 1;
                        progress = true;
                        connections.push(Connection {
                            number: accepted,
                            peer,
                            stream,
                            pending: Vec::new(),
                            echo: Vec::new(),
                            written: 0,
                            closed: false,
                            done: false,
                        });
                    }
                    // No pending connection: wait for the listener's pollable.
                    Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                    Err(err) => program::fail(format_args!("accept: {}", describe(&err))),
                }
            }
        }
        for connection in connections.iter_mut() {
            if !wake.connection(connection.number) {
                continue;
            }
            match connection.pump(&mut chunk, &mut totals) {
                Ok(moved) => progress |= moved,
                Err(err) => program::fail(format_args!(
                    "connection {} from {}: {}",
                    connection.number,
                    connection.peer,
                    describe(&err)
                )),
            }
        }
        // Closing drops the streams, then the socket (TcpStream's field order).
        let open = connections.len();
        connections.retain(|c| !c.done);
        finished += (open - connections.len()) as u64;
        if finished == wanted {
            break;
        }
        if progress {
            poller.progressed();
            wake = Wake::All;
            continue;
        }
        // One wait over the listener, every connection's input and output
        // pollables, the insurance clock and the deadline.
        let mut pollables: Vec<&Pollable> = Vec::new();
        let mut owners: Vec<Option<u64>> = Vec::new();
        if accepted < wanted {
            pollables.push(listener.pollable());
            owners.push(None);
        }
        for connection in &connections {
            for pollable in connection.pollables() {
                pollables.push(pollable);
                owners.push(Some(connection.number));
            }
        }
        wake = match poller.wait(&pollables) {
            Ok(ready) if ready.is_empty() => Wake::All,
            Ok(ready) => Wake::Ready {
                listener: ready.iter().any(|&i| owners[i].is_none()),
                connections: ready.iter().filter_map(|&i| owners[i]).collect(),
            },
            Err(_) => program::fail(format_args!(
                "no progress for {ms} ms: {accepted} of {wanted} connection(s) accepted, \
                 {finished} done"
            )),
        };
    }
    println!(
        "tcp-echo-server: echoed {} frames, {} bytes on {wanted} connection(s)",
        totals.frames, totals.bytes
    );
}
