//! Pieces shared by the TCP echo programs: the frame format, the message
//! payloads and their arguments.
//!
//! A frame is a 4-byte big-endian `u32` length followed by that many payload
//! bytes. Byte `j` of message `i` of `S` bytes is
//! `(j * 31 + i * 7 + S) % 251` ([`message_payload`]), so both ends can check
//! every byte without sharing anything else.

use std::fmt;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use crate::args::UsageError;
use crate::lookup;
use crate::program::{self, describe};
use crate::tcp::{TcpListener, TcpStream};

/// Bytes of a frame's length prefix.
pub const HEADER: usize = 4;

/// The largest payload a frame may carry (16 MiB): a length beyond it is a
/// broken stream, not a message to buffer.
pub const MAX_FRAME: usize = 16 << 20;

/// The payload of message `index` of `size` bytes.
pub fn message_payload(index: usize, size: usize) -> Vec<u8> {
    let (index, size) = (index as u64, size as u64);
    (0..size)
        .map(|j| ((j * 31 + index * 7 + size) % 251) as u8)
        .collect()
}

/// Message `index` of `size` bytes, framed: length prefix, then payload.
pub fn message_frame(index: usize, size: usize) -> Vec<u8> {
    let mut frame = Vec::with_capacity(HEADER + size);
    frame.extend_from_slice(&(size as u32).to_be_bytes());
    frame.extend_from_slice(&message_payload(index, size));
    frame
}

/// The length of the first complete frame in `buf` (prefix included), or
/// `None` while it is still incomplete; a length over [`MAX_FRAME`] is an
/// error naming it.
pub fn complete_frame(buf: &[u8]) -> Result<Option<usize>, String> {
    let Some(header) = buf.first_chunk::<HEADER>() else {
        return Ok(None);
    };
    let len = u32::from_be_bytes(*header) as usize;
    if len > MAX_FRAME {
        return Err(format!(
            "frame length {len} exceeds the {MAX_FRAME}-byte limit"
        ));
    }
    Ok((buf.len() >= HEADER + len).then_some(HEADER + len))
}

/// The first offset where `got` differs from `expected`, over their common
/// length.
pub fn first_difference(expected: &[u8], got: &[u8]) -> Option<usize> {
    expected.iter().zip(got).position(|(a, b)| a != b)
}

/// What is wrong with an echo of `frame`, if it differs: the first differing byte,
/// with its offset in the payload.
pub fn echo_mismatch(frame: &[u8], echo: &[u8]) -> Option<String> {
    let offset = first_difference(frame, echo)?;
    Some(format!(
        "echo differs at byte {offset} (payload byte {}): expected {:#04x}, got {:#04x}",
        offset as i64 - HEADER as i64,
        frame[offset],
        echo[offset]
    ))
}

/// The line a client prints once every message came back whole.
pub fn report_echoed(program: &str, sizes: &[usize]) {
    let bytes: usize = sizes.iter().sum();
    println!(
        "{program}: {} message(s), {bytes} bytes echoed byte-exactly",
        sizes.len()
    );
}

/// Parsed arguments of an echo program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EchoOptions {
    /// The address to listen on or connect to.
    pub addr: SocketAddr,
    /// `--connections N`: how many connections a server serves (default 1).
    pub connections: u64,
    /// `--sizes S,S,...`: a client's message sizes, in order.
    pub sizes: Vec<usize>,
    /// `--timeout-ms MS` (default 10000).
    pub timeout: Duration,
    /// `--name HOST`: a client connects to ADDR's port on HOST's addresses, looked up
    /// ([`crate::lookup`]), instead of to ADDR.
    pub name: Option<String>,
}

/// What one echo program accepts.
#[derive(Clone, Copy, Debug)]
pub struct EchoSpec {
    /// Program name, for the usage line.
    pub program: &'static str,
    /// Whether it is a server (`--connections`) or a client (`--sizes`).
    pub server: bool,
}

impl fmt::Display for EchoSpec {
    /// The usage line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rest = if self.server {
            "[--connections N]"
        } else {
            "--sizes S[,S...] [--name HOST]"
        };
        write!(f, "usage: {} ADDR {rest} [--timeout-ms MS]", self.program)
    }
}

