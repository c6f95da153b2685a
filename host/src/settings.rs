//! The settings of a run: what it may use and what it is judged by. [`Builder`](crate::Builder)
//! makes them; a [`Harness`](crate::Harness) holds them.

use crate::component::DEFAULT_MAX_COMPONENT_SIZE;
use crate::error::Error;
use crate::names::Names;
use crate::peer::{PeerOptions, TcpClientOptions};
use crate::plan::Plan;
use crate::policy::NetPolicy;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Default memory bound of a guest: 512 MiB of linear memory.
///
/// ```
/// use wouldblock::{Builder, DEFAULT_MAX_MEMORY};
/// assert_eq!(DEFAULT_MAX_MEMORY, 512 << 20);
/// assert!(Builder::new().max_memory(2 * DEFAULT_MAX_MEMORY).build().is_ok());
/// ```
pub const DEFAULT_MAX_MEMORY: usize = 512 << 20;
/// Default wall-clock safety net. Hangs and busy loops are found by counting, long
/// before this; it only catches what counting cannot see.
pub(crate) const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(60);
/// Default bound on the sockets a guest may have open at once: well under the process's
/// descriptor limit, which the harness's own peer sockets share.
///
/// ```
/// use wouldblock::{Builder, DEFAULT_MAX_SOCKETS};
/// assert_eq!(DEFAULT_MAX_SOCKETS, 1024);
/// assert!(Builder::new().max_sockets(DEFAULT_MAX_SOCKETS / 16).build().is_ok());
/// ```
pub const DEFAULT_MAX_SOCKETS: u64 = 1024;
/// The most datagrams a run may be expected to deliver (`--expect-datagrams`).
pub(crate) const MAX_EXPECTED_DATAGRAMS: u64 = 1_000_000_000;
/// The most linear memory a guest may be given (`--max-memory`): a wasm32 memory's 4 GiB.
const MAX_MEMORY: u64 = 4 << 30;
/// The most bytes the harness's TCP or HTTP client sends in one run, all its messages and
/// connections together (`--tcp-client`, `--http-client`): each message is built and
/// checked in memory, and a length prefix is 32 bits.
pub(crate) const MAX_CLIENT_BYTES: u64 = 64 << 20;
/// The most connections the harness's TCP client opens at once (`--tcp-connections`):
/// each is a thread of the harness.
pub(crate) const MAX_CLIENT_CONNECTIONS: usize = 256;
/// Instances alive at once in one harness unless [`Builder::parallelism`](crate::Builder::parallelism)
/// says otherwise: runs on every thread, tests in parallel.
pub(crate) const DEFAULT_PARALLELISM: usize = 64;
/// The most runs at once a harness may be built for (`--jobs`): each one is a thread and
/// an instance slot with its own reserved address space, and a 2-core machine gains
/// nothing past a few per core.
///
/// ```
/// use wouldblock::{Builder, MAX_PARALLELISM};
/// assert!(Builder::new().parallelism(MAX_PARALLELISM).build().is_ok());
/// assert!(Builder::new().parallelism(MAX_PARALLELISM + 1).build().is_err());
/// ```
pub const MAX_PARALLELISM: usize = 256;
/// The smallest memory bound that can run a guest at all.
pub(crate) const MIN_MEMORY: usize = 1 << 20;
/// Default quiet window: how long a wait that only the real world can end (a missed
/// wake-up beside real sockets, no timer) is given when the guest talks to something the
/// harness cannot see settle. Loopback answers in microseconds.
pub(crate) const DEFAULT_QUIET_WINDOW: Duration = Duration::from_millis(50);
/// Default number of socket calls in a row without progress that makes a busy loop.
///
/// ```
/// use wouldblock::{Builder, DEFAULT_BUSY_THRESHOLD};
/// assert_eq!(DEFAULT_BUSY_THRESHOLD, 1000);
/// assert!(Builder::new().busy_threshold(10 * DEFAULT_BUSY_THRESHOLD).build().is_ok());
/// ```
pub const DEFAULT_BUSY_THRESHOLD: u64 = 1000;
/// Fuel between yields to the async executor, so a guest that spins inside wasm still
/// lets the time limit fire. Fuel is counted, so where the yields fall is deterministic.
pub(crate) const FUEL_YIELD_INTERVAL: u64 = 1_000_000;
/// Captured stdout/stderr is bounded; a guest that prints more is cut, not fatal.
pub(crate) const CAPTURE_LIMIT: usize = 1 << 20;
/// The capture bound of a test binary's listing (`--list --format terse`): a listing is
/// read whole, never cut, or refused past this.
pub(crate) const LISTING_LIMIT: usize = 16 << 20;

