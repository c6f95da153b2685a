//! What the peer received, and what is wrong with it against what the guest should have
//! sent. Every account costs time in proportion to what arrived, never to what was expected.

use std::collections::BTreeMap;

/// What the peer received, per sequence number.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let peer = wouldblock::Peer::start()?;
/// let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// socket.send_to(b"0", peer.addr())?;
/// socket.send_to(b"hello", peer.addr())?;
/// let received = peer.finish()?;
/// assert_eq!(received.counts.get(&0), Some(&1));
/// assert_eq!(received.invalid, 1, "`hello` is not a sequence number");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Received {
    /// How many times each sequence number arrived.
    pub counts: BTreeMap<u64, u32>,
    /// Datagrams that were not the canonical decimal text of a sequence number.
    pub invalid: u64,
    /// Datagrams the kernel dropped on the way to the peer's socket (its receive buffer was
    /// full), read with `SO_MEMINFO`; `None` if the kernel could not say. Loss this explains
    /// is the harness's, not the guest's.
    pub kernel_drops: Option<u64>,
    /// How many times each payload arrived, by digest (a fixed-key hash of its bytes, the
    /// same on every run): what the guest's accepted sends are checked against, whatever
    /// their bytes.
    pub digests: BTreeMap<u64, u32>,
}

/// A payload's digest: its length and a fixed-key hash of its bytes, the same on every run.
pub(crate) fn digest(payload: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    #[allow(deprecated)]
    let mut hasher = std::hash::SipHasher::new();
    payload.hash(&mut hasher);
    hasher.finish()
}

/// What the guest's `send` calls accepted for the harness's peer that did not arrive there
/// as often: `(missing datagrams, distinct payloads short)`.
pub(crate) fn short_of(sent: &BTreeMap<u64, u32>, received: &Received) -> (u64, u64) {
    let mut missing = 0u64;
    let mut payloads = 0u64;
    for (payload, &n) in sent {
        let got = received.digests.get(payload).copied().unwrap_or(0);
        if got < n {
            missing += u64::from(n - got);
            payloads += 1;
        }
    }
    (missing, payloads)
}

impl Received {
    /// How many of `0..expected` never arrived; costs O(distinct received), never O(expected).
    ///
    /// ```
    /// let mut received = wouldblock::Received::default();
    /// received.counts.extend([(0, 1), (2, 1)]);
    /// assert_eq!(received.missing_count(4), 2);
    /// ```
    pub fn missing_count(&self, expected: u64) -> u64 {
        expected - self.counts.range(..expected).count() as u64
    }

    /// The first `n` numbers in `0..expected` that never arrived, found by walking the gaps
    /// between received numbers: O(n + received) whatever `expected` is.
    ///
    /// ```
    /// let mut received = wouldblock::Received::default();
    /// received.counts.extend([(0, 1), (2, 1)]);
    /// assert_eq!(received.first_missing(1_000_000, 3), [1, 3, 4]);
    /// ```
    pub fn first_missing(&self, expected: u64, n: usize) -> Vec<u64> {
        let mut missing = Vec::new();
        let mut next = 0u64;
        let ends = self.counts.range(..expected).map(|(&k, _)| k);
        for end in ends.chain([expected]) {
            let room = (n - missing.len()) as u64;
            missing.extend(next..end.min(next.saturating_add(room)));
            if missing.len() == n {
                break;
            }
            next = end.saturating_add(1);
        }
        missing
    }

    /// Sequence numbers that arrived more than once.
    ///
    /// ```
    /// let mut received = wouldblock::Received::default();
    /// received.counts.extend([(0, 1), (1, 2)]);
    /// assert_eq!(received.duplicated(), [1]);
    /// ```
    pub fn duplicated(&self) -> Vec<u64> {
        let dup = self.counts.iter().filter(|(_, n)| **n > 1);
        dup.map(|(i, _)| *i).collect()
    }

    /// Whether `0..expected` each arrived exactly once and nothing else did.
    ///
    /// ```
    /// let mut received = wouldblock::Received::default();
    /// received.counts.extend([(0, 1), (1, 1)]);
    /// assert!(received.exactly_once(2));
    /// assert!(!received.exactly_once(3));
    /// ```
    pub fn exactly_once(&self, expected: u64) -> bool {
        self.invalid == 0
            && self.counts.len() as u64 == expected
            && self.counts.range(expected..).next().is_none()
            && self.counts.values().all(|n| *n == 1)
    }

    /// A short account of what is wrong against `0..expected`, or `None` if nothing is.
    ///
    /// ```
    /// let mut received = wouldblock::Received::default();
    /// received.counts.extend([(0, 1), (2, 1)]);
    /// assert_eq!(
    ///     received.discrepancy(3).unwrap(),
    ///     "2 of 3 datagrams arrived; missing [1], duplicated [], not numbered 0"
    /// );
    /// received.counts.insert(1, 1);
    /// assert_eq!(received.discrepancy(3), None);
    /// ```
    pub fn discrepancy(&self, expected: u64) -> Option<String> {
        if self.exactly_once(expected) {
            return None;
        }
        let missing = list(
            self.first_missing(expected, 10),
            self.missing_count(expected),
        );
        let duplicated = self.duplicated();
        let mut text = format!(
            "{} of {expected} datagrams arrived; missing {missing}, duplicated {}, not numbered {}",
            self.counts.range(..expected).count(),
            list(duplicated.iter().copied(), duplicated.len() as u64),
            self.invalid
        );
        // Numbers past the range are wrong too, and would otherwise go unmentioned.
        let beyond = self.counts.range(expected..).count() as u64;
        if beyond > 0 {
            let first = self.counts.range(expected..).map(|(k, _)| *k);
            text += &format!(", beyond range {}", list(first, beyond));
        }
        if let Some(drops) = self.kernel_drops.filter(|d| *d > 0) {
            text += &format!(", dropped by the kernel at the peer {drops}");
        }
        Some(text)
    }

    /// Datagrams received in all.
    ///
    /// ```
    /// let mut received = wouldblock::Received::default();
    /// received.counts.extend([(0, 1), (1, 2)]);
    /// received.invalid = 1;
    /// assert_eq!(received.total(), 4);
    /// ```
    pub fn total(&self) -> u64 {
        self.counts.values().map(|n| u64::from(*n)).sum::<u64>() + self.invalid
    }
}

/// The first ten of `all` numbers in brackets, and how many more there are.
fn list(numbers: impl IntoIterator<Item = u64>, all: u64) -> String {
    let shown: Vec<String> = numbers
        .into_iter()
        .take(10)
        .map(|i| i.to_string())
        .collect();
    let more = all - shown.len() as u64;
    let tail = (more > 0).then(|| format!(" and {more} more"));
    format!("[{}]{}", shown.join(", "), tail.unwrap_or_default())
}