impl EchoSpec {
    /// Parses `args` (without the program name).
    pub fn parse<I>(&self, args: I) -> Result<EchoOptions, UsageError>
    where
        I: IntoIterator<Item = String>,
    {
        let usage = |text: String| UsageError(text);
        let (mut addr, mut connections, mut sizes, mut timeout_ms) = (None, None, None, None);
        let mut host = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
                _ => (arg.as_str(), None),
            };
            let known = match name {
                "--connections" => self.server,
                "--sizes" | "--name" => !self.server,
                "--timeout-ms" => true,
                _ if arg.starts_with('-') => false,
                _ if addr.is_some() => {
                    return Err(usage(format!("unexpected extra argument `{arg}`")));
                }
                _ => {
                    addr =
                        Some(arg.parse::<SocketAddr>().map_err(|_| {
                            usage(format!("invalid ADDR `{arg}`: expected IP:PORT"))
                        })?);
                    continue;
                }
            };
            if !known {
                return Err(usage(format!("unknown option `{name}`")));
            }
            let value = inline
                .or_else(|| args.next())
                .ok_or_else(|| usage(format!("{name} needs a value")))?;
            let number = |text: &str| {
                text.trim().parse::<u64>().map_err(|_| {
                    usage(format!(
                        "invalid {name} `{value}`: expected non-negative integers"
                    ))
                })
            };
            match name {
                "--name" => host = Some(value),
                "--connections" => connections = Some(number(&value)?),
                "--timeout-ms" => timeout_ms = Some(number(&value)?),
                _ => {
                    let list = value.split(',').map(number);
                    sizes = Some(list.collect::<Result<Vec<u64>, _>>()?);
                }
            }
        }
        let addr = addr.ok_or_else(|| usage("missing ADDR (IP:PORT)".into()))?;
        let sizes = match sizes {
            Some(sizes) => sizes,
            None if self.server => Vec::new(),
            None => return Err(usage("missing --sizes".into())),
        };
        if let Some(&size) = sizes.iter().find(|&&s| s > MAX_FRAME as u64) {
            return Err(usage(format!(
                "size {size} exceeds the {MAX_FRAME}-byte frame limit"
            )));
        }
        let connections = connections.unwrap_or(1);
        let timeout_ms = timeout_ms.unwrap_or(10_000);
        if connections == 0 || timeout_ms == 0 {
            return Err(usage(
                "--connections and --timeout-ms must be at least 1".into(),
            ));
        }
        Ok(EchoOptions {
            addr,
            connections,
            sizes: sizes.into_iter().map(|s| s as usize).collect(),
            timeout: Duration::from_millis(timeout_ms),
            name: host,
        })
    }

    /// Parses the process arguments; on a usage error prints `error: ...`
    /// and the usage line to stderr and exits with [`program::EXIT_USAGE`],
    /// like every program ([`crate::args`]). `-h` / `--help` prints the
    /// usage line and exits 0.
    pub fn parse_env(&self) -> EchoOptions {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.iter().any(|a| a == "-h" || a == "--help") {
            println!("{self}");
            program::exit(0);
        }
        self.parse(args).unwrap_or_else(|err| {
            eprintln!("error: {err}\n{self}");
            program::exit(program::EXIT_USAGE)
        })
    }
}

/// Listens on `options.addr` and prints `PROGRAM: listening on ADDR` (flushed, so a
/// test can read where); prints `error: listen on ADDR: ...` and exits 1 on failure.
pub fn listen(program: &str, options: &EchoOptions) -> TcpListener {
    let listener = TcpListener::bind(options.addr).unwrap_or_else(|err| {
        program::fail(format_args!(
            "listen on {}: {}",
            options.addr,
            describe(&err)
        ))
    });
    let local = listener
        .local_addr()
        .unwrap_or_else(|err| program::fail(format_args!("local address: {}", describe(&err))));
    println!("{program}: listening on {local}");
    let _ = std::io::Write::flush(&mut std::io::stdout());
    listener
}

/// Connects to `options.addr` (with `--name`, to its port on the first address of
/// the name that answers) within `options.timeout`, and applies it to every read and
/// write; prints `error: connect ADDR: ...` and exits 1 on failure.
pub fn connect(options: &EchoOptions) -> TcpStream {
    let (connected, to) = match &options.name {
        Some(name) => (
            lookup::connect(name, options.addr.port(), options.timeout),
            format!("{name} port {}", options.addr.port()),
        ),
        None => (
            TcpStream::connect_timeout(options.addr, options.timeout),
            options.addr.to_string(),
        ),
    };
    let stream = connected
        .unwrap_or_else(|err| program::fail(format_args!("connect {to}: {}", describe(&err))));
    with_timeouts(stream, options)
}

/// `stream` with `options.timeout` on every read and write; exits 1 if it cannot be set.
pub fn with_timeouts(stream: TcpStream, options: &EchoOptions) -> TcpStream {
    let timeouts = stream
        .set_read_timeout(Some(options.timeout))
        .and_then(|()| stream.set_write_timeout(Some(options.timeout)));
    if let Err(err) = timeouts {
        program::fail(format_args!("set timeouts: {}", describe(&err)));
    }
    stream
}

