//! What a run produced, how it ended, and the verdicts only its end can give.

use crate::faults::{Faults, Stats};
use crate::peer::{PeerOptions, Received, TcpReport};
use crate::trace::Trace;
use crate::verdict::{Stop, Verdict};
use std::fmt;
use wasmtime_wasi::I32Exit;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exit {
    /// The guest returned or called `exit` with this status.
    Code(i32),
    /// The guest aborted: a Rust panic (status 101, as native libtest reports it) or
    /// another abort (134, as SIGABRT), with what it said last.
    Abort {
        /// The status native code would have exited with.
        status: i32,
        /// `panic` or `abort`.
        kind: &'static str,
        /// The panic message, or the abort's last words on stderr.
        message: String,
    },
    /// The harness stopped it, or it trapped.
    Stopped(Stop),
}

/// Everything a run produced.
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
}

/// How a run ended, without the words: what `--repeat` counts, what an exploration groups
/// its findings by, and what two runs compare equal on.
///
/// ```
/// use wouldblock::{Ending, Verdict};
/// assert_eq!(Ending::Pass.to_string(), "pass");
/// assert_eq!(Ending::Fail(1).to_string(), "fail (exit 1)");
/// assert_eq!(Ending::Abort { kind: "panic", status: 101 }.to_string(), "panic (exit 101)");
/// assert_eq!(Ending::Verdict(Verdict::BusyLoop).to_string(), "busy-loop");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Ending {
    /// The guest exited 0.
    Pass,
    /// The guest exited with this status, not 0.
    Fail(i32),
    /// The guest aborted.
    Abort {
        /// `panic` or `abort`.
        kind: &'static str,
        /// The status native code would have exited with (101, 134).
        status: i32,
    },
    /// The harness stopped it, or it trapped.
    Verdict(Verdict),
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Pass => f.write_str("pass"),
            Ending::Fail(code) => write!(f, "fail (exit {code})"),
            Ending::Abort { kind, status } => write!(f, "{kind} (exit {status})"),
            Ending::Verdict(verdict) => write!(f, "{verdict}"),
        }
    }
}

impl Exit {
    /// The status the guest ended with by itself (an exit or an abort), if it did.
    pub fn guest_status(&self) -> Option<i32> {
        match self {
            Exit::Code(code) => Some(*code),
            Exit::Abort { status, .. } => Some(*status),
            Exit::Stopped(_) => None,
        }
    }

    /// How it ended, without the words.
    pub fn ending(&self) -> Ending {
        match self {
            Exit::Code(0) => Ending::Pass,
            Exit::Code(code) => Ending::Fail(*code),
            Exit::Abort { kind, status, .. } => Ending::Abort {
                kind,
                status: *status,
            },
            Exit::Stopped(stop) => Ending::Verdict(stop.verdict),
        }
    }
}

impl Outcome {
    /// The exit status the `wouldblock` command reports for this run.
    pub fn exit_code(&self) -> i32 {
        match &self.exit {
            Exit::Code(code) => *code,
            Exit::Abort { status, .. } => *status,
            Exit::Stopped(stop) => stop.verdict.exit_code(),
        }
    }

    /// How the run ended, without the words: `pass`, `fail (exit 1)`, `busy-loop`, ...
    pub fn ending(&self) -> Ending {
        self.exit.ending()
    }

    /// Whether the guest ended by itself with status 0.
    pub fn passed(&self) -> bool {
        self.exit == Exit::Code(0)
    }

    /// The verdict, if the harness stopped the guest.
    pub fn verdict(&self) -> Option<Verdict> {
        match &self.exit {
            Exit::Stopped(stop) => Some(stop.verdict),
            Exit::Code(_) | Exit::Abort { .. } => None,
        }
    }

    /// Captured stdout as text.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Captured stderr as text.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The outcome for tools (`--summary-json`): the verdict, the exit status, the guest's
    /// own status and the counters.
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
            "wouldblock: {ending}; faults injected {}, check-send calls {}, send calls {}, \
             datagrams accepted {}, receive calls {}, datagrams received {}, \
             refused and never re-offered {}",
            s.faults_injected,
            s.check_send_calls,
            s.send_calls,
            s.datagrams_accepted,
            s.receive_calls,
            s.datagrams_received,
            s.datagrams_dropped
        ) + &self.tcp_summary()
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

/// The last line with something to say: not blank, not std's hint about backtraces.
fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.starts_with("note: run with"))
        .unwrap_or("")
}

/// How many refusing answers a `dropped` verdict quotes.
const EVIDENCE_LINES: usize = 6;