/// Where the guest's stdout and stderr go.
///
/// ```
/// use wouldblock::Output;
/// assert_eq!(Output::default(), Output::Capture);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Output {
    /// Straight to the harness's own stdout and stderr.
    Inherit,
    /// Into the [`Outcome`](crate::Outcome), for tests to assert on.
    #[default]
    Capture,
}

/// Which time the guest sees.
///
/// ```
/// use wouldblock::Clock;
/// assert_eq!(Clock::default(), Clock::Virtual);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Clock {
    /// Virtual time: it starts at a fixed value and moves only when the guest waits and
    /// nothing but a timer can wake it; then it jumps to the earliest deadline. A run never
    /// sleeps on a timer, and its trace does not depend on the machine's speed.
    #[default]
    Virtual,
    /// The machine's clocks, as wasmtime-wasi gives them: back-offs really wait.
    Real,
}

/// Everything a [`Harness`](crate::Harness) runs by: what [`Builder`](crate::Builder) built.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) plan: Plan,
    pub(crate) net: NetPolicy,
    pub(crate) max_memory: usize,
    pub(crate) time_limit: Duration,
    pub(crate) quiet_window: Duration,
    pub(crate) busy_threshold: u64,
    pub(crate) cache: bool,
    pub(crate) output: Output,
    pub(crate) inherit_env: bool,
    pub(crate) inherit_stdin: bool,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) no_drops: bool,
    pub(crate) max_component_size: u64,
    pub(crate) max_sockets: u64,
    pub(crate) preopens: Vec<(String, String)>,
    pub(crate) clock: Clock,
    pub(crate) peer: Option<PeerOptions>,
    pub(crate) tcp_client: Option<TcpClientOptions>,
    /// The bound of each of stdout and stderr when captured.
    pub(crate) capture_limit: usize,
    /// Serve the guest's `wasi:http/incoming-handler`: one request of each size.
    pub(crate) http_client: Option<Vec<usize>>,
    /// How the guest's names resolve: read when the harness is built.
    pub(crate) names: Arc<Names>,
    /// Instances alive at once: the pool's size, and the most workers a parallel run uses.
    pub(crate) parallelism: usize,
    /// Set from outside (a signal handler) to stop parallel runs early.
    pub(crate) interrupt: Option<Arc<AtomicBool>>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            plan: Plan::new(),
            net: NetPolicy::loopback(),
            max_memory: DEFAULT_MAX_MEMORY,
            time_limit: DEFAULT_TIME_LIMIT,
            quiet_window: DEFAULT_QUIET_WINDOW,
            busy_threshold: DEFAULT_BUSY_THRESHOLD,
            cache: false,
            output: Output::default(),
            inherit_env: false,
            inherit_stdin: false,
            env: Vec::new(),
            no_drops: false,
            max_component_size: DEFAULT_MAX_COMPONENT_SIZE,
            max_sockets: DEFAULT_MAX_SOCKETS,
            preopens: Vec::new(),
            clock: Clock::default(),
            peer: None,
            tcp_client: None,
            capture_limit: CAPTURE_LIMIT,
            http_client: None,
            names: Arc::default(),
            parallelism: DEFAULT_PARALLELISM,
            interrupt: None,
        }
    }
}

