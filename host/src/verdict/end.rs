//! The verdicts only the end of a run can give, and how a run's end is told apart: the
//! guest's own exit, its abort, a harness stop, a trap. Judged from [`Facts`], plain data
//! the harness gathers once the guest is gone, so nothing here reads the run's state.

use super::during::{EVIDENCE_LINES, stop};
use super::{Exit, Stop, Verdict};
use crate::peer::{HttpReport, Received, Served, TcpReport, short_of};
use crate::trace::Trace;
use std::collections::BTreeMap;
use wasmtime_wasi::I32Exit;

/// What the end of a run is judged from: what the guest did at the WIT boundary and what
/// the harness's own peers saw of it.
pub(crate) struct Facts<'a> {
    /// Every socket call, for the evidence.
    pub(crate) trace: &'a Trace,
    /// Datagrams an injected answer refused that were never offered again (refused by an
    /// error too under `--no-drops`): what they were, and the trace lines that show it.
    pub(crate) dropped: Option<(String, Vec<u64>)>,
    /// The transient error injected last, if the guest moved no data since.
    pub(crate) pending_error: Option<&'a str>,
    /// What `send` accepted for the harness's UDP peer, by payload digest, if it had one.
    pub(crate) accepted: Option<&'a BTreeMap<u64, u32>>,
    /// How many numbered datagrams the harness's UDP peer was told to expect.
    pub(crate) expected: Option<u64>,
    /// What the harness's UDP peer received.
    pub(crate) received: Option<&'a Received>,
    /// What the harness's TCP client saw of a guest server.
    pub(crate) tcp: Option<&'a TcpReport>,
    /// What the harness's HTTP echo peer read.
    pub(crate) http: Option<&'a HttpReport>,
    /// Bytes the guest's writes accepted on bodies of requests to the HTTP echo peer.
    pub(crate) http_owed: u64,
    /// What the harness's HTTP client got back from a guest server.
    pub(crate) http_served: Option<&'a Served>,
}

/// The last line with something to say: not blank, not std's hint about backtraces.
fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.starts_with("note: run with"))
        .unwrap_or("")
}

/// The verdicts that only the end of a run can give: a guest that says it succeeded but
/// dropped what it was told to send again, or lost data, and a guest that gave up after a
/// transient error the plan injected.
pub(crate) fn judge(exit: Exit, facts: &Facts<'_>) -> Exit {
    // An abort (a panic) is the guest failing, judged like any other exit.
    let Some(code) = exit.guest_status() else {
        return exit;
    };
    // Each check below is one way to lose data; the first that finds some speaks.
    let stop = if code == 0 {
        dropped(facts)
            .or_else(|| not_delivered(facts))
            .or_else(|| not_counted(facts))
            .or_else(|| not_served_tcp(facts))
            .or_else(|| http_loss(facts))
            .or_else(|| http_served(facts))
    } else {
        unusable(&exit, code, facts)
    };
    stop.map_or(exit, Exit::Stopped)
}

/// Datagrams an injected readiness answer refused, never offered again.
fn dropped(facts: &Facts<'_>) -> Option<Stop> {
    let (dropped, lines) = facts.dropped.as_ref()?;
    let mut stop = stop(
        facts.trace,
        Verdict::Dropped,
        format!(
            "the guest exited 0, but datagrams an injected answer refused were never \
             offered again: {dropped}. WIT: \"If none of the datagrams were able to be \
             sent, `ok(0)` is returned\": a refused datagram must be sent again"
        ),
    );
    stop.evidence = facts.trace.render_lines(lines, EVIDENCE_LINES);
    Some(stop)
}

/// Everything `send` accepted for the harness's peer must arrive there, as often as it
/// was accepted, byte for byte, whatever the payload.
fn not_delivered(facts: &Facts<'_>) -> Option<Stop> {
    let (received, accepted) = (facts.received?, facts.accepted?);
    let (missing, payloads) = short_of(accepted, received);
    if missing == 0 {
        return None;
    }
    let drops = received.kernel_drops.unwrap_or(0);
    let what = format!(
        "{missing} datagram(s) that send accepted for the harness's peer ({payloads} \
         distinct payload(s)) never arrived there"
    );
    Some(if drops >= missing {
        stop(
            facts.trace,
            Verdict::PeerOverflow,
            format!(
                "the guest exited 0 and {what}: the kernel dropped {drops} on the way \
                 to the harness's own peer (inconclusive, not the guest's loss)"
            ),
        )
    } else {
        stop(
            facts.trace,
            Verdict::Loss,
            format!("the guest exited 0, but {what}: data lost after the WIT boundary"),
        )
    })
}

