//! Pieces shared by the scenario programs in `src/bin/`: socket setup, the
//! correct send loop, reply checking and failure reporting.

use std::fmt::Display;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::args::Options;
pub use crate::exit::{EXIT_USAGE, exit};
use crate::payload;
use crate::udp::{UdpSocket, loopback_for};

/// Prints `error: {message}` to stderr and exits with code 1.
pub fn fail(message: impl Display) -> ! {
    eprintln!("error: {message}");
    exit(1)
}

/// Fails on item `seq` of `count`: prints
/// `error: {item} {seq} of {count}: <io error> (kind: <kind>)` and exits 1.
pub fn fail_at(item: &str, seq: u64, count: u64, err: &io::Error) -> ! {
    fail(format_args!("{item} {seq} of {count}: {}", describe(err)))
}

/// Size of the programs' receive buffers: the largest UDP payload fits, so a
/// reply is never truncated into looking like another one.
pub const RECV_BUFFER: usize = 65_536;

/// `"{err} (kind: {kind:?})"`: the host's answer and the kind the guest acted
/// on, e.g. `wasi error-code out-of-memory (kind: OutOfMemory)`.
pub fn describe(err: &io::Error) -> String {
    format!("{err} (kind: {:?})", err.kind())
}

/// Binds the loopback address of `options.addr`'s family (port 0) and
/// applies `options.timeout` to both directions; exits 1 on failure.
pub fn open(options: &Options) -> UdpSocket {
    let local = loopback_for(options.addr);
    let socket = UdpSocket::bind(local)
        .unwrap_or_else(|err| fail(format_args!("bind {local}: {}", describe(&err))));
    let timeouts = socket
        .set_write_timeout(options.timeout)
        .and_then(|()| socket.set_read_timeout(options.timeout));
    if let Err(err) = timeouts {
        fail(format_args!("set timeouts: {}", describe(&err)));
    }
    socket
}

/// [`open`], then connects to `options.addr`; exits 1 on failure.
pub fn open_connected(options: &Options) -> UdpSocket {
    let mut socket = open(options);
    if let Err(err) = socket.connect(options.addr) {
        fail(format_args!("connect {}: {}", options.addr, describe(&err)));
    }
    socket
}

/// Sends datagrams `0..count` to `to` with the blocking
/// [`UdpSocket::send_to`]; on the first failure prints
/// `error: datagram i of N: <io error> (kind: <kind>)` and exits 1.
pub fn send_numbered(socket: &UdpSocket, to: SocketAddr, count: u64) {
    for seq in 0..count {
        if let Err(err) = socket.send_to(&payload(seq), to) {
            fail_at("datagram", seq, count, &err);
        }
    }
}

/// Sends datagrams `0..count` to `to` with one non-blocking attempt at a time;
/// when an attempt answers WouldBlock or OutOfMemory, `not_ready` decides what
/// happens before the next attempt (the naive programs differ only there: wait
/// on the pollable alone, on the pollable and stdin, or not at all). Any other
/// error, or one from `not_ready`, prints `error: datagram i of N: ...` and
/// exits 1.
pub fn send_numbered_naively(
    socket: &UdpSocket,
    to: SocketAddr,
    count: u64,
    mut not_ready: impl FnMut(&UdpSocket) -> io::Result<()>,
) {
    for seq in 0..count {
        loop {
            match socket.try_send_to(&payload(seq), to) {
                Ok(_) => break,
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::OutOfMemory
                    ) =>
                {
                    if let Err(err) = not_ready(socket) {
                        fail_at("datagram", seq, count, &err);
                    }
                }
                Err(err) => fail_at("datagram", seq, count, &err),
            }
        }
    }
}

/// A give-up time for the loops that deliberately never wait (the spinning
/// reproductions): it is only checked, never waited on, so it bounds the run
/// without hiding the bug.
#[derive(Clone, Copy, Debug)]
pub struct GiveUp {
    timeout: Option<Duration>,
    at: Option<Instant>,
}

impl GiveUp {
    /// Starts now; `None` never gives up.
    pub fn after(timeout: Option<Duration>) -> Self {
        Self {
            timeout,
            at: timeout.map(|t| Instant::now() + t),
        }
    }

    /// [`io::ErrorKind::TimedOut`] once the time is up, saying how many
    /// immediate retries were made.
    pub fn check(&self, retries: u64) -> io::Result<()> {
        match (self.at, self.timeout) {
            (Some(at), Some(timeout)) if Instant::now() >= at => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "gave up after {} ms and {retries} immediate retries",
                    timeout.as_millis()
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// How a reply relates to the request it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The echo of request `seq`.
    Expected,
    /// The echo of an earlier request (a duplicate): skip it.
    Stale,
}

/// Checks `reply` as the answer to request `seq` under the [`payload`]
/// convention; anything but an echo of `seq` or of an earlier request is
/// [`io::ErrorKind::InvalidData`].
pub fn check_reply(seq: u64, reply: &[u8]) -> io::Result<Reply> {
    if reply == payload(seq) {
        return Ok(Reply::Expected);
    }
    // Only canonical decimals count: "07" is not datagram 7.
    match std::str::from_utf8(reply)
        .ok()
        .and_then(|t| t.parse::<u64>().ok())
    {
        Some(earlier) if earlier < seq && payload(earlier) == reply => Ok(Reply::Stale),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("unexpected reply \"{}\"", show(reply)),
        )),
    }
}

/// Printable form of a reply for error messages.
fn show(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply).escape_debug().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_classified_by_sequence() {
        assert_eq!(check_reply(3, b"3").unwrap(), Reply::Expected);
        assert_eq!(check_reply(3, b"1").unwrap(), Reply::Stale);
        assert_eq!(check_reply(0, b"0").unwrap(), Reply::Expected);
        for bad in [&b"4"[..], b"01", b"", b"\xff"] {
            let err = check_reply(3, bad).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        }
        assert_eq!(
            check_reply(3, b"x\n").unwrap_err().to_string(),
            "unexpected reply \"x\\n\""
        );
    }

    #[test]
    fn give_up_without_timeout_never_fires() {
        assert!(GiveUp::after(None).check(u64::MAX).is_ok());
        assert!(
            GiveUp::after(Some(Duration::from_secs(3600)))
                .check(0)
                .is_ok()
        );
    }

    #[test]
    fn describe_names_the_kind() {
        let err = io::Error::new(
            io::ErrorKind::WouldBlock,
            "check-send permitted 0 datagrams",
        );
        assert_eq!(
            describe(&err),
            "check-send permitted 0 datagrams (kind: WouldBlock)"
        );
    }
}