impl Settings {
    /// What decides a run's verdict besides the plan and the guest, as text: two
    /// explorations merge only when it is the same. Environment values stay out (CI
    /// secrets); their names are in.
    pub(crate) fn fingerprint(&self) -> String {
        let env: Vec<&str> = self.env.iter().map(|(name, _)| name.as_str()).collect();
        // Only where it is set, so every fingerprint without it reads as before.
        let http = self
            .http_client
            .as_ref()
            .map_or_else(String::new, |sizes| format!("; http-client {sizes:?}"));
        let text = format!(
            "net {:?}; max-memory {}; time-limit {:?}; busy-threshold {}; no-drops {}; \
             max-sockets {}; clock {:?}; peer {:?}; tcp-client {:?}; env {env:?}; \
             inherit-env {}; inherit-stdin {}; preopens {:?}",
            self.net,
            self.max_memory,
            self.time_limit,
            self.busy_threshold,
            self.no_drops,
            self.max_sockets,
            self.clock,
            self.peer,
            self.tcp_client,
            self.inherit_env,
            self.inherit_stdin,
            self.preopens,
        );
        text + &http
    }

    /// Refuses settings that cannot work, before any guest runs.
    pub(crate) fn check(&self) -> Result<(), Error> {
        let invalid = |setting, message: &str| {
            Err(Error::Invalid {
                setting,
                message: message.to_string(),
            })
        };
        if self.max_memory < MIN_MEMORY {
            return invalid(
                "max-memory",
                "must be at least 1 MiB: a wasm32-wasip2 program cannot even start below it",
            );
        }
        if self.max_memory as u64 > MAX_MEMORY {
            return Err(Error::Invalid {
                setting: "max-memory",
                message: format!(
                    "{} MiB is more than {} MiB, all a wasm32 memory can address",
                    self.max_memory >> 20,
                    MAX_MEMORY >> 20
                ),
            });
        }
        if self.time_limit.is_zero() {
            return invalid(
                "time-limit",
                "must be more than 0: 0 would stop every guest at once",
            );
        }
        if let Some(n) = self.peer.and_then(|p| p.expect_datagrams)
            && n > MAX_EXPECTED_DATAGRAMS
        {
            return Err(Error::Invalid {
                setting: "expect-datagrams",
                message: format!(
                    "{n} is more than {MAX_EXPECTED_DATAGRAMS}: a run sends at most about a \
                     million datagrams a second, so no run could send that many"
                ),
            });
        }
        if !(1..=MAX_PARALLELISM).contains(&self.parallelism) {
            return Err(Error::Invalid {
                setting: "jobs",
                message: format!(
                    "{} runs at once: must be from 1 to {MAX_PARALLELISM}",
                    self.parallelism
                ),
            });
        }
        if self.tcp_client.is_some() && self.http_client.is_some() {
            return invalid(
                "http-client",
                "cannot be given with --tcp-client: a run drives one guest server, a TCP \
                 one (--tcp-client) or a wasi:http one (--http-client)",
            );
        }
        if let Some(client) = &self.tcp_client {
            if !(1..=MAX_CLIENT_CONNECTIONS).contains(&client.connections) {
                return Err(Error::Invalid {
                    setting: "tcp-connections",
                    message: format!(
                        "{} connections: must be from 1 to {MAX_CLIENT_CONNECTIONS}",
                        client.connections
                    ),
                });
            }
            client_bytes("tcp-client", &client.sizes, client.connections)?;
        }
        if let Some(sizes) = &self.http_client {
            client_bytes("http-client", sizes, 1)?;
        }
        if self.busy_threshold == 0 {
            return invalid(
                "busy-threshold",
                "must be at least 1: 0 would call the first empty answer a busy loop",
            );
        }
        Ok(())
    }
}

/// Refuses a client that would send more than [`MAX_CLIENT_BYTES`] in all.
fn client_bytes(setting: &'static str, sizes: &[usize], connections: usize) -> Result<(), Error> {
    let total = sizes
        .iter()
        .try_fold(0u64, |sum, &size| {
            sum.checked_add(u64::try_from(size).ok()?)
        })
        .and_then(|sum| sum.checked_mul(connections as u64));
    match total {
        Some(total) if total <= MAX_CLIENT_BYTES => Ok(()),
        _ => Err(Error::Invalid {
            setting,
            message: format!(
                "{} message(s) of {} bytes in all: the harness's client sends at most {} MiB \
                 a run (every message and connection together), and builds and checks each \
                 in memory",
                sizes.len() * connections,
                total.map_or_else(|| "more than 2^64".to_string(), |t| t.to_string()),
                MAX_CLIENT_BYTES >> 20
            ),
        }),
    }
}