/// Sends one framed message of each of `sizes` and checks its echo byte for byte,
/// reading with blocking reads that take an empty read for "nothing yet" and only a
/// closed stream for the end; exits 1 on the first failure.
pub fn echo_all(stream: &TcpStream, sizes: &[usize]) {
    let count = sizes.len();
    for (index, &size) in sizes.iter().enumerate() {
        let fail = |what: String| -> ! {
            program::fail(format_args!(
                "message {index} of {count} ({size} bytes): {what}"
            ))
        };
        let frame = message_frame(index, size);
        if let Err(err) = stream.write_all(&frame).and_then(|()| stream.flush()) {
            fail(format!("write: {}", describe(&err)));
        }
        let mut echo = vec![0u8; frame.len()];
        let mut filled = 0;
        while filled < echo.len() {
            match stream.read(&mut echo[filled..]) {
                // Only a closed stream is the end; an empty read waited.
                Ok(0) => fail(format!(
                    "connection closed after {filled} of {} bytes",
                    echo.len()
                )),
                Ok(len) => filled += len,
                Err(err) => fail(format!(
                    "read after {filled} of {} bytes: {}",
                    echo.len(),
                    describe(&err)
                )),
            }
        }
        if let Some(mismatch) = echo_mismatch(&frame, &echo) {
            fail(mismatch);
        }
    }
}

/// Half-closes `stream` (a FIN after the last message) and waits for the
/// server to close its side: the next read must be the end of the stream.
/// Exits 1 otherwise.
pub fn finish(stream: &TcpStream) {
    if let Err(err) = stream.shutdown(Shutdown::Write) {
        program::fail(format_args!("shutdown: {}", describe(&err)));
    }
    let mut extra = [0u8; 64];
    match stream.read(&mut extra) {
        Ok(0) => {}
        Ok(len) => program::fail(format_args!("{len} unexpected bytes after the last echo")),
        Err(err) => program::fail(format_args!(
            "waiting for the server to close: {}",
            describe(&err)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: EchoSpec = EchoSpec {
        program: "tcp-echo-client",
        server: false,
    };
    const SERVER: EchoSpec = EchoSpec {
        program: "tcp-echo-server",
        server: true,
    };

    fn parse(spec: &EchoSpec, args: &[&str]) -> Result<EchoOptions, UsageError> {
        spec.parse(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn payload_follows_the_formula() {
        assert_eq!(message_payload(0, 3), [3, 34, 65]);
        assert_eq!(message_payload(2, 1), [15]);
        let big = message_payload(1, 1 << 20);
        assert_eq!(big[1000], ((1000 * 31 + 7 + (1 << 20)) % 251) as u8);
    }

    #[test]
    fn frames_are_found_when_complete() {
        let frame = message_frame(0, 5);
        assert_eq!(&frame[..HEADER], &[0, 0, 0, 5]);
        assert_eq!(complete_frame(&frame[..3]), Ok(None));
        assert_eq!(complete_frame(&frame[..8]), Ok(None));
        assert_eq!(complete_frame(&frame), Ok(Some(9)));
        assert_eq!(complete_frame(&[0, 0, 0, 0]), Ok(Some(4)));
        assert!(complete_frame(&[0xff, 0, 0, 0]).is_err());
    }

    #[test]
    fn differences_are_located() {
        assert_eq!(first_difference(b"abc", b"abc"), None);
        assert_eq!(first_difference(b"abc", b"abx"), Some(2));
        assert_eq!(first_difference(b"abc", b"ab"), None);
    }

    #[test]
    fn arguments_parse_and_default() {
        let client = parse(&CLIENT, &["127.0.0.1:1", "--sizes", "1,1024"]).unwrap();
        assert_eq!(client.sizes, [1, 1024]);
        assert_eq!(client.timeout, Duration::from_millis(10_000));
        let server = parse(&SERVER, &["127.0.0.1:0", "--connections=4"]).unwrap();
        assert_eq!(server.connections, 4);
        assert!(parse(&CLIENT, &["127.0.0.1:1"]).is_err());
        assert!(parse(&CLIENT, &["127.0.0.1:1", "--connections", "2"]).is_err());
        assert!(parse(&SERVER, &["127.0.0.1:0", "--sizes", "1"]).is_err());
        assert!(parse(&SERVER, &["127.0.0.1:0", "--name", "localhost"]).is_err());
        let named = parse(
            &CLIENT,
            &["127.0.0.1:7", "--sizes", "1", "--name", "localhost"],
        );
        assert_eq!(named.unwrap().name.as_deref(), Some("localhost"));
        assert!(parse(&SERVER, &["127.0.0.1:0", "--timeout-ms", "0"]).is_err());
        assert!(parse(&CLIENT, &["x", "--sizes", "1"]).is_err());
        assert_eq!(
            SERVER.to_string(),
            "usage: tcp-echo-server ADDR [--connections N] [--timeout-ms MS]"
        );
    }
}
