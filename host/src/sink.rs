//! A real UDP socket on loopback that counts every numbered datagram a guest sends.
//!
//! Payload convention (shared with `guest/`): datagram `i` is the ASCII decimal text of `i`.

use std::collections::BTreeMap;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::thread::JoinHandle;

/// What the sink received, per sequence number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received {
    /// How many times each sequence number arrived.
    pub counts: BTreeMap<u64, u32>,
    /// Datagrams that were not a sequence number.
    pub invalid: u64,
}

impl Received {
    /// Sequence numbers in `0..expected` that never arrived.
    pub fn missing(&self, expected: u64) -> Vec<u64> {
        (0..expected)
            .filter(|i| !self.counts.contains_key(i))
            .collect()
    }

    /// Sequence numbers that arrived more than once.
    pub fn duplicated(&self) -> Vec<u64> {
        self.counts
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(i, _)| *i)
            .collect()
    }

    /// A short account of what is wrong against `0..expected`, or `None` if nothing is.
    pub fn discrepancy(&self, expected: u64) -> Option<String> {
        if self.exactly_once(expected) {
            return None;
        }
        let first = |v: Vec<u64>| {
            let more = v.len().saturating_sub(10);
            let shown: Vec<String> = v.iter().take(10).map(u64::to_string).collect();
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!("[{}]{tail}", shown.join(", "))
        };
        Some(format!(
            "{} of {expected} datagrams arrived; missing {}, duplicated {}, not numbered {}",
            self.counts.len(),
            first(self.missing(expected)),
            first(self.duplicated()),
            self.invalid
        ))
    }

    /// Whether `0..expected` each arrived exactly once and nothing else did.
    pub fn exactly_once(&self, expected: u64) -> bool {
        self.invalid == 0
            && self.counts.len() as u64 == expected
            && self.missing(expected).is_empty()
            && self.duplicated().is_empty()
    }

    /// Datagrams received in all.
    pub fn total(&self) -> u64 {
        self.counts.values().map(|n| u64::from(*n)).sum::<u64>() + self.invalid
    }
}

/// A UDP socket on 127.0.0.1 drained by its own thread, so a burst never overflows the
/// kernel's receive buffer while the guest runs.
pub struct Sink {
    addr: SocketAddr,
    stopper: UdpSocket,
    thread: JoinHandle<io::Result<Received>>,
}

impl Sink {
    /// Binds 127.0.0.1 on an ephemeral port and starts draining.
    pub fn start() -> io::Result<Self> {
        Self::spawn(false)
    }

    /// Like [`Sink::start`], and also sends every datagram back to its sender: a live peer
    /// for request/response guests.
    pub fn echo() -> io::Result<Self> {
        Self::spawn(true)
    }

    fn spawn(echo: bool) -> io::Result<Self> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        let addr = socket.local_addr()?;
        let stopper = UdpSocket::bind("127.0.0.1:0")?;
        let stop_from = stopper.local_addr()?;
        let thread = std::thread::spawn(move || {
            let mut received = Received::default();
            let mut buf = [0u8; 65536];
            loop {
                let (len, from) = socket.recv_from(&mut buf)?;
                // The harness's own stop datagram comes from a socket the guest never sees.
                if from == stop_from {
                    return Ok(received);
                }
                match std::str::from_utf8(&buf[..len])
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                {
                    Some(seq) => *received.counts.entry(seq).or_default() += 1,
                    None => received.invalid += 1,
                }
                if echo {
                    socket.send_to(&buf[..len], from)?;
                }
            }
        });
        Ok(Self {
            addr,
            stopper,
            thread,
        })
    }

    /// Where guests send.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops draining and returns the counts. Loopback delivers a datagram during the
    /// sender's own send call, so everything the guest sent is queued before the stop.
    pub fn finish(self) -> io::Result<Received> {
        self.stopper.send_to(b"stop", self.addr)?;
        self.thread
            .join()
            .map_err(|_| io::Error::other("sink thread panicked"))?
    }
}