/// The verdicts that only the end of a run can give: a guest that says it succeeded but
/// dropped what it was told to send again, or lost data, and a guest that gave up after a
/// transient error the plan injected.
pub(crate) fn judge(
    exit: Exit,
    faults: &Faults,
    peer: Option<PeerOptions>,
    received: Option<&Received>,
    tcp: Option<&TcpReport>,
    no_drops: bool,
) -> Exit {
    // An abort (a panic) is the guest failing, judged like any other exit.
    let Some(code) = exit.guest_status() else {
        return exit;
    };
    if code == 0
        && let Some((dropped, lines)) = faults.drops.account(no_drops)
    {
        let mut stop = faults.stop(
            Verdict::Dropped,
            format!(
                "the guest exited 0, but datagrams an injected answer refused were never \
                 offered again: {dropped}. WIT: \"If none of the datagrams were able to be \
                 sent, `ok(0)` is returned\": a refused datagram must be sent again"
            ),
        );
        stop.evidence = faults.trace.render_lines(&lines, EVIDENCE_LINES);
        return Exit::Stopped(stop);
    }
    let expected = peer.and_then(|p| p.expect_datagrams);
    if let (0, Some(n), Some(received)) = (code, expected, received)
        && let Some(discrepancy) = received.discrepancy(n)
    {
        // Loss is the guest's only when the kernel provably did not drop what is missing
        // on its way to the harness's own socket.
        let drops = received.kernel_drops.unwrap_or(0);
        let only_missing = received.duplicated().is_empty()
            && received.invalid == 0
            && received.counts.range(n..).next().is_none();
        if drops > 0 && only_missing && received.missing_count(n) <= drops {
            return Exit::Stopped(faults.stop(
                Verdict::PeerOverflow,
                format!(
                    "the guest exited 0 and {discrepancy}: the kernel dropped {drops} \
                     datagram(s) on the way to the harness's own peer, so the run cannot \
                     tell whether the guest lost any (inconclusive, not the guest's loss)"
                ),
            ));
        }
        return Exit::Stopped(faults.stop(
            Verdict::Loss,
            format!("the guest exited 0, but {discrepancy}: it lost data silently"),
        ));
    }
    if let (0, Some(report)) = (code, tcp)
        && !report.complete()
    {
        let failures: Vec<&str> = report
            .connections
            .iter()
            .filter_map(|c| c.failure.as_deref())
            .collect();
        let never = report.expected_connections - report.connections.len();
        let mut why = failures.join("; ");
        if never > 0 {
            why = format!("{never} connection(s) never made (the guest never listened); {why}");
        }
        return Exit::Stopped(faults.stop(
            Verdict::Loss,
            format!(
                "the guest exited 0, but the harness's client got {}: {why}",
                report.summary()
            ),
        ));
    }
    let ended = match &exit {
        Exit::Abort { kind, message, .. } => format!("ended in a {kind} ({message})"),
        _ => format!("exited {code}"),
    };
    match faults.pending_error() {
        Some(error) if code != 0 => Exit::Stopped(faults.stop(
            Verdict::UnusableAfterError,
            format!(
                "the guest {ended} after {error} and moved no data since: it treated an \
                 error the host reports once as fatal, though the socket stays usable"
            ),
        )),
        _ => exit,
    }
}

/// Tells a guest's own exit, its abort, a harness stop and a trap apart; `note` says what
/// may have caused a trap (a refused memory growth), `stderr` is the end of what the guest
/// printed.
pub(crate) fn classify(error: &wasmtime::Error, note: Option<String>, stderr: &[u8]) -> Exit {
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        return Exit::Code(exit.0);
    }
    for cause in error.chain() {
        if let Some(stop) = cause.downcast_ref::<Stop>() {
            return Exit::Stopped(stop.clone());
        }
    }
    // A guest aborts by executing `unreachable`: Rust's panic=abort and wasi-libc's abort()
    // both end that way, after saying why on stderr.
    if error.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::UnreachableCodeReached) {
        let text = String::from_utf8_lossy(stderr);
        let (status, kind, said) = match text.rfind("panicked at") {
            // std's hint about backtraces is not the message.
            Some(at) => (
                101,
                "panic",
                text[at..].split("\nnote: ").next().unwrap_or(""),
            ),
            None => (134, "abort", last_line(&text)),
        };
        let mut message = said.split_whitespace().collect::<Vec<_>>().join(" ");
        message.truncate(message.floor_char_boundary(300));
        if let Some(note) = note {
            message = format!("{message} ({note})");
        }
        return Exit::Abort {
            status,
            kind,
            message,
        };
    }
    Exit::Stopped(Stop {
        verdict: Verdict::Trap,
        reason: match note {
            Some(note) => format!("the guest trapped ({note}): {error:?}"),
            None => format!("the guest trapped: {error:?}"),
        },
        evidence: String::new(),
    })
}
