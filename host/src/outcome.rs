//! What a run produced: its [`Outcome`], and where a guest that panicked says it did.
//! How it ended ([`Exit`], [`Ending`]) is [`verdict`](crate::verdict)'s, the floor below,
//! which judges it.

use crate::peer::{Received, TcpReport};
use crate::recorder::Stats;
use crate::trace::Trace;
use crate::verdict::{Ending, Exit, Verdict};

/// Everything a run produced.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wouldblock::{Builder, Exit};
/// let harness = Builder::new().build()?;
/// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
/// let outcome = harness.run(&guest, &["env"])?;
/// assert_eq!(outcome.exit, Exit::Code(0));
/// assert_eq!(outcome.stdout, b"", "nothing inherited from the host's environment");
/// assert_eq!(outcome.stats.faults_injected, 0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Outcome {
    /// How it ended.
    pub exit: Exit,
    /// The counters.
    pub stats: Stats,
    /// Every socket call.
    pub trace: Trace,
    /// Captured stdout (empty when inherited).
    pub stdout: Vec<u8>,
    /// Captured stderr (empty when inherited).
    pub stderr: Vec<u8>,
    /// What the harness-owned peer received, if there was one.
    pub received: Option<Received>,
    /// What the harness's TCP client saw of a guest server, if it drove one.
    pub tcp: Option<TcpReport>,
    /// The status the guest ended with by itself, if it did (a verdict may stand in its
    /// place in [`Outcome::exit`], e.g. `loss` for a guest that exited 0).
    pub guest_status: Option<i32>,
    /// The guest's inherited stderr ended in the middle of a line: what the harness prints
    /// next must start with a newline.
    pub stderr_mid_line: bool,
    /// The guest's stack, innermost first, when a trap ended the run (a panic, a stop for
    /// a verdict): function names from the component's name section, demangled.
    pub stack: Vec<String>,
}

impl Outcome {
    /// The exit status the `wouldblock` command reports for this run.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, Verdict};
    /// let harness = Builder::new().fault("enobufs-writable")?.build()?;
    /// let guest = harness.compile("udp-burst-spin", wouldblock_guests::UDP_BURST_SPIN.wasm)?;
    /// let outcome = harness.run(&guest, &["{peer}", "--count", "16"])?;
    /// assert_eq!(outcome.exit_code(), Verdict::BusyLoop.exit_code());
    /// # Ok(()) }
    /// ```
    pub fn exit_code(&self) -> i32 {
        match &self.exit {
            Exit::Code(code) => *code,
            Exit::Abort { status, .. } => *status,
            Exit::Stopped(stop) => stop.verdict.exit_code(),
        }
    }