/// The numbered check, where the guest numbers its datagrams (the bundled guests send
/// the decimal text of 0..N); a guest that does not is held to the count alone.
fn not_counted(facts: &Facts<'_>) -> Option<Stop> {
    let (n, received) = (facts.expected?, facts.received?);
    let numbered = !received.counts.is_empty() || received.invalid == 0;
    if !numbered {
        return (received.total() != n).then(|| {
            stop(
                facts.trace,
                Verdict::Loss,
                format!(
                    "the guest exited 0, but {} of {n} datagrams arrived (its payloads are \
                     not numbered, so only their count is judged): it lost data silently",
                    received.total()
                ),
            )
        });
    }
    let discrepancy = received.discrepancy(n)?;
    // Loss is the guest's only when the kernel provably did not drop what is missing
    // on its way to the harness's own socket.
    let drops = received.kernel_drops.unwrap_or(0);
    let only_missing = received.duplicated().is_empty()
        && received.invalid == 0
        && received.counts.range(n..).next().is_none();
    if drops > 0 && only_missing && received.missing_count(n) <= drops {
        return Some(stop(
            facts.trace,
            Verdict::PeerOverflow,
            format!(
                "the guest exited 0 and {discrepancy}: the kernel dropped {drops} \
                 datagram(s) on the way to the harness's own peer, so the run cannot \
                 tell whether the guest lost any (inconclusive, not the guest's loss)"
            ),
        ));
    }
    Some(stop(
        facts.trace,
        Verdict::Loss,
        format!("the guest exited 0, but {discrepancy}: it lost data silently"),
    ))
}

/// A guest server that exited 0 although the harness's TCP client did not get every
/// connection echoed.
fn not_served_tcp(facts: &Facts<'_>) -> Option<Stop> {
    let report = facts.tcp.filter(|report| !report.complete())?;
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
    Some(stop(
        facts.trace,
        Verdict::Loss,
        format!(
            "the guest exited 0, but the harness's client got {}: {why}",
            report.summary()
        ),
    ))
}

/// A guest that exited 0 although the harness's HTTP echo peer read fewer request body
/// bytes than the guest's body writes accepted: `loss`, as for a TCP peer.
fn http_loss(facts: &Facts<'_>) -> Option<Stop> {
    let report = facts.http.filter(|r| r.body_bytes < facts.http_owed)?;
    Some(stop(
        facts.trace,
        Verdict::Loss,
        format!(
            "the guest exited 0, but the harness's HTTP echo peer read {} of the {} \
             request body bytes its body writes accepted ({} request(s))",
            report.body_bytes, facts.http_owed, report.requests
        ),
    ))
}

/// A guest server that answered without trapping, but not every response body was its
/// request's, byte for byte: `loss`, as for the TCP client.
fn http_served(facts: &Facts<'_>) -> Option<Stop> {
    let served = facts.http_served.filter(|s| s.echoed < s.requests)?;
    Some(stop(
        facts.trace,
        Verdict::Loss,
        format!(
            "the guest served, but the harness's HTTP client got {} of {} response(s) \
             echoed byte-exactly: {}",
            served.echoed,
            served.requests,
            served.failure.as_deref().unwrap_or("a response is missing")
        ),
    ))
}

/// A guest that failed (`code`, not 0) after an injected transient error and moved no
/// data since.
fn unusable(exit: &Exit, code: i32, facts: &Facts<'_>) -> Option<Stop> {
    let error = facts.pending_error?;
    let ended = match exit {
        Exit::Abort { kind, message, .. } => format!("ended in a {kind} ({message})"),
        _ => format!("exited {code}"),
    };
    Some(stop(
        facts.trace,
        Verdict::UnusableAfterError,
        format!(
            "the guest {ended} after {error} and moved no data since: it treated an \
             error the host reports once as fatal, though the socket stays usable"
        ),
    ))
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