    /// How the run ended, without the words: `pass`, `fail (exit 1)`, `busy-loop`, ...
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, Ending, Verdict};
    /// let harness = Builder::new().fault("enobufs-writable")?.build()?;
    /// let guest = harness.compile("udp-burst-spin", wouldblock_guests::UDP_BURST_SPIN.wasm)?;
    /// let outcome = harness.run(&guest, &["{peer}", "--count", "16"])?;
    /// assert_eq!(outcome.ending(), Ending::Verdict(Verdict::BusyLoop));
    /// assert_eq!(outcome.ending().to_string(), "busy-loop");
    /// # Ok(()) }
    /// ```
    pub fn ending(&self) -> Ending {
        self.exit.ending()
    }

    /// Whether the guest ended by itself with status 0 (no verdict stood in its place).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.compile("udp-send-naive", wouldblock_guests::UDP_SEND_NAIVE.wasm)?;
    /// let outcome = harness.with_plan(wouldblock::Plan::new().with_spec("first-send")?)
    ///     .run(&guest, &["127.0.0.1:9"])?;
    /// assert!(!outcome.passed() && outcome.verdict().is_none(), "it fails by itself");
    /// assert_eq!(outcome.exit_code(), 1);
    /// # Ok(()) }
    /// ```
    pub fn passed(&self) -> bool {
        self.exit == Exit::Code(0)
    }

    /// The verdict, if the harness stopped the guest.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use wouldblock::{Builder, PeerOptions, Verdict};
    /// let harness = Builder::new()
    ///     .fault("enobufs-backpressure")?
    ///     .peer(PeerOptions::counting().expect_datagrams(16))
    ///     .build()?;
    /// let guest = harness.compile("udp-burst-drop", wouldblock_guests::UDP_BURST_DROP.wasm)?;
    /// let outcome = harness.run(&guest, &["{peer}", "--count", "16"])?;
    /// assert_eq!(outcome.verdict(), Some(Verdict::Loss));
    /// # Ok(()) }
    /// ```
    pub fn verdict(&self) -> Option<Verdict> {
        match &self.exit {
            Exit::Stopped(stop) => Some(stop.verdict),
            Exit::Code(_) | Exit::Abort { .. } => None,
        }
    }

    /// Captured stdout as text.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().env("GREETING", "hi").build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let outcome = harness.run(&guest, &["env"])?;
    /// assert_eq!(outcome.stdout_text(), "GREETING=hi\n");
    /// # Ok(()) }
    /// ```
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Captured stderr as text.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let outcome = harness.run(&guest, &["partial-line"])?;
    /// assert_eq!(outcome.stderr_text(), "no newline here");
    /// # Ok(()) }
    /// ```
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The outcome for tools (`--summary-json`): the verdict, the exit status, the guest's
    /// own status and the counters.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let json = harness.run(&guest, &["exit", "3"])?.to_json();
    /// assert_eq!(json["exit_status"], 3);
    /// assert_eq!(json["passed"], false);
    /// # Ok(()) }
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        let (verdict, reason) = match &self.exit {
            Exit::Stopped(stop) => (Some(stop.verdict.name()), Some(stop.reason.as_str())),
            Exit::Abort { message, .. } => (None, Some(message.as_str())),
            Exit::Code(_) => (None, None),
        };
        serde_json::json!({
            "passed": self.passed(),
            "exit_status": self.exit_code(),
            "verdict": verdict,
            "reason": reason,
            "guest_status": self.guest_status,
            "stats": self.stats,
            "received": self.received.as_ref().map(|r| serde_json::json!({
                "datagrams": r.total(),
                "distinct": r.counts.len(),
                "not_numbered": r.invalid,
                "kernel_drops": r.kernel_drops,
            })),
            "tcp_client": self.tcp,
            "trace_events": self.trace.total(),
        })
    }

    /// The one-line summary the command prints last on stderr.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let harness = wouldblock::Builder::new().build()?;
    /// let guest = harness.compile("probe", wouldblock_guests::PROBE.wasm)?;
    /// let summary = harness.run(&guest, &["exit", "3"])?.summary();
    /// assert!(summary.starts_with("wouldblock: fail (guest exit 3); faults injected 0"));
    /// # Ok(()) }
    /// ```
    pub fn summary(&self) -> String {
        let s = &self.stats;
        let ending = match &self.exit {
            Exit::Code(0) => "pass (exit 0)".to_string(),
            Exit::Code(code) => format!("fail (guest exit {code})"),
            Exit::Abort {
                status,
                kind,
                message,
            } => format!("fail (guest {kind}, exit {status}: {message})"),
            Exit::Stopped(stop) => format!("{} (exit {})", stop.verdict, stop.verdict.exit_code()),
        };
        format!(
            "wouldblock: {ending}; faults injected {}",
            s.faults_injected
        ) + &self.udp_summary()
            + &self.tcp_summary()
    }

    /// The UDP part of the summary line, when the guest used UDP: a program that did not
    /// has no datagram counters to read.
    fn udp_summary(&self) -> String {
        let s = &self.stats;
        if s.check_send_calls + s.send_calls + s.receive_calls == 0 {
            return String::new();
        }
        format!(
            ", check-send calls {}, send calls {}, datagrams accepted {}, receive calls {}, \
             datagrams received {}, refused and never re-offered {}",
            s.check_send_calls,
            s.send_calls,
            s.datagrams_accepted,
            s.receive_calls,
            s.datagrams_received,
            s.datagrams_dropped
        )
    }

    /// The TCP part of the summary line, when the guest used TCP.
    fn tcp_summary(&self) -> String {
        let s = &self.stats;
        let mut text = String::new();
        if s.tcp_bytes_read + s.tcp_bytes_written > 0 {
            text = format!(
                ", tcp bytes read {}, tcp bytes written {}",
                s.tcp_bytes_read, s.tcp_bytes_written
            );
        }
        if let Some(report) = &self.tcp {
            text += &format!("; harness client: {}", report.summary());
        }
        text
    }
}

/// Where a guest panicked, from libtest's `thread '…' panicked at FILE:LINE:COL:` line.
///
/// ```
/// use wouldblock::explore::panic_location;
/// let stderr = "\nthread 'sends' panicked at tests/udp.rs:41:9:\nsend: WouldBlock\n";
/// assert_eq!(panic_location(stderr).as_deref(), Some("tests/udp.rs:41:9"));
/// assert_eq!(panic_location("exit 1"), None);
/// ```
pub fn panic_location(stderr: &str) -> Option<String> {
    let (_, after) = stderr.split_once("panicked at ")?;
    let line = after.lines().next()?.trim_end().trim_end_matches(':');
    (!line.is_empty()).then(|| line.to_string())
}
